import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import type { HalfBlock } from './block.ts';
import { SENDER_BURST_BLOCKS } from './constants.ts';
import { IdbBlockStore } from './idb-store.ts';
import { LedgerService } from './ledger-service.ts';
import type { LedgerTransport, PeerRef } from './ledger-transport.ts';
import type { LedgerMessage } from './ledger-wire.ts';
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

const gossip = (pair: { proposal: HalfBlock; agreement: HalfBlock }, n: number): LedgerMessage => ({
  type: 'gossip',
  id: Uint8Array.from({ length: 16 }, (_, i) => (i < 4 ? (n >>> (8 * i)) & 0xff : 7)),
  ttl: 3,
  payload: { kind: 'pair', ...pair },
});

/** The victim between mallory, who gossips to it, and an observer, who sees what it forwards. */
async function floodScene() {
  const hub = new MemoryHub();
  const clock = { now: 1_700_000_000_000 };
  const v = await victim(hub, clock);
  const mallory = rawPeer(hub, 'mallory');
  const observer = rawPeer(hub, 'observer');
  hub.connect('mallory', 'victim');
  hub.connect('victim', 'observer');
  return { hub, clock, v, mallory, observer };
}

const forwarded = (received: LedgerMessage[]): number => received.filter((m) => m.type === 'gossip').length;

describe('LedgerService intake: storage only for what we have reason to keep', () => {
  it('forwards only pairs that validated; a pair whose halves do not link is dropped', async () => {
    const scene = await floodScene();
    const { v, mallory, observer } = scene;

    const tampered = freshPair(0);
    await mallory.transport.send(v.ref, gossip({ proposal: tampered.proposal, agreement: { ...tampered.agreement, timestamp: 5 } }, 1));
    const a = freshPair(1);
    const b = freshPair(2);
    await mallory.transport.send(v.ref, gossip({ proposal: a.proposal, agreement: b.agreement }, 2)); // halves of two pairs
    const forgedLink = resign(testPeer('x', 0), a.proposal, {}); // not a.proposal's owner: signature fails
    await mallory.transport.send(v.ref, gossip({ proposal: forgedLink, agreement: a.agreement }, 3));
    expect(forwarded(observer.received)).toBe(0);
    expect(v.store.usage().blocks).toBe(0);

    // Three messages invalid by themselves have muted mallory (gossip-scores.test.ts): a valid pair comes from another peer.
    const { hub } = scene;
    const alice = rawPeer(hub, 'alice');
    hub.connect('alice', 'victim');
    await alice.transport.send(v.ref, gossip(a, 4));
    expect(forwarded(observer.received)).toBe(1);
    expect(await v.store.get(a.agreement.publicKey, 1)).toEqual(a.agreement);
  });

  it('a sender over its limit stores nothing more and is not forwarded, until its bucket refills', async () => {
    const { hub, clock, v, mallory, observer } = await floodScene();
    const pairs = SENDER_BURST_BLOCKS / 2;
    for (let i = 0; i < pairs + 5; i++) await mallory.transport.send(v.ref, gossip(freshPair(i), i));
    expect(v.store.usage().blocks).toBe(SENDER_BURST_BLOCKS);
    expect(forwarded(observer.received)).toBe(pairs);
    // Another sender is not held to mallory's limit.
    const alice = rawPeer(hub, 'alice');
    hub.connect('alice', 'victim');
    await alice.transport.send(v.ref, gossip(freshPair(pairs + 10), 90_000));
    expect(v.store.usage().blocks).toBe(SENDER_BURST_BLOCKS + 2);
    clock.now += 60_000;
    await mallory.transport.send(v.ref, gossip(freshPair(pairs + 11), 90_001));
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
      await bob.transport.send(v.ref, gossip({ proposal: m.proposal, agreement }, 1));
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
