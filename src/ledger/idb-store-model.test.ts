/**
 * Model-based properties of IdbBlockStore, through its public API only, so
 * they hold however records are laid out (one per block, or runs of
 * consecutive blocks of one owner stored together and split when a later call
 * moves one of them up a tier). Random chains of three peers, random putMany
 * calls (slices of one chain, scattered blocks, blocks stored before, forged
 * blocks at taken positions) in random tiers; every answer is compared with
 * MemoryBlockStore and a map of tiers. A second property keeps budgets small
 * and checks only the bounds and that the counters agree with what is stored.
 */
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { blockId, blockKey, isAgreement, type HalfBlock } from './block.ts';
import { blockHash, encodeBlock } from './block-codec.ts';
import type { BlockStoreReader, PutResult } from './block-store.ts';
import { MAX_SEQ } from './constants.ts';
import { IdbBlockStore, type Placement, type StorageBudget, type StorageBudgets, type Tier, type Usage } from './idb-store.ts';
import { MemoryBlockStore } from './memory-store.ts';
import { resign, testPeer, transfer, type TestPeer } from './test-support.ts';

const PEERS = [
  ['alice', 1],
  ['bob', 2],
  ['carol', 3],
] as const;
const NAME_OF = new Map(PEERS.map(([name, seed]) => [toHex(testPeer(name, seed).publicKey), name]));
const T0 = 1_700_000_000_000;
const EVERYTHING = 1_000_000;
const RANK: Record<Tier, number> = { stranger: 0, general: 1, pinned: 2 };
const TIERS: readonly Tier[] = ['pinned', 'general', 'stranger'];

let dbCounter = 0;
const freshName = (): string => `idb-model-test-${++dbCounter}`;

/** A short, exact name of a block: owner, position and a prefix of its hash (a forgery differs there). */
function label(b: HalfBlock): string {
  return `${NAME_OF.get(toHex(b.publicKey)) ?? '?'}#${b.sequenceNumber}:${toHex(blockHash(b)).slice(0, 8)}`;
}
const labels = (bs: readonly HalfBlock[]): string[] => bs.map(label);
/** For answers whose order the API does not promise. */
const labelSet = (bs: readonly HalfBlock[]): string[] => labels(bs).sort();
const upTo = (n: number, from = 0): number[] => Array.from({ length: n - from + 1 }, (_, i) => from + i);

// ---- the world: chains of 2-3 peers built from random transfers ----

interface WorldSpec {
  peerCount: number;
  transfers: [number, number, number][];
}

const worldArb: fc.Arbitrary<WorldSpec> = fc.record({
  peerCount: fc.integer({ min: 2, max: 3 }),
  transfers: fc.array(fc.tuple(fc.nat(2), fc.nat(1), fc.integer({ min: 1, max: 1000 })), { minLength: 8, maxLength: 40 }),
});

/** Alice first: the store is hers. Each transfer is a signed proposal and agreement, so every chain is valid. */
function buildPeers(spec: WorldSpec): TestPeer[] {
  const peers = PEERS.slice(0, spec.peerCount).map(([name, seed]) => testPeer(name, seed));
  spec.transfers.forEach(([u, k, bytes], i) => {
    const up = u % peers.length;
    const down = (up + 1 + (k % (peers.length - 1))) % peers.length;
    transfer(peers[up]!, peers[down]!, BigInt(bytes), T0 + 10 * i);
  });
  return peers;
}

// ---- putMany calls ----

type PartSpec =
  /** chain.slice(from, to): consecutive blocks of one owner, what a run is made of. */
  | { kind: 'slice'; peer: number; from: number; to: number }
  /** Single blocks of any chains. */
  | { kind: 'scatter'; picks: [number, number][] }
  /** Blocks stored before (indexes into what the model holds). */
  | { kind: 'again'; picks: number[] }
  /** A different block, re-signed by its owner, at a chain's position. */
  | { kind: 'forge'; picks: [number, number][]; variant: number };

type PlacementSpec = Tier | { perBlock: Tier[]; salt: number };

interface PutSpec {
  kind: 'put';
  parts: PartSpec[];
  order: 'asis' | 'reverse' | 'shuffle';
  seed: number;
  placement: PlacementSpec;
  durability: 'strict' | 'relaxed';
  tick: boolean;
}

