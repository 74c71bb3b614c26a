import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createProposal } from './chain.ts';
import { IdbBlockStore } from './idb-store.ts';
import { nobleEngine } from '../workers/verify-engine.ts';
import { inlineVerifier } from './verifier.ts';
import type { HalfBlock } from './block.ts';
import { signBlock } from './block-codec.ts';
import { Ingestor } from './ingest.ts';
import { MemoryBlockStore } from './memory-store.ts';
import { head, registry, testPeer, transfer } from './test-support.ts';
import { ANY_COUNTERPARTY } from './constants.ts';
import { bandwidthType } from './transactions/bandwidth.ts';
import { TransactionRegistry, type TransactionType } from './transactions/registry.ts';

function ingestor(store = new MemoryBlockStore()): { ing: Ingestor; store: MemoryBlockStore } {
  const s = Object.assign(store, { putMany: async (bs: readonly HalfBlock[]) => bs.map((b) => store.putSync(b)) });
  return { ing: new Ingestor(s, registry, inlineVerifier(nobleEngine)), store };
}

describe('Ingestor', () => {
  it('stores a valid batch in one go and grades it against itself', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 4; i++) transfer(alice, bob, 10n);
    const { ing, store } = ingestor();
    const r = await ing.ingest([...alice.chain, ...bob.chain, alice.chain[0]!]);
    expect(r.added).toHaveLength(8);
    expect(r.fraud).toEqual([]);
    expect(r.validated.find((v) => v.block === alice.chain[1])?.result.outcome).toBe('valid');
    expect(store.size).toBe(8);
  });

  it('drops a tampered block without claiming fraud, and keeps the rest', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 3; i++) transfer(alice, bob, 10n);
    const tampered = { ...alice.chain[2]!, timestamp: 1 };
    const { ing, store } = ingestor();
    const r = await ing.ingest([alice.chain[0]!, alice.chain[1]!, tampered]);
    expect(r.validated.find((v) => v.block === tampered)?.result).toMatchObject({ outcome: 'invalid', errors: ['the signature does not verify'] });
    expect(r.fraud).toEqual([]);
    expect(store.size).toBe(2);
  });

  it('turns a fork against the store, or inside a batch, into a verified proof', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 2; i++) transfer(alice, bob, 10n);
    const { signature: _, ...rest } = { ...alice.chain[1]!, timestamp: 5 };
    const fork = signBlock(rest, alice.seed);
    const { ing } = ingestor();
    await ing.ingest(alice.chain);
    expect((await ing.ingest([fork])).fraud.map((p) => p.kind)).toEqual(['double-sign']);
    const fresh = ingestor().ing;
    expect((await fresh.ingest([alice.chain[1]!, fork])).fraud.map((p) => p.kind)).toEqual(['double-sign']);
  });

  it('tells blocks apart by their bytes, not their position: a tampered copy ahead of the real block hides nothing, and repeats count once', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 2; i++) transfer(alice, bob, 10n);
    const [first, second] = alice.chain as [HalfBlock, HalfBlock];
    const tampered = { ...second, timestamp: 1 };
    const { signature: _, ...rest } = { ...second, timestamp: 5 };
    const fork = signBlock(rest, alice.seed);
    const { ing, store } = ingestor();
    const r = await ing.ingest([tampered, first, second, { ...second }, fork, { ...fork }]);
    expect(r.validated).toHaveLength(4);
    expect(r.validated.find((v) => v.block === tampered)?.result.outcome).toBe('invalid');
    expect(r.fraud.map((p) => p.kind)).toEqual(['double-sign']);
    expect(store.getSync(alice.publicKey, 2)?.timestamp).toBe(second.timestamp);
    expect(store.size).toBe(2);
  });

  it('keeps each block in the tier we have reason for: pinned only with our signature on the pair, strangers apart', async () => {
    const [alice, bob, carol, dave, erin, mallory] = (['alice', 'bob', 'carol', 'dave', 'erin', 'mallory'] as const).map((n, i) => testPeer(n, i + 1));
    const store = await IdbBlockStore.open(alice!.publicKey, () => 1, `ingest-tiers-${Date.now()}`);
    const ing = new Ingestor(store, registry, inlineVerifier(nobleEngine), alice!.publicKey);
    const ours = transfer(alice!, bob!, 10n);
    await store.putMany([ours.proposal, ours.agreement], 'strict', 'pinned'); // bob is now a partner
    const partners = transfer(bob!, carol!, 5n); // a partner's chain and the half it pairs with
    const strangers = transfer(dave!, erin!, 5n); // no link to us
    const spam = createProposal(bob!, head(bob!), carol!.publicKey, 'spam', new Uint8Array(8), 1); // an unknown type, even from a partner
    bob!.chain.push(spam);
    const namesUs = createProposal(mallory!, undefined, alice!.publicKey, 'bandwidth', transfer(mallory!, carol!, 1n).proposal.transaction, 1);
    const late = transfer(alice!, carol!, 3n); // our proposal, stored; its agreement arrives by gossip
    await store.putMany([late.proposal], 'strict', 'pinned');
    const r = await ing.ingest([partners.proposal, partners.agreement, strangers.proposal, strangers.agreement, spam, namesUs, late.agreement]);
    expect(r.validated.filter((v) => v.result.outcome === 'invalid')).toEqual([]);
    const tier = (b: HalfBlock) => store.tierOf(b.publicKey, b.sequenceNumber);
    expect(await tier(partners.proposal)).toBe('general');
    expect(await tier(partners.agreement)).toBe('general');
    expect(await tier(strangers.proposal)).toBe('stranger');
    expect(await tier(strangers.agreement)).toBe('stranger');
    expect(await tier(spam)).toBe('stranger');
    expect(await tier(namesUs)).toBe('stranger'); // names us, but we never signed its pair
    expect(await tier(late.agreement)).toBe('pinned');
    expect(store.isPartner(carol!.publicKey)).toBe(true);
    // What we asked for (a crawl of ours) is kept in the general tier, unknown types still apart.
    const asked = transfer(dave!, erin!, 1n);
    await ing.ingest([asked.proposal, asked.agreement], { requested: true });
    expect(await tier(asked.proposal)).toBe('general');
    store.close();
  });
});

describe('Ingestor: running totals across blocks that carry none', () => {
  it('grades a token block after a long run of token-free blocks (orders, trade records) by its totals, not as if its history were missing', async () => {
    const note: TransactionType<Uint8Array> = { name: 'note', decode: (b) => b, encode: (b) => b, check: () => [] };
    const withNotes = new TransactionRegistry().register(bandwidthType).register(note);
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    transfer(alice, bob, 10n);
    for (let i = 0; i < 70; i++) alice.chain.push(createProposal(alice, head(alice), ANY_COUNTERPARTY, 'note', new Uint8Array([i]), 1_700_000_000_000));
    const { proposal } = transfer(alice, bob, 10n);
    const store = new MemoryBlockStore();
    const s = Object.assign(store, { putMany: async (bs: readonly HalfBlock[]) => bs.map((b) => store.putSync(b)) });
    const ing = new Ingestor(s, withNotes, inlineVerifier(nobleEngine));
    await ing.ingest(alice.chain.slice(0, -1));
    const r = await ing.ingest([proposal]);
    expect(r.validated[0]?.result).toMatchObject({ outcome: 'partial-next', errors: [] });
  });
});
