import { afterEach, describe, expect, it, vi } from 'vitest';
import { bytesEqual, toHex } from '../codec/bytes.ts';
import { isAgreement, type HalfBlock } from '../ledger/block.ts';
import type { LedgerEvent } from '../ledger/ledger-service.ts';
import { registry, testPeer, transfer } from '../ledger/test-support.ts';
import { ReputationClient, type WorkerPort } from '../workers/reputation-client.ts';
import { ReputationHost } from '../workers/reputation-host.ts';
import { READ_STORED_PER_TIER, RECOMPUTE_DEBOUNCE_MS } from './constants.ts';
import { CRAWL_INGEST_BLOCKS } from '../ledger/constants.ts';
import { ReputationService } from './reputation-service.ts';
import { isUntrusted } from './untrusted.ts';

const hex = (p: { publicKey: Uint8Array }) => toHex(p.publicKey);

/** A worker in this thread (as in reputation-host.test.ts); `crash` makes it fail like a worker that could not load. */
function inProcessWorker(crash = false): WorkerPort {
  const host = new ReputationHost(() => 0);
  const port: WorkerPort = {
    onmessage: null,
    onerror: null,
    postMessage(m: unknown) {
      const answer = host.handle(structuredClone(m));
      queueMicrotask(() => (crash ? port.onerror?.({ message: 'failed to load' } as ErrorEvent) : port.onmessage?.({ data: structuredClone(answer) } as MessageEvent)));
    },
    terminate() {},
  };
  return port;
}

/** A block store over a list (newest last) and a ledger whose events the test fires. */
function fakeLedger(me: Uint8Array, blocks: HalfBlock[]) {
  let listener: ((e: LedgerEvent) => void) | undefined;
  return {
    blocks,
    fire: () => listener?.({ type: 'ingested', added: 1 }),
    ledger: { publicKey: me, subscribe: (l: (e: LedgerEvent) => void) => ((listener = l), () => (listener = undefined)) },
    // A block's place in the list (from 1) is when it was stored.
    store: {
      newestAgreements: async (limit: number) => blocks.filter(isAgreement).reverse().slice(0, limit),
      newestStoredAt: async () => blocks.length,
      storedSince: async (since: number, limit: number) => {
        const read = blocks.slice(Math.max(0, since - 1), Math.max(0, since - 1) + limit);
        return { blocks: read, through: Math.max(since, Math.max(0, since - 1) + read.length) };
      },
      agreementsFor: async (proposer: Uint8Array, seq: number) => blocks.filter((b) => isAgreement(b) && bytesEqual(b.linkPublicKey, proposer) && b.linkSequenceNumber === seq),
      getMany: async (positions: readonly { publicKey: Uint8Array; seq: number }[]) =>
        positions.map((p) => blocks.find((b) => bytesEqual(b.publicKey, p.publicKey) && b.sequenceNumber === p.seq)),
    },
  };
}

function recomputed(service: ReputationService): Promise<void> {
  return new Promise((resolve) => {
    const off = service.subscribe(() => (off(), resolve()));
  });
}

afterEach(() => {
  vi.useRealTimers();
});

/** Alice gave me 5 MiB; two ring keys signed each other 10 GiB. The service starts over those pairs. */
function uploaderAndRing() {
  const me = testPeer('me', 1);
  const alice = testPeer('alice', 2);
  const [s1, s2] = [testPeer('sybil1', 3), testPeer('sybil2', 4)];
  const up = transfer(alice, me, 5n << 20n);
  const ring = transfer(s1, s2, 10n << 30n);
  const fake = fakeLedger(me.publicKey, [up.proposal, up.agreement, ring.proposal, ring.agreement]);
  return { alice, s1, service: ReputationService.start({ ...fake, registry, client: new ReputationClient(inProcessWorker()) }) };
}

/** A service over an empty store, on fake timers, once trust is available; Alice and I have no pairs yet. */
async function startedEmpty() {
  vi.useFakeTimers();
  const me = testPeer('me', 1);
  const alice = testPeer('alice', 2);
  const fake = fakeLedger(me.publicKey, []);
  const service = ReputationService.start({ ...fake, registry, client: new ReputationClient(inProcessWorker()) });
  await vi.waitUntil(() => service.standing(hex(alice)) !== undefined);
  return { me, alice, fake, service };
}

