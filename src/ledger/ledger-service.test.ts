import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../testing/until.ts';
import { nobleEngine } from '../workers/verify-engine.ts';
import { inlineVerifier } from './verifier.ts';
import { nobleSigner } from '../crypto/signers.ts';
import { toHex } from '../codec/bytes.ts';
import { IdbBlockStore } from './idb-store.ts';
import { FraudsterError, LedgerService, SignRefusedError } from './ledger-service.ts';
import { MemoryHub } from './memory-transport.ts';
import type { LedgerMessage } from './ledger-wire.ts';
import { PeerUnreachableError } from './ledger-transport.ts';
import { LedgerStorageError } from './own-chain.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth } from './transactions/bandwidth.ts';
import { defaultRegistry } from './transactions/default-registry.ts';
import { forgeDoubleSign, mintAgreementIn, testPeer, transfer } from './test-support.ts';
import { decodeBlock } from './block-codec.ts';
import { Ingestor } from './ingest.ts';
import { startTestLedger, type TestLedger } from './test-ledger.ts';

let dbSeq = 0;
const services: LedgerService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.stop();
});

interface Node extends TestLedger {
  db: string;
}

async function node(hub: MemoryHub, name: string, seedByte: number, db = `svc-${++dbSeq}`): Promise<Node> {
  const started = await startTestLedger(hub, name, new Uint8Array(32).fill(seedByte), db);
  services.push(started.ledger);
  return { ...started, db };
}

const pay = (up: bigint) => (totals: Parameters<typeof nextBandwidth>[0]) => bandwidthType.encode(nextBandwidth(totals, up, 0n));


/** Alice connected to bob and to a third peer (carol, or whoever the test names). */
async function aliceBobAnd(name: string, seedByte: number): Promise<{ hub: MemoryHub; alice: Node; bob: Node; third: Node }> {
  const hub = new MemoryHub();
  const [alice, bob, third] = [await node(hub, 'alice', 1), await node(hub, 'bob', 2), await node(hub, name, seedByte)];
  hub.connect('alice', 'bob');
  hub.connect('alice', name);
  return { hub, alice, bob, third };
}

/** What the hub delivers of one message type, each as `describe` words it. */
function recorded<T extends LedgerMessage['type']>(hub: MemoryHub, type: T, describe: (from: string, to: string, m: Extract<LedgerMessage, { type: T }>) => string): string[] {
  const seen: string[] = [];
  hub.tap((from, to, m) => {
    if (m.type === type) seen.push(describe(from, to, m as Extract<LedgerMessage, { type: T }>));
  });
  return seen;
}

