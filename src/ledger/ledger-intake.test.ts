import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import type { HalfBlock } from './block.ts';
import { SENDER_BURST_BLOCKS } from './constants.ts';
import { IdbBlockStore } from './idb-store.ts';
import { LedgerService } from './ledger-service.ts';
import type { LedgerTransport, PeerRef } from './ledger-transport.ts';
import type { LedgerMessage } from './ledger-wire.ts';
import { encodeGossipPayload } from './ledger-gossip-wire.ts';
import { MemoryHub } from './memory-transport.ts';
import { agreementTransaction, createAgreement, createProposal } from './chain.ts';
import { head, resign, testPeer, transfer, type TestPeer } from './test-support.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth } from './transactions/bandwidth.ts';
import { defaultRegistry } from './transactions/default-registry.ts';
import { startTestLedger } from './test-ledger.ts';

let dbSeq = 0;
let idSeq = 0;
const services: LedgerService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.stop();
});

/** A ledger service whose clock the test moves. */
async function victim(hub: MemoryHub, clock: { now: number }): Promise<{ ref: PeerRef; store: IdbBlockStore; ledger: LedgerService }> {
  const v = await startTestLedger(hub, 'victim', new Uint8Array(32).fill(1), `intake-${++dbSeq}`, () => clock.now);
  services.push(v.ledger);
  return v;
}

/** A bare peer on the hub: sends what the test makes and records what reaches it. */
function rawPeer(hub: MemoryHub, name: string, answer: (m: LedgerMessage) => LedgerMessage | undefined = () => undefined): { ref: PeerRef; peer: TestPeer; transport: LedgerTransport; received: LedgerMessage[] } {
  const peer = testPeer(name, 100 + ++idSeq);
  const ref = { id: name, publicKey: peer.publicKey };
  const transport = hub.join(ref);
  const received: LedgerMessage[] = [];
  transport.serve(async (_from, m) => {
    received.push(m);
    return answer(m);
  });
  return { ref, peer, transport, received };
}

/** A pair between two keys never seen before. */
function freshPair(i: number): { proposal: HalfBlock; agreement: HalfBlock } {
  const key = (n: number): TestPeer => {
    const seed = new Uint8Array(32);
    new DataView(seed.buffer).setUint32(0, n + 1);
    seed[31] = 0x5a;
    return { name: `fresh-${n}`, seed, publicKey: publicKeyFromSeed(seed), chain: [] };
  };
  return transfer(key(2 * i), key(2 * i + 1), 1n);
}

/** `from` passes the pair on to the victim as gossip; resolves with the victim's verdict once it has judged it. */
const gossip = (hub: MemoryHub, from: string, pair: { proposal: HalfBlock; agreement: HalfBlock }) => hub.gossip(from, 'victim', encodeGossipPayload({ kind: 'pair', ...pair }));

/** The victim between mallory, who gossips to it, and an observer, who sees what it forwards. */
async function floodScene() {
  const hub = new MemoryHub();
  const clock = { now: 1_700_000_000_000 };
  const v = await victim(hub, clock);
  const mallory = rawPeer(hub, 'mallory');
  const observer = rawPeer(hub, 'observer');
  hub.connect('mallory', 'victim');
  hub.connect('victim', 'observer');
  let forwarded = 0;
  hub.tapGossip((from) => void (from === 'victim' && forwarded++));
  return { hub, clock, v, mallory, observer, forwarded: () => forwarded };
}