type Step = PutSpec | { kind: 'reopen' } | { kind: 'evict'; maxBlocks: number };

const pos = fc.nat({ max: 999 });
const picksArb = (max: number): fc.Arbitrary<[number, number][]> => fc.array(fc.tuple(fc.nat(2), pos), { minLength: 1, maxLength: max });

function partArb(forgeries: boolean): fc.Arbitrary<PartSpec> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('slice' as const), peer: fc.nat(2), from: pos, to: pos }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('scatter' as const), picks: picksArb(6) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('again' as const), picks: fc.array(pos, { minLength: 1, maxLength: 6 }) }) },
    { weight: forgeries ? 1 : 0, arbitrary: fc.record({ kind: fc.constant('forge' as const), picks: picksArb(2), variant: fc.nat(1) }) },
  );
}

// Pinned rarely, or everything would soon be pinned and tiers would stop moving.
const tierArb: fc.Arbitrary<Tier> = fc.oneof({ weight: 3, arbitrary: fc.constant('general' as const) }, { weight: 2, arbitrary: fc.constant('stranger' as const) }, { weight: 1, arbitrary: fc.constant('pinned' as const) });
const placementArb: fc.Arbitrary<PlacementSpec> = fc.oneof({ weight: 3, arbitrary: tierArb }, { weight: 1, arbitrary: fc.record({ perBlock: fc.array(tierArb, { minLength: 1, maxLength: 4 }), salt: fc.nat(7) }) });

function putArb(forgeries: boolean): fc.Arbitrary<PutSpec> {
  return fc.record({
    kind: fc.constant('put' as const),
    parts: fc.array(partArb(forgeries), { minLength: 1, maxLength: 3 }),
    order: fc.constantFrom('asis' as const, 'reverse' as const, 'shuffle' as const),
    seed: fc.nat(),
    placement: placementArb,
    durability: fc.oneof({ weight: 3, arbitrary: fc.constant('relaxed' as const) }, { weight: 1, arbitrary: fc.constant('strict' as const) }),
    tick: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  });
}

/** A placement function must answer the same for the same block: per position, not per call. */
function toPlacement(spec: PlacementSpec): Placement {
  if (typeof spec === 'string') return spec;
  return (b) => spec.perBlock[(b.sequenceNumber + spec.salt + b.publicKey[0]!) % spec.perBlock.length]!;
}

/** Deterministic shuffle (mulberry32), so a failing case replays. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Forgeries are made once per (block, variant): offering the same forgery twice is then 'exists' if it was stored. */
type Forger = (b: HalfBlock, variant: number) => HalfBlock;
function forger(peers: readonly TestPeer[]): Forger {
  const made = new Map<string, HalfBlock>();
  return (b, variant) => {
    const k = `${label(b)}/${variant}`;
    let f = made.get(k);
    if (f === undefined) {
      const owner = peers.find((p) => toHex(p.publicKey) === toHex(b.publicKey))!;
      f = resign(owner, b, { timestamp: b.timestamp + 1 + variant });
      made.set(k, f);
    }
    return f;
  };
}

/** The blocks of one call, in the call's order. `stored`: what the store holds now (for 'again'). */
function blocksOf(spec: PutSpec, peers: readonly TestPeer[], stored: readonly HalfBlock[], forge: Forger): HalfBlock[] {
  const chainAt = ([peer, p]: [number, number]): HalfBlock | undefined => {
    const chain = peers[peer % peers.length]!.chain;
    return chain.length === 0 ? undefined : chain[p % chain.length];
  };
  const blocks: HalfBlock[] = [];
  for (const part of spec.parts) {
    if (part.kind === 'slice') {
      const chain = peers[part.peer % peers.length]!.chain;
      const [a, b] = [part.from % (chain.length + 1), part.to % (chain.length + 1)];
      blocks.push(...chain.slice(Math.min(a, b), Math.max(a, b)));
    } else if (part.kind === 'scatter') {
      for (const pick of part.picks) blocks.push(...[chainAt(pick)].filter((b) => b !== undefined));
    } else if (part.kind === 'again') {
      if (stored.length > 0) blocks.push(...part.picks.map((i) => stored[i % stored.length]!));
    } else {
      for (const pick of part.picks) blocks.push(...[chainAt(pick)].filter((b) => b !== undefined).map((b) => forge(b, part.variant)));
    }
  }
  if (spec.order === 'reverse') return blocks.reverse();
  return spec.order === 'shuffle' ? shuffled(blocks, spec.seed) : blocks;
}

