/**
 * How far a fraud proof travels: to every peer, however many hops away, yet
 * never twice, and a further proof against a known fraudster not at all, so
 * nobody can make the network carry proofs over and over. Block pairs, by
 * contrast, go one hop: to their signers' neighbours.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../testing/until.ts';
import { toHex } from '../codec/bytes.ts';
import type { LedgerService } from './ledger-service.ts';
import { MemoryHub } from './memory-transport.ts';
import { makeFraudProof, type FraudProof } from './fraud.ts';
import { testPeer, transfer } from './test-support.ts';
import { SENDER_BURST_BLOCKS, SENDER_BURST_PROOFS } from './constants.ts';
import { GOSSIP_SCORING } from '../net/gossip-scores.ts';
import { startTestLedger, type TestLedger } from './test-ledger.ts';
import { encodeGossipPayload, type GossipPayload } from './ledger-gossip-wire.ts';

/** A line of 9 peers: 8 hops from end to end. */
const LINE = 9;

const services: LedgerService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.stop();
});

let dbSeq = 0;
async function line(hub: MemoryHub, now: () => number = Date.now): Promise<TestLedger[]> {
  const peers: TestLedger[] = [];
  for (let i = 0; i < LINE; i++) {
    const p = await startTestLedger(hub, `n${i}`, new Uint8Array(32).fill(10 + i), `fraud-spread-${++dbSeq}`, now);
    services.push(p.ledger);
    if (i > 0) hub.connect(`n${i - 1}`, `n${i}`);
    peers.push(p);
  }
  return peers;
}

/** Two proofs against one key (three proposals at its first position), signed outside any ledger. */
function forkedKey(): { offender: Uint8Array; first: FraudProof; second: FraudProof } {
  const mallory = testPeer('mallory', 6);
  const victim = testPeer('victim', 7);
  const fork = (bytes: bigint) => {
    mallory.chain.length = 0;
    return transfer(mallory, victim, bytes).proposal;
  };
  const [a, b, c] = [fork(5n), fork(7n), fork(9n)];
  return { offender: mallory.publicKey, first: makeFraudProof('double-sign', a, b), second: makeFraudProof('double-sign', a, c) };
}

/** A proof against a fresh key: two proposals at its first position. */
function freshFork(seedByte: number): FraudProof {
  const key = testPeer('fresh', seedByte);
  const to = testPeer('victim', 7);
  const fork = (bytes: bigint) => {
    key.chain.length = 0;
    return transfer(key, to, bytes).proposal;
  };
  return makeFraudProof('double-sign', fork(5n), fork(7n));
}

/** A peer connected to `to` that sends what the test makes; resolves once `to` has judged it and passed it on. */
function hostile(hub: MemoryHub, to: string): (payload: GossipPayload) => Promise<unknown> {
  hub.join({ id: 'hostile', publicKey: testPeer('hostile', 99).publicKey }).serve(async () => undefined);
  hub.connect('hostile', to);
  return (payload) => hub.gossip('hostile', to, encodeGossipPayload(payload));
}

