import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { nobleEngine } from '../workers/verify-engine.ts';
import { inlineVerifier } from './verifier.ts';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { nobleSigner } from '../crypto/signers.ts';
import { toHex } from '../codec/bytes.ts';
import { IdbBlockStore } from './idb-store.ts';
import { FraudsterError, LedgerService, SignRefusedError } from './ledger-service.ts';
import { MemoryHub } from './memory-transport.ts';
import { PeerUnreachableError, type PeerRef } from './ledger-transport.ts';
import { LedgerStorageError } from './own-chain.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth } from './transactions/bandwidth.ts';
import { defaultRegistry } from './transactions/default-registry.ts';

let dbSeq = 0;
const services: LedgerService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.stop();
});

interface Node {
  ref: PeerRef;
  seed: Uint8Array;
  db: string;
  store: IdbBlockStore;
  ledger: LedgerService;
}

async function node(hub: MemoryHub, name: string, seedByte: number, db = `svc-${++dbSeq}`): Promise<Node> {
  const seed = new Uint8Array(32).fill(seedByte);
  const publicKey = publicKeyFromSeed(seed);
  const ref = { id: name, publicKey };
  const store = await IdbBlockStore.open(publicKey, Date.now, db);
  const ledger = await LedgerService.start({
    signer: nobleSigner(seed),
    store,
    registry: defaultRegistry(),
    verifier: inlineVerifier(nobleEngine),
    transport: hub.join(ref),
    now: Date.now,
    random: Math.random,
    background: false,
  });
  ledger.setAcceptancePolicy(BANDWIDTH, () => true);
  services.push(ledger);
  return { ref, seed, db, store, ledger };
}