// ---- the model ----

/** What the store should hold: the blocks (MemoryBlockStore keeps the first at each position) and each one's tier. */
class Model {
  readonly blocks = new MemoryBlockStore();
  private readonly tiers = new Map<string, Tier>();

  constructor(private readonly me: Uint8Array) {}

  tierFor(b: HalfBlock, placement: Placement): Tier {
    if (toHex(b.publicKey) === toHex(this.me)) return 'pinned';
    return typeof placement === 'function' ? placement(b) : placement;
  }

  /** A block keeps the highest tier it was offered in; a conflicting block changes nothing. */
  putMany(blocks: readonly HalfBlock[], placement: Placement): PutResult[] {
    return blocks.map((b) => {
      const result = this.blocks.putSync(b);
      const tier = this.tierFor(b, placement);
      const was = this.tiers.get(blockId(b));
      if (result === 'added' || (result === 'exists' && was !== undefined && RANK[tier] > RANK[was])) this.tiers.set(blockId(b), tier);
      return result;
    });
  }

  tierOf(publicKey: Uint8Array, seq: number): Tier | undefined {
    return this.tiers.get(blockKey(publicKey, seq));
  }

  usage(): Usage {
    const tiers = { pinned: { blocks: 0, bytes: 0 }, general: { blocks: 0, bytes: 0 }, stranger: { blocks: 0, bytes: 0 } };
    for (const b of this.blocks.all()) {
      const t = tiers[this.tiers.get(blockId(b))!];
      t.blocks += 1;
      t.bytes += encodeBlock(b).length;
    }
    const sum = (f: 'blocks' | 'bytes'): number => TIERS.reduce((n, t) => n + tiers[t][f], 0);
    return { blocks: sum('blocks'), bytes: sum('bytes'), pinnedBlocks: tiers.pinned.blocks, tiers };
  }

  /** A partner owns a pinned block and is not us. */
  isPartner(publicKey: Uint8Array): boolean {
    const hex = toHex(publicKey);
    return hex !== toHex(this.me) && this.blocks.all().some((b) => toHex(b.publicKey) === hex && this.tiers.get(blockId(b)) === 'pinned');
  }
}

// ---- reads, compared as snapshots ----

interface Reads extends BlockStoreReader {
  getMany(positions: readonly { publicKey: Uint8Array; seq: number }[]): Promise<(HalfBlock | undefined)[]>;
}

function memoryReads(m: MemoryBlockStore): Reads {
  return {
    get: (pk, s) => m.get(pk, s),
    latest: (pk) => m.latest(pk),
    before: (pk, s) => m.before(pk, s),
    after: (pk, s) => m.after(pk, s),
    range: (pk, from, to) => m.range(pk, from, to),
    agreementsFor: (pk, s) => m.agreementsFor(pk, s),
    agreementsInRange: (pk, from, to) => m.agreementsInRange(pk, from, to),
    getMany: async (ps) => ps.map((p) => m.getSync(p.publicKey, p.seq)),
  };
}

type Probe = [number, number];
const one = (b: HalfBlock | undefined): string | null => (b === undefined ? null : label(b));

/**
 * Every query of the reader over positions 0..chain length + 2 of each peer
 * (so past the end and past every stored block), ranges from the probes
 * (from > to included), all started at once as a batch would be.
 * Agreement queries include 0, where the link index also holds proposals
 * (link seq 0): they are not agreements and must not be answered.
 */