describe('fraud proofs spread', () => {
  it('reach every peer of a line, however far', async () => {
    const hub = new MemoryHub();
    const peers = await line(hub);
    const { offender, first } = forkedKey();
    await hostile(hub, 'n0')({ kind: 'fraud', proof: first });
    for (const p of peers) await until(() => p.ledger.isFraudster(offender), `${p.ref.id} learns of the fraud`);
    expect((await peers.at(-1)!.ledger.fraudProofs()).map((f) => toHex(f.offender))).toEqual([toHex(offender)]);
  });

  it('are passed on once: the same proof again, or another against a known fraudster, goes no further', async () => {
    const hub = new MemoryHub();
    const peers = await line(hub);
    const { offender, first, second } = forkedKey();
    const send = hostile(hub, 'n0');
    await send({ kind: 'fraud', proof: first });
    for (const p of peers) await until(() => p.ledger.isFraudster(offender), `${p.ref.id} learns of the fraud`);

    const forwarded: string[] = [];
    hub.tapGossip((from, to, m) => void (m.kind === 'fraud' && from === 'n0' && forwarded.push(to)));
    // Sending returns once n0 has judged and (would have) passed on: nothing is still on its way.
    await send({ kind: 'fraud', proof: first });
    await send({ kind: 'fraud', proof: second });
    expect(forwarded).toEqual([]);
    // The new proof is still kept where it arrived: evidence is never thrown away.
    expect(await peers[0]!.ledger.fraudProofs()).toHaveLength(2);
    expect(await peers[1]!.ledger.fraudProofs()).toHaveLength(1);
  });

  it("block pairs go one hop: a signer's neighbours keep them, and pass them on to nobody", async () => {
    const hub = new MemoryHub();
    const peers = await line(hub);
    const hops: string[] = [];
    hub.tapGossip((from, to, m) => void (m.kind === 'pair' && hops.push(`${from}>${to}`)));
    const { proposal, agreement } = transfer(testPeer('up', 20), testPeer('down', 21), 1000n);
    await peers[4]!.transport.gossip.publish({ kind: 'pair', proposal, agreement });
    expect(hops.sort()).toEqual(['n4>n3', 'n4>n5']);
    expect(await peers[3]!.store.get(proposal.publicKey, 1)).toEqual(proposal);
    expect(await peers[2]!.store.get(proposal.publicKey, 1)).toBeUndefined();
  });

  it("stop at a sender's intake limit: fresh keys that fork are free to make, and their proofs cannot flood the network", async () => {
    const hub = new MemoryHub();
    // A clock that stands still: no refill of the sender's bucket while the proofs are signed.
    const peers = await line(hub, () => 1_700_000_000_000);
    const send = hostile(hub, 'n0');
    let forwarded = 0;
    hub.tapGossip((from) => void (from === 'n0' && forwarded++));
    const allowed = SENDER_BURST_PROOFS;
    for (let i = 0; i < allowed + 5; i++) await send({ kind: 'fraud', proof: freshFork(100 + i) });
    expect(forwarded).toBe(allowed);
    expect(await peers[0]!.ledger.fraudProofs()).toHaveLength(allowed);
  });

  it('are not held up by the pairs their sender passed us: proofs have a bucket of their own', async () => {
    const hub = new MemoryHub();
    const peers = await line(hub, () => 1_700_000_000_000);
    const send = hostile(hub, 'n0');
    // A neighbour busy with payments: its blocks' bucket is spent.
    const down = testPeer('down', 8);
    for (let i = 0; i < SENDER_BURST_BLOCKS / 2 + 2; i++) {
      const { proposal, agreement } = transfer(testPeer('up', 100 + i), down, 1n);
      await send({ kind: 'pair', proposal, agreement });
    }
    const { offender, first } = forkedKey();
    await send({ kind: 'fraud', proof: first });
    for (const p of peers) await until(() => p.ledger.isFraudster(offender), `${p.ref.id} learns of the fraud`);
  });

  it("are read against a partner's key even from a sender whose proofs' bucket is spent: a neighbour cannot hide the fraud that matters most", async () => {
    const hub = new MemoryHub();
    const peers = await line(hub, () => 1_700_000_000_000);
    const send = hostile(hub, 'n0');
    const { offender, first } = forkedKey();
    // n0 and n1 signed pairs with the offender: its block is pinned there, as their own pairs are.
    for (const p of peers.slice(0, 2)) await p.store.putMany([first.first], 'strict', 'pinned');
    expect(peers[1]!.store.isPartner(offender)).toBe(true);
    // The sender spends its bucket at n0 on proofs against fresh keys, and n0, passing them on, spends its own at n1.
    for (let i = 0; i < SENDER_BURST_PROOFS; i++) await send({ kind: 'fraud', proof: freshFork(200 + i) });
    expect(await send({ kind: 'fraud', proof: freshFork(199) })).toBe('ignore');
    expect(await hub.gossip('n0', 'n1', encodeGossipPayload({ kind: 'fraud', proof: freshFork(198) }))).toBe('ignore');
    // The proof against their partner still goes through both.
    expect(await send({ kind: 'fraud', proof: first })).toBe('accept');
    for (const p of peers.slice(0, 2)) await until(() => p.ledger.isFraudster(offender), `${p.ref.id} learns of the fraud`);
  });

  it('naming a partner in a forged proof skips no check: it is rejected, and the third mutes its sender', async () => {
    const hub = new MemoryHub();
    const peers = await line(hub, () => 1_700_000_000_000);
    const send = hostile(hub, 'n0');
    const { offender, first } = forkedKey();
    await peers[0]!.store.putMany([first.first], 'strict', 'pinned');
    const forged = (i: number): FraudProof => ({ ...first, second: { ...first.second, signature: new Uint8Array(64).fill(i) } });
    for (let i = 1; i <= GOSSIP_SCORING.invalidToMute; i++) expect(await send({ kind: 'fraud', proof: forged(i) })).toBe('reject');
    // Muted: even the real proof from it is dropped unread (the honest neighbours' copies still come).
    let read = 0;
    hub.tapGossip((from) => void (from === 'hostile' && read++));
    expect(await send({ kind: 'fraud', proof: first })).toBe('ignore');
    expect(read).toBe(0);
    expect(peers[0]!.ledger.isFraudster(offender)).toBe(false);
  });
});
