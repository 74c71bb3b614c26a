/**
 * The ledger's verdicts on gossip, which peer scoring acts on (GossipSub in
 * tabs, gossip-scores.ts in the memory hub): a peer that keeps sending
 * messages invalid by themselves is muted (its gossip dropped unread, none
 * sent to it); what is invalid only against our own store (a fork of a chain
 * we hold) is news and never counts; and junk cannot suppress a message.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerService } from './ledger-service.ts';
import { MemoryHub } from './memory-transport.ts';
import { makeFraudProof, type FraudProof } from './fraud.ts';
import type { HalfBlock } from './block.ts';
import { testPeer, transfer } from './test-support.ts';
import { startTestLedger, type TestLedger } from './test-ledger.ts';
import { encodeGossipPayload, type GossipPayload } from './ledger-gossip-wire.ts';

const services: LedgerService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.stop();
});

let dbSeq = 0;
/** A peer that sends what the test makes, connected to `to`. */
function wirePeer(hub: MemoryHub, name: string, seed: number, to: string): string {
  hub.join({ id: name, publicKey: testPeer(name, seed).publicKey }).serve(async () => undefined);
  hub.connect(name, to);
  return name;
}

/** n0 and n1 connected; a hostile and an honest peer that send what the test makes, each connected to n0. */
async function network(): Promise<{ hub: MemoryHub; n0: TestLedger; hostile: string; honest: string }> {
  hub = new MemoryHub();
  const [n0, n1] = await Promise.all([0, 1].map((i) => startTestLedger(hub, `n${i}`, new Uint8Array(32).fill(40 + i), `gossip-scores-${++dbSeq}`)));
  services.push(n0!.ledger, n1!.ledger);
  hub.connect('n0', 'n1');
  return { hub, n0: n0!, hostile: wirePeer(hub, 'hostile', 98, 'n0'), honest: wirePeer(hub, 'honest', 97, 'n0') };
}

let hub: MemoryHub;
/** `from` passes the payload (or raw bytes) on to `to`; resolves with `to`'s verdict once it has judged it. */
const send = (from: string, to: TestLedger, payload: GossipPayload | Uint8Array) =>
  hub.gossip(from, to.ref.id, payload instanceof Uint8Array ? payload : encodeGossipPayload(payload));

/** A pair signed by two fresh keys, and a copy whose agreement's signature is broken. */
function pairs(seed: number): { good: GossipPayload; forged: GossipPayload; proposal: HalfBlock } {
  const { proposal, agreement } = transfer(testPeer('up', seed), testPeer('down', seed + 1), 1000n);
  const signature = Uint8Array.from(agreement.signature);
  signature[0]! ^= 1;
  return { proposal, good: { kind: 'pair', proposal, agreement }, forged: { kind: 'pair', proposal, agreement: { ...agreement, signature } } };
}

/** A proof against a key forked at its first position. */
function proofAgainst(seed: number): { offender: Uint8Array; proof: FraudProof } {
  const mallory = testPeer('mallory', seed);
  const fork = (bytes: bigint) => {
    mallory.chain.length = 0;
    return transfer(mallory, testPeer('victim', seed + 1), bytes).proposal;
  };
  return { offender: mallory.publicKey, proof: makeFraudProof('double-sign', fork(5n), fork(7n)) };
}

describe('gossip peer scoring', () => {
  it('mutes a peer that sent three messages invalid by themselves: its gossip is then dropped unread, and it is sent none', async () => {
    const { n0, hostile, honest } = await network();
    // A forged signature, a pair that does not link, a proof that proves nothing: each rejected.
    expect(await send(hostile, n0, pairs(10).forged)).toBe('reject');
    expect(await send(hostile, n0, { kind: 'pair', proposal: pairs(12).proposal, agreement: (pairs(14).good as { agreement: HalfBlock }).agreement })).toBe('reject');
    const unrelated = proofAgainst(16).proof;
    expect(await send(hostile, n0, { kind: 'fraud', proof: { ...unrelated, second: pairs(18).proposal } })).toBe('reject');
    // Sending returns once n0 has handled the message: a valid proof from the muted peer is not read.
    const { offender, proof } = proofAgainst(20);
    await send(hostile, n0, { kind: 'fraud', proof });
    expect(n0.ledger.isFraudster(offender)).toBe(false);

    // The same proof from an honest peer is taken, and passed on to every peer but the muted one.
    const gossipTo: string[] = [];
    hub.tapGossip((from, to) => void (from === 'n0' && gossipTo.push(to)));
    expect(await send(honest, n0, { kind: 'fraud', proof })).toBe('accept');
    expect(n0.ledger.isFraudster(offender)).toBe(true);
    expect(gossipTo).toEqual(['n1']);
  });

  it('forgives two, and never counts what is invalid only against our own store: forks of a chain we hold are news', async () => {
    const { n0, hostile } = await network();
    await send(hostile, n0, pairs(30).forged);
    await send(hostile, n0, pairs(32).forged);
    // Three forks of one key's first block, each a valid pair: the first is stored, the others conflict with it.
    const mallory = testPeer('mallory', 34);
    for (const bytes of [5n, 7n, 9n]) {
      mallory.chain.length = 0;
      const { proposal, agreement } = transfer(mallory, testPeer('victim', 35), bytes);
      await send(hostile, n0, { kind: 'pair', proposal, agreement });
    }
    expect(n0.ledger.isFraudster(mallory.publicKey)).toBe(true);
    const { offender, proof } = proofAgainst(36);
    await send(hostile, n0, { kind: 'fraud', proof });
    expect(n0.ledger.isFraudster(offender)).toBe(true);
  });

  it('does not drop a message as seen because junk like it came first: a message is known by its bytes', async () => {
    const { n0, hostile, honest } = await network();
    const { good, forged, proposal } = pairs(50);
    expect(await send(hostile, n0, forged)).toBe('reject');
    expect(await n0.store.get(proposal.publicKey, proposal.sequenceNumber)).toBeUndefined();
    await send(honest, n0, good);
    expect(await n0.store.get(proposal.publicKey, proposal.sequenceNumber)).toEqual(proposal);
  });

  it('rejects bytes that are no message, and counts them', async () => {
    const { n0, hostile, honest } = await network();
    for (const junk of [new Uint8Array([1, 9]), new Uint8Array([7]), new Uint8Array(0)]) expect(await send(hostile, n0, junk)).toBe('reject');
    const { offender, proof } = proofAgainst(60);
    expect(await send(hostile, n0, { kind: 'fraud', proof })).toBe('ignore');
    expect(await send(honest, n0, { kind: 'fraud', proof })).toBe('accept');
    expect(n0.ledger.isFraudster(offender)).toBe(true);
  });
});
