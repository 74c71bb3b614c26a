/**
 * How far a fraud proof travels: to every peer, however many hops away (a
 * ttl of 3 hops reached a few hundred peers at most), yet never twice, and a
 * further proof against a known fraudster not at all, so nobody can make
 * the network carry proofs over and over.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../testing/until.ts';
import { toHex } from '../codec/bytes.ts';
import type { LedgerService } from './ledger-service.ts';
import { MemoryHub } from './memory-transport.ts';
import { makeFraudProof, type FraudProof } from './fraud.ts';
import { testPeer, transfer } from './test-support.ts';
import { startTestLedger, type TestLedger } from './test-ledger.ts';
import type { LedgerTransport } from './ledger-transport.ts';

/** Longer than the three hops block pairs travel, by far. */
const LINE = 9;

const services: LedgerService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.stop();
});

let dbSeq = 0;
async function line(hub: MemoryHub): Promise<TestLedger[]> {
  const peers: TestLedger[] = [];
  for (let i = 0; i < LINE; i++) {
    const p = await startTestLedger(hub, `n${i}`, new Uint8Array(32).fill(10 + i), `fraud-spread-${++dbSeq}`);
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

/** A peer that speaks the ledger wire directly, connected to `to`. */
function hostile(hub: MemoryHub, to: string): LedgerTransport {
  const t = hub.join({ id: 'hostile', publicKey: testPeer('hostile', 99).publicKey });
  t.serve(async () => undefined);
  hub.connect('hostile', to);
  return t;
}

const gossipId = (n: number): Uint8Array => new Uint8Array(16).fill(n);

describe('fraud proofs spread', () => {
  it('reach every peer of a line longer than the block pairs\' three hops, sent with the smallest ttl', async () => {
    const hub = new MemoryHub();
    const peers = await line(hub);
    const { offender, first } = forkedKey();
    await hostile(hub, 'n0').send(peers[0]!.ref, { type: 'gossip', id: gossipId(1), ttl: 1, payload: { kind: 'fraud', proof: first } });
    for (const p of peers) await until(() => p.ledger.isFraudster(offender), `${p.ref.id} learns of the fraud`);
    expect((await peers.at(-1)!.ledger.fraudProofs()).map((f) => toHex(f.offender))).toEqual([toHex(offender)]);
  });

  it('are passed on once: the same proof again, or another against a known fraudster, goes no further', async () => {
    const hub = new MemoryHub();
    const peers = await line(hub);
    const { offender, first, second } = forkedKey();
    const attacker = hostile(hub, 'n0');
    await attacker.send(peers[0]!.ref, { type: 'gossip', id: gossipId(1), ttl: 1, payload: { kind: 'fraud', proof: first } });
    for (const p of peers) await until(() => p.ledger.isFraudster(offender), `${p.ref.id} learns of the fraud`);

    const forwarded: string[] = [];
    hub.tap((from, to, m) => void (m.type === 'gossip' && m.payload.kind === 'fraud' && from === 'n0' && forwarded.push(to)));
    // The handler returns once n0 has stored and (would have) forwarded: nothing is still on its way.
    await attacker.send(peers[0]!.ref, { type: 'gossip', id: gossipId(2), ttl: 3, payload: { kind: 'fraud', proof: first } });
    await attacker.send(peers[0]!.ref, { type: 'gossip', id: gossipId(3), ttl: 3, payload: { kind: 'fraud', proof: second } });
    expect(forwarded).toEqual([]);
    // The new proof is still kept where it arrived: evidence is never thrown away.
    expect(await peers[0]!.ledger.fraudProofs()).toHaveLength(2);
    expect(await peers[1]!.ledger.fraudProofs()).toHaveLength(1);
  });
});