async function snapshot(r: Reads, peers: readonly TestPeer[], probes: readonly Probe[]): Promise<unknown> {
  const perPeer = peers.map(async (p) => {
    const pk = p.publicKey;
    const end = p.chain.length + 2;
    const seqs = upTo(end);
    const ranges: Probe[] = [[0, MAX_SEQ], [1, end], ...probes.map(([a, b]): Probe => [a % (end + 1), b % (end + 1)])];
    const agreementRanges = ranges.map(([a, b]): Probe => [a, Math.min(b, end)]);
    const [latest, get, before, after, range, agreementsFor, agreementsInRange] = await Promise.all([
      r.latest(pk).then(one),
      Promise.all(seqs.map((s) => r.get(pk, s).then(one))),
      Promise.all(seqs.map((s) => r.before(pk, s).then(one))),
      Promise.all(seqs.map((s) => r.after(pk, s).then(one))),
      Promise.all(ranges.map(async ([a, b]) => [a, b, labels(await r.range(pk, a, b))])),
      Promise.all(upTo(end).map((s) => r.agreementsFor(pk, s).then(labelSet))),
      Promise.all(agreementRanges.map(async ([a, b]) => [a, b, labelSet(await r.agreementsInRange(pk, a, b))])),
    ]);
    return { peer: p.name, latest, get, before, after, range, agreementsFor, agreementsInRange };
  });
  // Every position of every chain, in an order no index keeps.
  const positions = peers.flatMap((p) => upTo(p.chain.length + 2).map((seq) => ({ publicKey: p.publicKey, seq })));
  const [chains, many] = await Promise.all([Promise.all(perPeer), r.getMany(shuffled(positions, positions.length)).then((bs) => bs.map(one))]);
  return { chains, many };
}

/** Everything the store answers equals what the model says. */
async function expectMatches(store: IdbBlockStore, model: Model, peers: readonly TestPeer[], probes: readonly Probe[]): Promise<void> {
  const expected = await snapshot(memoryReads(model.blocks), peers, probes);
  expect(await snapshot(store, peers, probes)).toEqual(expected);
  expect(await snapshot(store.batchReader(), peers, probes)).toEqual(expected);
  expect(store.usage()).toEqual(model.usage());
  const positions = peers.flatMap((p) => upTo(p.chain.length + 2).map((seq) => [p.publicKey, seq] as const));
  expect(await Promise.all(positions.map(([pk, s]) => store.tierOf(pk, s)))).toEqual(positions.map(([pk, s]) => model.tierOf(pk, s)));
  expect(peers.map((p) => store.isPartner(p.publicKey))).toEqual(peers.map((p) => model.isPartner(p.publicKey)));
  // Sorted, not deduplicated: one call lists each stored block once.
  const all = model.blocks.all();
  expect(labelSet((await store.storedSince(0, EVERYTHING)).blocks)).toEqual(labelSet(all));
  expect(labelSet(await store.newestAgreements(EVERYTHING))).toEqual(labelSet(all.filter(isAgreement)));
}

// ---- eviction: bounds and agreeing counters only ----

interface Found {
  labels: Set<string>;
  pinned: Set<string>;
}

/**
 * Walks every position: what get finds must be the chain's own block, in a
 * tier tierOf names, counted by usage(), within the budgets, and be what
 * range, latest and storedSince list. Which blocks went is not checked.
 */
async function expectWithinBudgets(store: IdbBlockStore, peers: readonly TestPeer[], budgets: StorageBudgets): Promise<Found> {
  const counted = { pinned: { blocks: 0, bytes: 0 }, general: { blocks: 0, bytes: 0 }, stranger: { blocks: 0, bytes: 0 } };
  const found: Found = { labels: new Set(), pinned: new Set() };
  for (const p of peers) {
    const [got, tiers, range, latest] = await Promise.all([
      Promise.all(p.chain.map((b) => store.get(p.publicKey, b.sequenceNumber))),
      Promise.all(p.chain.map((b) => store.tierOf(p.publicKey, b.sequenceNumber))),
      store.range(p.publicKey, 0, MAX_SEQ),
      store.latest(p.publicKey),
    ]);
    const here = got.filter((b) => b !== undefined);
    expect(labels(here)).toEqual(labels(p.chain.filter((_, i) => got[i] !== undefined)));
    expect(tiers.map((t) => t !== undefined)).toEqual(got.map((b) => b !== undefined));
    expect(labels(range)).toEqual(labels(here));
    expect(one(latest)).toEqual(one(here.at(-1)));
    got.forEach((b, i) => {
      if (b === undefined) return;
      const t = tiers[i]!;
      counted[t].blocks += 1;
      counted[t].bytes += encodeBlock(b).length;
      found.labels.add(label(b));
      if (t === 'pinned') found.pinned.add(label(b));
    });
  }
  const usage = store.usage();
  expect(usage.tiers).toEqual(counted);
  expect(usage.blocks).toBe(found.labels.size);
  expect(usage.tiers.general.blocks).toBeLessThanOrEqual(budgets.general.maxBlocks);
  expect(usage.tiers.stranger.blocks).toBeLessThanOrEqual(budgets.stranger.maxBlocks);
  expect(labelSet((await store.storedSince(0, EVERYTHING)).blocks)).toEqual([...found.labels].sort());
  return found;
}