describe('LedgerService intake: storage only for what we have reason to keep', () => {
  it('stores only pairs that validate, rejects those that do not link or verify, and passes none on', async () => {
    const { hub, v, forwarded } = await floodScene();

    const tampered = freshPair(0);
    expect(await gossip(hub, 'mallory', { proposal: tampered.proposal, agreement: { ...tampered.agreement, timestamp: 5 } })).toBe('reject');
    const a = freshPair(1);
    const b = freshPair(2);
    expect(await gossip(hub, 'mallory', { proposal: a.proposal, agreement: b.agreement })).toBe('reject'); // halves of two pairs
    const forgedLink = resign(testPeer('x', 0), a.proposal, {}); // not a.proposal's owner: signature fails
    expect(await gossip(hub, 'mallory', { proposal: forgedLink, agreement: a.agreement })).toBe('reject');
    expect(v.store.usage().blocks).toBe(0);

    // Three messages invalid by themselves have muted mallory: even a valid pair from it goes unread.
    expect(await gossip(hub, 'mallory', a)).toBe('ignore');
    expect(await v.store.get(a.agreement.publicKey, 1)).toBeUndefined();
    // The same pair from another peer is stored, and kept here: pairs reach their signers' neighbourhoods only.
    rawPeer(hub, 'alice');
    hub.connect('alice', 'victim');
    expect(await gossip(hub, 'alice', a)).toBe('ignore');
    expect(await v.store.get(a.agreement.publicKey, 1)).toEqual(a.agreement);
    expect(forwarded()).toBe(0);
  });

  it('a sender over its limit stores nothing more, until its bucket refills', async () => {
    const { hub, clock, v } = await floodScene();
    const pairs = SENDER_BURST_BLOCKS / 2;
    for (let i = 0; i < pairs + 5; i++) await gossip(hub, 'mallory', freshPair(i));
    expect(v.store.usage().blocks).toBe(SENDER_BURST_BLOCKS);
    // Another sender is not held to mallory's limit.
    rawPeer(hub, 'alice');
    hub.connect('alice', 'victim');
    await gossip(hub, 'alice', freshPair(pairs + 10));
    expect(v.store.usage().blocks).toBe(SENDER_BURST_BLOCKS + 2);
    clock.now += 60_000;
    await gossip(hub, 'mallory', freshPair(pairs + 11));
    expect(v.store.usage().blocks).toBe(SENDER_BURST_BLOCKS + 4);
  });

  it("keeps of a sign request's context only the proposer's own blocks and their other halves", async () => {
    const hub = new MemoryHub();
    const clock = { now: 1_700_000_000_000 };
    const v = await victim(hub, clock);
    const mallory = rawPeer(hub, 'mallory');
    hub.connect('mallory', 'victim');
    const earlier = transfer(mallory.peer, testPeer('bob', 2), 10n);
    const unrelated = freshPair(0);
    const tx = bandwidthType.encode(nextBandwidth(bandwidthType.decode(earlier.proposal.transaction), 5n, 0n));
    const proposal = createProposal(mallory.peer, head(mallory.peer), v.ref.publicKey, BANDWIDTH, tx, clock.now);
    const res = await mallory.transport.request(v.ref, { type: 'sign-request', proposal, context: [earlier.proposal, earlier.agreement, unrelated.proposal, unrelated.agreement] }, 5_000);
    expect(res.type).toBe('sign-response');
    expect(await v.store.get(earlier.agreement.publicKey, 1)).toEqual(earlier.agreement);
    expect(await v.store.get(unrelated.proposal.publicKey, 1)).toBeUndefined();
    expect(await v.store.get(unrelated.agreement.publicKey, 1)).toBeUndefined();
    // The proposal we countersigned is the other half of our pair: pinned; its context is not.
    expect(await v.store.tierOf(mallory.ref.publicKey, 2)).toBe('pinned');
    expect(await v.store.tierOf(mallory.ref.publicKey, 1)).not.toBe('pinned');
  });

  it('keeps of a crawl answer only what was asked for', async () => {
    const hub = new MemoryHub();
    const clock = { now: 1_700_000_000_000 };
    const v = await victim(hub, clock);
    const bob = testPeer('bob', 2);
    const carol = testPeer('carol', 3);
    const pairs = [transfer(bob, carol, 1n), transfer(bob, carol, 2n), transfer(bob, carol, 3n)];
    const junk = [freshPair(0), freshPair(1)];
    const mallory = rawPeer(hub, 'mallory', () => ({
      type: 'crawl-response',
      latestSeq: 3,
      blocks: [...pairs.flatMap((p) => [p.proposal, p.agreement]), ...junk.flatMap((p) => [p.proposal, p.agreement])],
    }));
    hub.connect('mallory', 'victim');
    await v.ledger.crawl(mallory.ref, bob.publicKey, 2, 3);
    expect((await v.store.range(bob.publicKey, 1, 3)).map((b) => b.sequenceNumber)).toEqual([2, 3]);
    expect((await v.store.range(carol.publicKey, 1, 3)).map((b) => b.sequenceNumber)).toEqual([2, 3]);
    for (const p of junk) expect(await v.store.get(p.proposal.publicKey, 1)).toBeUndefined();
    expect(v.store.usage().blocks).toBe(4);
  });

  it('pins both halves of our pairs, however they arrive, and nothing that merely names us', async () => {
    const hub = new MemoryHub();
    const clock = { now: 1_700_000_000_000 };
    const v = await victim(hub, clock);
    const registry = defaultRegistry();
    const agree = (signer: TestPeer, p: HalfBlock): HalfBlock => createAgreement(signer, head(signer), p, agreementTransaction(registry, p, undefined), clock.now);
    // bob gossips the pair to us before he answers our sign request.
    const bob = rawPeer(hub, 'bob');
    bob.transport.serve(async (_from, m) => {
      if (m.type !== 'sign-request') return undefined;
      const agreement = agree(bob.peer, m.proposal);
      await gossip(hub, 'bob', { proposal: m.proposal, agreement });
      return { type: 'sign-response', agreement };
    });
    hub.connect('victim', 'bob');
    const { proposal } = await v.ledger.propose(bob.ref, BANDWIDTH, (t) => bandwidthType.encode(nextBandwidth(t, 10n, 0n)));
    expect(await v.store.tierOf(bob.ref.publicKey, 1)).toBe('pinned');
    // Blocks that name us, with no signature of ours on their pair: a proposal to us, an agreement to our proposal by someone it was not addressed to.
    const mallory = testPeer('mallory', 6);
    const dave = testPeer('dave', 4);
    const namesUs = createProposal(mallory, undefined, v.ref.publicKey, BANDWIDTH, proposal.transaction, clock.now);
    const claimsOurs = agree(dave, proposal);
    await v.ledger.ingestBlocks([namesUs, claimsOurs]);
    expect(await v.store.tierOf(mallory.publicKey, 1)).toBe('stranger');
    expect(await v.store.tierOf(dave.publicKey, 1)).not.toBe('pinned');
    expect(v.store.usage().tiers.pinned.blocks).toBe(2);
  });
});