const pay = (up: bigint) => (totals: Parameters<typeof nextBandwidth>[0]) => bandwidthType.encode(nextBandwidth(totals, up, 0n));

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out: ${what}`);
}

describe('LedgerService', () => {
  it('records a transfer as a dual-signed pair in both chains, with mirrored totals', async () => {
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    hub.connect('alice', 'bob');
    const { proposal, agreement } = await alice.ledger.propose(bob.ref, BANDWIDTH, pay(4096n));
    for (const n of [alice, bob]) {
      expect(await n.store.get(alice.ref.publicKey, proposal.sequenceNumber)).toEqual(proposal);
      expect(await n.store.get(bob.ref.publicKey, agreement.sequenceNumber)).toEqual(agreement);
    }
    expect(alice.ledger.balance(await alice.ledger.ownChain()).net).toBe(4096n);
    expect(bob.ledger.balance(await bob.ledger.ownChain()).net).toBe(-4096n);
    // A second transfer continues both running totals.
    await alice.ledger.propose(bob.ref, BANDWIDTH, pay(1000n));
    expect(bob.ledger.ownTotals()).toMatchObject({ totalDown: 5096n });
  });

  it('answers a repeated sign request with the same agreement', async () => {
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    hub.connect('alice', 'bob');
    const first = await alice.ledger.propose(bob.ref, BANDWIDTH, pay(10n));
    const again = await alice.ledger.requestAgreement(bob.ref, first.proposal);
    expect(again.agreement).toEqual(first.agreement);
    expect((await bob.ledger.ownChain()).length).toBe(1);
  });

  it('asks for the same proposal over the next route when a route is silent, and stops at a refusal', async () => {
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    hub.connect('alice', 'bob');
    expect(alice.ledger.directPeer(bob.ref.publicKey)).toEqual(bob.ref);
    expect(alice.ledger.directPeer(alice.ref.publicKey)).toBeUndefined();

    const silent = { request: () => Promise.reject(new PeerUnreachableError('gone')) };
    const { proposal } = await alice.ledger.propose(bob.ref, BANDWIDTH, pay(100n), silent, [{ peer: bob.ref }]);
    expect(proposal.sequenceNumber).toBe(1);
    expect((await alice.ledger.ownChain()).length).toBe(1);
    expect((await bob.ledger.ownChain()).length).toBe(1);

    let fallbackAsked = false;
    const refusing = { request: async () => ({ type: 'sign-refused' as const, code: 'policy' as const, reason: 'no' }) };
    const counting = { request: () => ((fallbackAsked = true), Promise.reject(new PeerUnreachableError('unused'))) };
    await expect(alice.ledger.propose(bob.ref, BANDWIDTH, pay(1n), refusing, [{ peer: bob.ref, channel: counting }])).rejects.toBeInstanceOf(SignRefusedError);
    expect(fallbackAsked).toBe(false);
    await expect(alice.ledger.propose(bob.ref, BANDWIDTH, pay(1n), undefined, [{ peer: alice.ref }])).rejects.toThrow(/same key/);
  });

  it('refuses proposals without an acceptance policy, saying why', async () => {
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    bob.ledger.setAcceptancePolicy(BANDWIDTH, undefined);
    hub.connect('alice', 'bob');
    await expect(alice.ledger.propose(bob.ref, BANDWIDTH, pay(10n))).rejects.toMatchObject({ name: 'SignRefusedError', code: 'policy' });
    // The refused proposal stays in alice's chain, unanswered; bob signed nothing.
    expect((await alice.ledger.ownChain()).length).toBe(1);
    expect((await bob.ledger.ownChain()).length).toBe(0);
  });

  it('never signs a second block at a sequence number after a crash between commit and send', async () => {
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    hub.connect('alice', 'bob');
    await alice.ledger.propose(bob.ref, BANDWIDTH, pay(10n));
    // Crash: the proposal is committed, then the tab dies before sending it.
    alice.ledger.own.afterCommit = () => {
      throw new Error('tab crashed');
    };
    await expect(alice.ledger.propose(bob.ref, BANDWIDTH, pay(20n))).rejects.toThrow();
    alice.ledger.stop();
    alice.store.close();
    const restarted = await node(hub, 'alice', 1, alice.db);
    hub.connect('alice', 'bob');
    const { proposal } = await restarted.ledger.propose(bob.ref, BANDWIDTH, pay(30n));
    expect(proposal.sequenceNumber).toBe(3);
    const chain = await restarted.ledger.ownChain();
    expect(chain.map((b) => b.sequenceNumber)).toEqual([3, 2, 1]);
    expect(bob.ledger.isFraudster(restarted.ref.publicKey)).toBe(false);
  });

  it('lets no signature out when the commit fails, and resumes from the durable head', async () => {
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    hub.connect('alice', 'bob');
    const realPut = alice.store.putMany.bind(alice.store);
    let fail = true;
    alice.store.putMany = async (blocks, durability) => {
      if (fail && durability === 'strict') throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
      return realPut(blocks, durability);
    };
    await expect(alice.ledger.propose(bob.ref, BANDWIDTH, pay(10n))).rejects.toBeInstanceOf(LedgerStorageError);
    expect((await bob.store.latest(alice.ref.publicKey))).toBeUndefined();
    fail = false;
    const { proposal } = await alice.ledger.propose(bob.ref, BANDWIDTH, pay(10n));
    expect(proposal.sequenceNumber).toBe(1);
  });

  it('lets a third peer crawl and validate a chain, including the linked halves', async () => {
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    const carol = await node(hub, 'carol', 3);
    hub.connect('alice', 'bob');
    for (let i = 0; i < 7; i++) await alice.ledger.propose(bob.ref, BANDWIDTH, pay(100n));
    hub.connect('carol', 'bob');
    const r = await carol.ledger.crawl(bob.ref, alice.ref.publicKey, -5, -1);
    expect(r.latestSeq).toBe(7);
    expect(r.validated.every((v) => v.result.outcome !== 'invalid')).toBe(true);
    expect((await carol.store.range(alice.ref.publicKey, 1, 10)).map((b) => b.sequenceNumber)).toEqual([3, 4, 5, 6, 7]);
    expect(await carol.store.agreementsFor(alice.ref.publicKey, 7)).toHaveLength(1);
    expect(await carol.ledger.crawlChain(bob.ref, alice.ref.publicKey)).toBe(7);
  });

  it('exposes a double signer: the proof spreads, everyone verifies it and refuses the fraudster', async () => {
    const hub = new MemoryHub();
    const mallory = await node(hub, 'mallory', 6);
    const bob = await node(hub, 'bob', 2);
    const carol = await node(hub, 'carol', 3);
    const dave = await node(hub, 'dave', 4);
    hub.connect('mallory', 'bob');
    hub.connect('mallory', 'carol');
    hub.connect('bob', 'dave');
    hub.connect('carol', 'dave');
    await mallory.ledger.propose(bob.ref, BANDWIDTH, pay(5n));
    await mallory.ledger.forgeDoubleSign(bob.ref, carol.ref, BANDWIDTH, pay(7n));
    // The two pairs meet at dave (or at bob/carol via gossip); the proof then reaches everyone.
    for (const n of [bob, carol, dave]) await until(() => n.ledger.isFraudster(mallory.ref.publicKey), `${n.ref.id} learns of the fraud`);
    const proofs = await dave.ledger.fraudProofs();
    expect(toHex(proofs[0]!.offender)).toBe(toHex(mallory.ref.publicKey));
    await expect(mallory.ledger.propose(bob.ref, BANDWIDTH, pay(1n))).rejects.toBeInstanceOf(SignRefusedError);
    await expect(bob.ledger.propose(mallory.ref, BANDWIDTH, pay(1n))).rejects.toBeInstanceOf(FraudsterError);
  });
});