/** Without evictions in between, a block is 'added' unless stored before the call or earlier in it. */
function expectedFresh(blocks: readonly HalfBlock[], storedBefore: ReadonlySet<string>): PutResult[] {
  const seen = new Set(storedBefore);
  return blocks.map((b) => {
    const l = label(b);
    const r = seen.has(l) ? 'exists' : 'added';
    seen.add(l);
    return r;
  });
}

const SMALL: StorageBudgets = { general: { maxBlocks: 10, maxBytes: 1e9 }, stranger: { maxBlocks: 5, maxBytes: 1e9 } };

describe('IdbBlockStore against a model', () => {
  it('answers every query like the model after each putMany, and after reopening', { timeout: 60_000 }, async () => {
    const stepArb: fc.Arbitrary<Step> = fc.oneof({ weight: 8, arbitrary: putArb(true) }, { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) });
    const probesArb = fc.array(fc.tuple(fc.nat(44), fc.nat(44)), { minLength: 2, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(worldArb, fc.array(stepArb, { minLength: 1, maxLength: 8 }), probesArb, async (world, steps, probes) => {
        const peers = buildPeers(world);
        const me = peers[0]!.publicKey;
        const model = new Model(me);
        const forge = forger(peers);
        const name = freshName();
        let clock = 1;
        const now = (): number => clock;
        let store = await IdbBlockStore.open(me, now, name);
        try {
          for (const step of steps) {
            if (step.kind === 'put') {
              const blocks = blocksOf(step, peers, model.blocks.all(), forge);
              const placement = toPlacement(step.placement);
              if (step.tick) clock += 1;
              expect(await store.putMany(blocks, step.durability, placement)).toEqual(model.putMany(blocks, placement));
            } else if (step.kind === 'reopen') {
              store.close();
              store = await IdbBlockStore.open(me, now, name);
            }
            await expectMatches(store, model, peers, probes);
          }
          store.close();
          store = await IdbBlockStore.open(me, now, name);
          await expectMatches(store, model, peers, probes);
        } finally {
          store.close();
        }
      }),
      { numRuns: 30 },
    );
  });

  it('reports a different block at a taken position as a conflict and keeps the first, inside a run and within one call', async () => {
    const [alice, bob] = [testPeer('alice', 1), testPeer('bob', 2)];
    for (let i = 0; i < 6; i++) transfer(bob, alice, 1n, T0 + 10 * i);
    const forged = (i: number): HalfBlock => resign(bob, bob.chain[i]!, { timestamp: bob.chain[i]!.timestamp + 1 });
    const store = await IdbBlockStore.open(alice.publicKey, () => 1, freshName());
    try {
      // Bob's chain stored in one call (a run), then a forgery of its middle, offered pinned: no upgrade either.
      expect(await store.putMany(bob.chain, 'relaxed', 'general')).toEqual(Array(6).fill('added'));
      expect(await store.putMany([forged(2), bob.chain[3]!], 'relaxed', 'pinned')).toEqual(['conflict', 'exists']);
      expect(one(await store.get(bob.publicKey, 3))).toBe(label(bob.chain[2]!));
      expect(await store.tierOf(bob.publicKey, 3)).toBe('general');
      expect(await store.tierOf(bob.publicKey, 4)).toBe('pinned');
      expect(labels(await store.range(bob.publicKey, 1, 6))).toEqual(labels(bob.chain));
      // Forgeries of stored blocks between new ones, and a forgery of a block stored earlier in the same call.
      const mixed = [alice.chain[0]!, forged(0), alice.chain[1]!, forged(1)];
      expect(await store.putMany(mixed, 'strict', 'general')).toEqual(['added', 'conflict', 'added', 'conflict']);
      expect(await store.putMany([alice.chain[2]!, resign(alice, alice.chain[2]!, { timestamp: 1 })], 'relaxed')).toEqual(['added', 'conflict']);
      expect(one(await store.get(alice.publicKey, 3))).toBe(label(alice.chain[2]!));
      expect(store.usage()).toMatchObject({ blocks: 9, pinnedBlocks: 4 });
    } finally {
      store.close();
    }
  });

  // Found by the model on the one-record-per-block store: each copy moved the counters.
  it('moves a stored block up a tier once when one call offers it twice', async () => {
    const [alice, bob] = [testPeer('alice', 1), testPeer('bob', 2)];
    transfer(bob, alice, 1n);
    const name = freshName();
    const store = await IdbBlockStore.open(alice.publicKey, () => 1, name);
    const block = bob.chain[0]!;
    const size = encodeBlock(block).length;
    const tiers = { pinned: { blocks: 0, bytes: 0 }, general: { blocks: 1, bytes: size }, stranger: { blocks: 0, bytes: 0 } };
    try {
      await store.putMany([block], 'relaxed', 'stranger');
      expect(await store.putMany([block, block], 'relaxed', 'general')).toEqual(['exists', 'exists']);
      expect(await store.tierOf(bob.publicKey, 1)).toBe('general');
      expect(store.usage().tiers).toEqual(tiers);
    } finally {
      store.close();
    }
    const again = await IdbBlockStore.open(alice.publicKey, () => 1, name);
    expect(again.usage().tiers).toEqual(tiers);
    again.close();
  });

  it('keeps each tier within its budget, and usage() agrees with what the reads find', { timeout: 60_000 }, async () => {
    const evictArb = fc.record({ kind: fc.constant('evict' as const), maxBlocks: fc.nat(10) });
    const stepArb: fc.Arbitrary<Step> = fc.oneof({ weight: 6, arbitrary: putArb(false) }, { weight: 1, arbitrary: evictArb });
    await fc.assert(
      fc.asyncProperty(worldArb, fc.array(stepArb, { minLength: 1, maxLength: 10 }), async (world, steps) => {
        const peers = buildPeers(world);
        const me = peers[0]!.publicKey;
        const model = new Model(me); // only for tierFor
        const name = freshName();
        let clock = 1;
        const now = (): number => clock;
        let store = await IdbBlockStore.open(me, now, name, SMALL);
        // Pinned blocks are never evicted: exactly the blocks ever offered pinned are there.
        const everPinned = new Set<string>();
        try {
          let found = await expectWithinBudgets(store, peers, SMALL);
          for (const step of steps) {
            if (step.kind === 'put') {
              const stored = peers.flatMap((p) => p.chain).filter((b) => found.labels.has(label(b)));
              const blocks = blocksOf(step, peers, stored, forger(peers));
              const placement = toPlacement(step.placement);
              clock += 1;
              expect(await store.putMany(blocks, step.durability, placement)).toEqual(expectedFresh(blocks, found.labels));
              for (const b of blocks) if (model.tierFor(b, placement) === 'pinned') everPinned.add(label(b));
              found = await expectWithinBudgets(store, peers, SMALL);
            } else if (step.kind === 'evict') {
              const general: StorageBudget = { maxBlocks: step.maxBlocks, maxBytes: 1e9 };
              const before = store.usage().blocks;
              const removed = await store.evict(general);
              expect(store.usage().blocks).toBe(before - removed);
              found = await expectWithinBudgets(store, peers, { ...SMALL, general });
            }
            expect([...found.pinned].sort()).toEqual([...everPinned].sort());
          }
          const usage = store.usage();
          store.close();
          store = await IdbBlockStore.open(me, now, name, SMALL);
          expect(store.usage()).toEqual(usage);
          expect((await expectWithinBudgets(store, peers, SMALL)).labels).toEqual(found.labels);
        } finally {
          store.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});