describe('ReputationService', () => {
  it('feeds the stored pairs at start: an uploader to me stands at what it gave, a ring that minted among itself at 0', async () => {
    const { alice, s1, service } = uploaderAndRing();
    expect(service.standing(hex(alice))).toBeUndefined();
    await recomputed(service);
    expect(service.standing(hex(alice))).toBe(5n << 20n);
    expect(service.trust(hex(alice))).toBeGreaterThan(0);
    expect(service.standing(hex(s1))).toBe(0n);
    expect(isUntrusted(10n << 30n, service.standing(hex(s1))!)).toBe(true);
    expect(service.topGivers(1)).toEqual([hex(s1)]);
    service.stop();
  });

  it('judges a verified balance by trust: an uploader to me at face value, a ring member on its debits alone, everyone as a newcomer before the first recompute', async () => {
    const { alice, s1, service } = uploaderAndRing();
    const aliceTally = { up: 5n << 20n, down: 1n << 20n };
    const s1Tally = { up: 10n << 30n, down: 2n << 20n };
    expect(service.judge(hex(alice), aliceTally)).toBe(-(1n << 20n));
    expect(service.judge(hex(s1), s1Tally)).toBe(-(2n << 20n));
    await recomputed(service);
    expect(service.judge(hex(alice), aliceTally)).toBe(4n << 20n);
    expect(service.judge(hex(s1), s1Tally)).toBe(-(2n << 20n));
    service.stop();
  });

  it('converts standing to bytes at the giving rate once enough givers stand: a typical giver is credited in full, a ring still on its debits alone', async () => {
    const me = testPeer('me', 1);
    const blocks: HalfBlock[] = [];
    // Six peers each gave me 10 MiB and strangers 990 MiB: each stands at 1 % of what it gave.
    const givers = Array.from({ length: 6 }, (_, i) => testPeer(`giver${i}`, 10 + i));
    for (const [i, g] of givers.entries()) {
      for (const pair of [transfer(g, me, 10n << 20n), transfer(g, testPeer(`stranger${i}`, 20 + i), 990n << 20n)]) blocks.push(pair.proposal, pair.agreement);
    }
    const [s1, s2] = [testPeer('sybil1', 3), testPeer('sybil2', 4)];
    const ring = transfer(s1, s2, 10n << 30n);
    blocks.push(ring.proposal, ring.agreement);
    const service = ReputationService.start({ ...fakeLedger(me.publicKey, blocks), registry, client: new ReputationClient(inProcessWorker()) });
    await recomputed(service);
    const giver = hex(givers[0]!);
    expect(service.standing(giver)).toBe(10n << 20n);
    // Shown as what that standing is worth: what a typical giver gave (1000 MiB), not the 10 MiB of standing.
    expect(service.trustedBytes(giver)).toBe(1000n << 20n);
    expect(service.trustedBytes(hex(s1))).toBe(0n);
    // Gave 1000 MiB, took 900: +100 MiB (standing taken as bytes judged it at -890 MiB and refused it).
    expect(service.judge(giver, { up: 1000n << 20n, down: 900n << 20n })).toBe(100n << 20n);
    expect(service.judge(hex(s1), { up: 10n << 30n, down: 2n << 20n })).toBe(-(2n << 20n));
    service.stop();
  });

  it('after a burst of ledger events, feeds only the new pairs (a pair read again never counts twice)', async () => {
    vi.useFakeTimers();
    const me = testPeer('me', 1);
    const alice = testPeer('alice', 2);
    const first = transfer(alice, me, 1000n);
    const fake = fakeLedger(me.publicKey, [first.proposal, first.agreement]);
    const service = ReputationService.start({ ...fake, registry, client: new ReputationClient(inProcessWorker()) });
    await vi.waitUntil(() => service.standing(hex(alice)) !== undefined);
    expect(service.standing(hex(alice))).toBe(1000n);
    const second = transfer(alice, me, 500n);
    fake.blocks.push(second.proposal, second.agreement);
    fake.fire();
    fake.fire();
    const done = recomputed(service);
    await vi.advanceTimersByTimeAsync(RECOMPUTE_DEBOUNCE_MS);
    await done;
    expect(service.standing(hex(alice))).toBe(1500n);
    service.stop();
  });

  it('an agreement stored before its proposal (its chain crawled first) counts once the proposal is stored, and only once', async () => {
    const { alice, me, fake, service } = await startedEmpty();
    const burst = async (...blocks: HalfBlock[]) => {
      fake.blocks.push(...blocks);
      fake.fire();
      await vi.advanceTimersByTimeAsync(RECOMPUTE_DEBOUNCE_MS);
    };
    const t = transfer(alice, me, 700n);
    const other = transfer(alice, me, 1n);
    await burst(t.agreement, other.proposal);
    await burst(t.proposal);
    await vi.waitUntil(() => service.standing(hex(alice)) === 700n);
    // The second pair completes the other way round; the first is not read again.
    await burst(other.agreement);
    await vi.waitUntil(() => service.standing(hex(alice)) !== 700n);
    expect(service.standing(hex(alice))).toBe(701n);
    service.stop();
  });

  it('reads more blocks per tier than one crawl batch stores at one instant, so none of a batch is skipped', () => {
    expect(READ_STORED_PER_TIER).toBeGreaterThan(CRAWL_INGEST_BLOCKS);
  });

  it('recomputes within RECOMPUTE_DEBOUNCE_MS of the first event even while events keep coming (a long transfer)', async () => {
    const { alice, me, fake, service } = await startedEmpty();
    const t = transfer(alice, me, 800n);
    fake.blocks.push(t.proposal, t.agreement);
    for (let i = 0; i < 4; i++) {
      fake.fire();
      await vi.advanceTimersByTimeAsync(RECOMPUTE_DEBOUNCE_MS / 2);
    }
    expect(service.standing(hex(alice))).toBe(800n);
    service.stop();
  });

  it('explains a peer by its paths from my key: direct and through a peer that gave to me; none for a ring; undefined before trust', async () => {
    const me = testPeer('me', 1);
    const alice = testPeer('alice', 2);
    const bob = testPeer('bob', 3);
    const [s1, s2] = [testPeer('sybil1', 4), testPeer('sybil2', 5)];
    const pairs = [transfer(alice, me, 3000n), transfer(bob, alice, 700n), transfer(bob, me, 1000n), transfer(s1, s2, 1n << 40n)];
    const fake = fakeLedger(me.publicKey, pairs.flatMap((t) => [t.proposal, t.agreement]));
    const service = ReputationService.start({ ...fake, registry, client: new ReputationClient(inProcessWorker()) });
    expect(await service.why(hex(bob))).toBeUndefined();
    await recomputed(service);
    const paths = await service.why(hex(bob));
    // me received 3000 from alice and 1000 from bob: alice's share 3/4, bob's 1/4; alice received only from bob.
    expect(paths).toEqual([
      { seed: hex(me), steps: [{ key: hex(alice), bytes: 3000n }, { key: hex(bob), bytes: 700n }], strength: 0.75 },
      { seed: hex(me), steps: [{ key: hex(bob), bytes: 1000n }], strength: 0.25 },
    ]);
    expect(await service.why(hex(s1))).toEqual([]);
    expect(await service.why(hex(me))).toEqual([]);
    service.stop();
  });

  it('when the worker fails, trust is unavailable and nothing throws', async () => {
    const me = testPeer('me', 1);
    const alice = testPeer('alice', 2);
    const t = transfer(alice, me, 1000n);
    const fake = fakeLedger(me.publicKey, [t.proposal, t.agreement]);
    const service = ReputationService.start({ ...fake, registry, client: new ReputationClient(inProcessWorker(true)) });
    await recomputed(service);
    expect(service.standing(hex(alice))).toBeUndefined();
    expect(service.trust(hex(alice))).toBeUndefined();
    fake.fire();
    service.stop();
  });
});