/** One identity on two devices (same key, separate stores), each connected to a seeder. */
async function seederAndTwoDevices(): Promise<{ seeder: Node; phone: Node; laptop: Node }> {
  const hub = new MemoryHub();
  const seeder = await node(hub, 'seeder', 5);
  const phone = await node(hub, 'phone', 7);
  const laptop = await node(hub, 'laptop', 7);
  for (const id of ['phone', 'laptop']) hub.connect('seeder', id);
  return { seeder, phone, laptop };
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

  it('sends as context only what the counterparty may lack: nothing it paired with us, the pairs made since with others', async () => {
    const { hub, alice, bob, third: carol } = await aliceBobAnd('carol', 3);
    const names = new Map([alice, bob, carol].map((n) => [toHex(n.ref.publicKey), n.ref.id]));
    const requests = recorded(hub, 'sign-request', (_, to, m) => `${to} ${m.proposal.sequenceNumber}: ${m.context.map((b) => `${names.get(toHex(b.publicKey))}#${b.sequenceNumber}`).join(' ')}`);
    const crawls = recorded(hub, 'crawl-request', (from, to) => `${from}->${to}`);
    for (const to of [carol, carol, bob, bob, carol, bob]) await alice.ledger.propose(to.ref, BANDWIDTH, pay(10n));
    expect(requests).toEqual([
      'carol 1: ',
      // The pair before is one carol made.
      'carol 2: ',
      // Bob has seen nothing of alice's chain: both pairs with carol, with carol's halves.
      'bob 3: alice#1 carol#1 alice#2 carol#2',
      'bob 4: ',
      'carol 5: alice#3 bob#1 alice#4 bob#2',
      // Bob lacks only the pair made since his last one.
      'bob 6: alice#5 carol#3',
    ]);
    // Each checked every proposal from what it was sent and what it held: nobody had to crawl alice.
    expect(crawls).toEqual([]);
  });

  it('countersigns a proposal sent with no context after crawling what it lacks, and refuses one whose history it cannot get', async () => {
    // A proposer that withholds its history gains nothing: the counterparty fetches it, or refuses.
    const { hub, alice, bob, third: carol } = await aliceBobAnd('carol', 3);
    for (let i = 0; i < 3; i++) await alice.ledger.propose(carol.ref, BANDWIDTH, pay(10n));
    const crawls = recorded(hub, 'crawl-request', (from, to) => `${from}->${to}`);
    const bare = await alice.ledger.signProposal(bob.ref, BANDWIDTH, pay(10n));
    expect(await bob.ledger.serve(alice.ref, { type: 'sign-request', proposal: bare, context: [] })).toMatchObject({ type: 'sign-response' });
    expect(crawls).toEqual(['bob->alice']);
    // Dave cannot reach alice to fetch her history: he refuses rather than sign blind.
    const dave = await node(hub, 'dave', 4);
    const blind = await alice.ledger.signProposal(dave.ref, BANDWIDTH, pay(10n));
    expect(await dave.ledger.serve(alice.ref, { type: 'sign-request', proposal: blind, context: [] })).toMatchObject({ type: 'sign-refused', code: 'unknown-history' });
  });

  it("gossips a pair to both signers' neighbours, and no further", async () => {
    const { hub, alice, bob, third: dave } = await aliceBobAnd('dave', 4);
    const erin = await node(hub, 'erin', 5);
    hub.connect('dave', 'erin');
    const hops: string[] = [];
    hub.tapGossip((from, to) => void hops.push(`${from}->${to}`));
    const { proposal } = await alice.ledger.propose(bob.ref, BANDWIDTH, pay(10n));
    await until(async () => (await dave.store.get(alice.ref.publicKey, proposal.sequenceNumber)) !== undefined, 'the pair reaches dave');
    expect(hops.filter((h) => h.startsWith('dave') || h.endsWith('erin'))).toEqual([]);
    expect(await erin.store.get(alice.ref.publicKey, proposal.sequenceNumber)).toBeUndefined();
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

  it('answers a request repeated while the first is still being decided with the first one\'s answer, asking its policy once', async () => {
    // A payer whose first request times out under load asks again; the policy (a relay's payout check) consumes
    // what it accepts, so asking it twice refused the honest repeat, and the payer counted the payment as failed.
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    hub.connect('alice', 'bob');
    let asked = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    bob.ledger.setAcceptancePolicy(BANDWIDTH, async () => {
      await held;
      return ++asked === 1 ? true : 'already used';
    });
    const proposal = await alice.ledger.signProposal(bob.ref, BANDWIDTH, pay(10n));
    const request = { type: 'sign-request' as const, proposal, context: [] };
    // A copy sent by another peer first must not race the owner's request to a refusal.
    const copied = bob.ledger.serve({ id: 'mallory', publicKey: new Uint8Array(32).fill(3) }, request);
    const first = bob.ledger.serve(alice.ref, request);
    const repeat = bob.ledger.serve(alice.ref, request);
    release();
    expect(await copied).toMatchObject({ type: 'sign-refused', code: 'invalid' });
    const answers = await Promise.all([first, repeat]);
    expect(answers.map((a) => a?.type)).toEqual(['sign-response', 'sign-response']);
    expect(answers[1]).toEqual(answers[0]);
    expect(asked).toBe(1);
    expect((await bob.ledger.ownChain()).length).toBe(1);
    // Decided and answered: a later repeat is answered from storage, without the policy.
    expect(await bob.ledger.serve(alice.ref, request)).toEqual(answers[0]);
    expect(asked).toBe(1);
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
    alice.seams.afterCommit = () => {
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
    await forgeDoubleSign(mallory.ledger, nobleSigner(mallory.seed), bob.ref, carol.ref, BANDWIDTH, pay(7n), Date.now());
    // The two pairs meet at dave (or at bob/carol via gossip); the proof then reaches everyone.
    for (const n of [bob, carol, dave]) await until(() => n.ledger.isFraudster(mallory.ref.publicKey), `${n.ref.id} learns of the fraud`);
    const proofs = await dave.ledger.fraudProofs();
    expect(toHex(proofs[0]!.offender)).toBe(toHex(mallory.ref.publicKey));
    await expect(mallory.ledger.propose(bob.ref, BANDWIDTH, pay(1n))).rejects.toBeInstanceOf(SignRefusedError);
    await expect(bob.ledger.propose(mallory.ref, BANDWIDTH, pay(1n))).rejects.toBeInstanceOf(FraudsterError);
  });

  it('catches one identity on two devices: the seeder keeps the proof of the second agreement at one position, gossips it, and everyone refuses the key', async () => {
    const hub = new MemoryHub();
    const seeder = await node(hub, 'seeder', 5);
    const third = await node(hub, 'third', 3);
    // Two "devices" with the same key and separate stores, neither knowing of the other (each drops its key's blocks from peers).
    const phone = await node(hub, 'phone', 7);
    const laptop = await node(hub, 'laptop', 7);
    for (const d of [phone, laptop]) d.seams.keepOwnBlock = () => false;
    for (const id of ['phone', 'laptop', 'third']) hub.connect('seeder', id);
    const first = await seeder.ledger.propose(phone.ref, BANDWIDTH, pay(100n));
    expect(first.agreement.sequenceNumber).toBe(1);
    // The laptop signs its own block 1 too: the seeder is the one peer holding both.
    await expect(seeder.ledger.propose(laptop.ref, BANDWIDTH, pay(200n))).rejects.toBeInstanceOf(FraudsterError);
    const key = phone.ref.publicKey;
    expect(seeder.ledger.isFraudster(key)).toBe(true);
    expect((await seeder.ledger.fraudProofs()).map((f) => toHex(f.offender))).toEqual([toHex(key)]);
    await until(() => third.ledger.isFraudster(key), 'the proof reaches the third peer by gossip');
    // Refused both ways, on either device, by the seeder and the third.
    await expect(laptop.ledger.propose(seeder.ref, BANDWIDTH, pay(1n))).rejects.toMatchObject({ name: 'SignRefusedError', code: 'fraudster' });
    await expect(seeder.ledger.propose(phone.ref, BANDWIDTH, pay(1n))).rejects.toBeInstanceOf(FraudsterError);
    hub.connect('third', 'phone');
    await expect(phone.ledger.propose(third.ref, BANDWIDTH, pay(1n))).rejects.toMatchObject({ name: 'SignRefusedError', code: 'fraudster' });
    await expect(third.ledger.propose(phone.ref, BANDWIDTH, pay(1n))).rejects.toBeInstanceOf(FraudsterError);
  });

  it('catches the two devices when their agreements at one position come back at the same time', async () => {
    const { seeder, phone, laptop } = await seederAndTwoDevices();
    // Both answers are validated before either is stored: the second one's store finds the first.
    const results = await Promise.allSettled([seeder.ledger.propose(phone.ref, BANDWIDTH, pay(100n)), seeder.ledger.propose(laptop.ref, BANDWIDTH, pay(200n))]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([expect.any(FraudsterError)]);
    expect(seeder.ledger.isFraudster(phone.ref.publicKey)).toBe(true);
    expect((await seeder.ledger.fraudProofs()).map((f) => f.proof.kind)).toEqual(['double-sign']);
  });

  it('never signs over a position another device of the identity used once its block has arrived: nothing is half-stored, nothing forks, the chain goes on after it', async () => {
    const { seeder, phone, laptop } = await seederAndTwoDevices();
    const first = await seeder.ledger.propose(laptop.ref, BANDWIDTH, pay(100n));
    // The laptop's agreement reached the phone (gossip from the seeder; handed over here too); the phone's head is still 0.
    await phone.ledger.ingestBlocks([first.proposal, first.agreement]);
    expect(phone.ledger.own.latest).toBeUndefined();
    // The phone's first try at block 1 is refused by its own store (nothing stored, nothing sent); the request is
    // answered after the laptop's block instead.
    const second = await seeder.ledger.propose(phone.ref, BANDWIDTH, pay(200n));
    expect(second.agreement.sequenceNumber).toBe(2);
    expect(await phone.store.get(phone.ref.publicKey, 1)).toEqual(first.agreement);
    expect(phone.ledger.ownTotals()).toMatchObject({ totalDown: 300n });
    expect(seeder.ledger.isFraudster(phone.ref.publicKey)).toBe(false);
    expect(await seeder.ledger.fraudProofs()).toEqual([]);
  });

  it('a restored identity with an old backup learns its newer head from a peer before it signs, and signs after it', async () => {
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    hub.connect('alice', 'bob');
    await alice.ledger.propose(bob.ref, BANDWIDTH, pay(10n));
    const oldBackup = await alice.ledger.backupRecords();
    await bob.ledger.propose(alice.ref, BANDWIDTH, pay(20n));
    await alice.ledger.propose(bob.ref, BANDWIDTH, pay(30n));
    alice.ledger.stop();
    alice.store.close();

    // The backup from block 1 is restored into a fresh profile; the chain went on to block 3 meanwhile.
    const db = `svc-${++dbSeq}`;
    const fresh = await IdbBlockStore.open(alice.ref.publicKey, Date.now, db);
    await new Ingestor(fresh, defaultRegistry(), inlineVerifier(nobleEngine)).ingest(oldBackup.map((r) => decodeBlock(r)), 'strict');
    fresh.close();
    const restored = await node(hub, 'alice', 1, db);
    expect(restored.ledger.own.latest?.sequenceNumber).toBe(1);
    const synced = restored.ledger.syncOwnHeadBeforeSigning();
    // Asked before any peer is connected: the signature waits for the head sync.
    const proposing = restored.ledger.propose(bob.ref, BANDWIDTH, pay(40n));
    hub.connect('alice', 'bob');
    expect(await synced).toBe(true);
    const { proposal } = await proposing;
    expect(proposal.sequenceNumber).toBe(4);
    expect(bob.ledger.isFraudster(alice.ref.publicKey)).toBe(false);
    expect(restored.ledger.ownTotals()).toMatchObject({ totalUp: 80n, totalDown: 20n });
    // The block learnt from bob is durable: a restart keeps signing after it.
    restored.ledger.stop();
    restored.store.close();
    const again = await node(hub, 'alice', 1, db);
    expect(again.ledger.own.latest?.sequenceNumber).toBe(4);
  });

  it('signs on after the bounded wait when a restored identity reaches nobody', async () => {
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    alice.ledger.own.holdSigning(new Promise(() => undefined), 50);
    const proposing = alice.ledger.propose(bob.ref, BANDWIDTH, pay(1n));
    hub.connect('alice', 'bob');
    expect((await proposing).proposal.sequenceNumber).toBe(1);
  });

  it('counts a peer\'s agreements to proposals that never existed as nothing, and shows them unconfirmed', async () => {
    const hub = new MemoryHub();
    const mallory = await node(hub, 'mallory', 6);
    const bob = await node(hub, 'bob', 2);
    hub.connect('mallory', 'bob');
    await bob.ledger.propose(mallory.ref, BANDWIDTH, pay(1000n)); // mallory downloaded 1000
    const before = await bob.ledger.verifiedBalance(mallory.ref.publicKey);
    for (let i = 0; i < 3; i++) await mintAgreementIn(mallory.ledger, nobleSigner(mallory.seed), testPeer(`ghost${i}`, 40 + i).publicKey, 1n << 40n, Date.now());
    await bob.ledger.crawlChain(mallory.ref, mallory.ref.publicKey);
    const after = await bob.ledger.verifiedBalance(mallory.ref.publicKey);
    expect(before).toMatchObject({ net: -1000n, complete: true });
    expect(after).toMatchObject({ up: 0n, net: -1000n, unconfirmedUp: 3n << 40n, through: 4, head: 4, complete: true });
    // Asked again (the incremental tally resumes before the unconfirmed halves): the same.
    expect(await bob.ledger.verifiedBalance(mallory.ref.publicKey)).toEqual(after);
    expect((await bob.ledger.inspectChain(mallory.ref.publicKey)).map((e) => [e.block.sequenceNumber, e.unconfirmed])).toEqual([[4, true], [3, true], [2, true], [1, false]]);
  });

  it('credits a proposal once its agreement arrives; until then its upload shows as unconfirmed and counts nothing', async () => {
    const hub = new MemoryHub();
    const alice = await node(hub, 'alice', 1);
    const bob = await node(hub, 'bob', 2);
    const carol = await node(hub, 'carol', 3);
    hub.connect('alice', 'bob');
    const { proposal, agreement } = await alice.ledger.propose(bob.ref, BANDWIDTH, pay(700n));
    await carol.ledger.ingestBlocks([proposal]);
    expect(await carol.ledger.verifiedBalance(alice.ref.publicKey)).toMatchObject({ up: 0n, unconfirmedUp: 700n, through: 1, complete: true });
    await carol.ledger.ingestBlocks([agreement]);
    expect(await carol.ledger.verifiedBalance(alice.ref.publicKey)).toMatchObject({ up: 700n, net: 700n, unconfirmedUp: 0n });
  });

  it('keeps and gossips the proof when a crawl meets a fork', async () => {
    const hub = new MemoryHub();
    const [bob, carol, dave, erin] = await Promise.all([node(hub, 'bob', 2), node(hub, 'carol', 3), node(hub, 'dave', 4), node(hub, 'erin', 5)]);
    // Mallory signed block 1 twice, once with each of two strangers; bob holds one version, carol the other.
    const mallory = testPeer('mallory', 6);
    const one = transfer(mallory, testPeer('x', 40), 10n);
    mallory.chain.length = 0;
    const other = transfer(mallory, testPeer('y', 41), 20n);
    await bob.store.putMany([one.proposal, one.agreement], 'strict');
    await carol.store.putMany([other.proposal, other.agreement], 'strict');
    for (const id of ['bob', 'carol', 'erin']) hub.connect('dave', id);
    await dave.ledger.crawl(bob.ref, mallory.publicKey, 1, 1);
    expect(dave.ledger.isFraudster(mallory.publicKey)).toBe(false);
    await dave.ledger.crawl(carol.ref, mallory.publicKey, 1, 1);
    expect(dave.ledger.isFraudster(mallory.publicKey)).toBe(true);
    await until(() => erin.ledger.isFraudster(mallory.publicKey), 'the proof reaches erin by gossip');
  });
});
