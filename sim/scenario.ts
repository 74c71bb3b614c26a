/**
 * Pure: builds the simulated network of `npm run sim` — who gave how many bytes to whom — as a
 * ContributionGraph, deterministic given the seed. No clock, no I/O.
 *
 * Population (honest = peers − Sybil identities):
 * - cooperators upload and download, each with its own upload capacity (skewed, so honest
 *   contributions differ and rank quality means something);
 * - free-riders only download;
 * - whitewashers only download, and drop their key for a fresh one every few rounds;
 * - Sybil rings of k identities: together they give a fixed small amount of real upload to
 *   honest cooperators (split over the k members, the strongest split for the attacker), then every
 *   member signs a large transfer to every other member; they also download from honest peers.
 */
import { ContributionGraph } from '../src/reputation/contribution-graph.ts';
import { seededRandom } from '../src/reputation/prng.ts';
import {
  COOPERATOR_SHARE,
  FREE_RIDER_SHARE,
  MIN_HONEST_PEERS,
  PIECE_BYTES_MAX,
  PIECE_BYTES_MIN,
  ROUNDS,
  SYBIL_MINTED_BYTES,
  SYBIL_REAL_UPLOAD_BYTES,
  WHITEWASH_EVERY_ROUNDS,
} from './constants.ts';

export type Role = 'cooperator' | 'free-rider' | 'whitewasher' | 'sybil';

export interface Peer {
  readonly key: string;
  readonly role: Role;
  /** Index of the Sybil ring this identity belongs to (sybils only). */
  readonly ring?: number;
}

export interface Ring {
  readonly size: number;
  readonly members: readonly string[];
  /** Bytes the ring really uploaded to honest peers (the denominator of the Sybil gain). */
  readonly realGiven: bigint;
  /** Bytes the ring's members claim to have uploaded, minted transfers included (what a raw balance sees). */
  readonly claimedGiven: bigint;
}

export interface ScenarioOptions {
  readonly peers: number;
  readonly seed: number;
  readonly ringSizes: readonly number[];
  readonly rounds?: number;
}

export interface Scenario {
  readonly graph: ContributionGraph;
  /** Every identity that ever existed (a whitewasher's old keys included). */
  readonly peers: readonly Peer[];
  readonly rings: readonly Ring[];
  /** Honest peers (cooperators and free-riders): the evaluators and the subjects of rank quality. */
  readonly honest: readonly string[];
  /** Bytes each key really uploaded minus what it downloaded. */
  readonly netContribution: ReadonlyMap<string, bigint>;
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** Builds the network; same options, same graph, edge for edge. */
export function buildScenario(options: ScenarioOptions): Scenario {
  const sybilCount = options.ringSizes.reduce((a, k) => a + k, 0);
  const honestCount = options.peers - sybilCount;
  if (honestCount < MIN_HONEST_PEERS) {
    throw new ScenarioError(
      `${options.peers} peers leave ${honestCount} honest ones beside ${sybilCount} Sybil identities; ` +
        `use at least ${sybilCount + MIN_HONEST_PEERS} peers or smaller rings.`,
    );
  }
  const random = seededRandom(options.seed);
  const graph = new ContributionGraph();
  const net = new Map<string, bigint>();
  const peers: Peer[] = [];
  const give = (from: string, to: string, bytes: bigint, at: number, real = true): void => {
    graph.add({ from, to, bytes, at });
    if (!real) return;
    net.set(from, (net.get(from) ?? 0n) + bytes);
    net.set(to, (net.get(to) ?? 0n) - bytes);
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const piece = (): bigint => BigInt(Math.round(PIECE_BYTES_MIN + random() * (PIECE_BYTES_MAX - PIECE_BYTES_MIN)));

  const cooperatorCount = Math.max(2, Math.round(honestCount * COOPERATOR_SHARE));
  const freeRiderCount = Math.round(honestCount * FREE_RIDER_SHARE);
  const whitewasherCount = Math.max(0, honestCount - cooperatorCount - freeRiderCount);
  const cooperators: string[] = [];
  const capacity = new Map<string, number>();
  for (let i = 0; i < cooperatorCount; i++) {
    const key = `coop-${i}`;
    cooperators.push(key);
    // Pareto-like capacities: a few big uploaders, many small ones.
    capacity.set(key, 1 / Math.max(0.05, random()));
    peers.push({ key, role: 'cooperator' });
  }
  const freeRiders: string[] = [];
  for (let i = 0; i < freeRiderCount; i++) {
    freeRiders.push(`free-${i}`);
    peers.push({ key: `free-${i}`, role: 'free-rider' });
  }
  const whitewashers = Array.from({ length: whitewasherCount }, (_, i) => `wash-${i}-0`);
  for (const key of whitewashers) peers.push({ key, role: 'whitewasher' });

  // Uploaders are chosen in proportion to capacity (cumulative table, binary search).
  const cumulative: number[] = [];
  let total = 0;
  for (const c of cooperators) cumulative.push((total += capacity.get(c)!));
  const uploader = (not: string): string => {
    for (;;) {
      const x = random() * total;
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      const key = cooperators[lo]!;
      if (key !== not) return key;
    }
  };

  const rings: Ring[] = [];
  const sybils: string[] = [];
  options.ringSizes.forEach((size, r) => {
    const members = Array.from({ length: size }, (_, i) => `sybil-${r}-${i}`);
    for (const key of members) peers.push({ key, role: 'sybil', ring: r });
    sybils.push(...members);
    const share = SYBIL_REAL_UPLOAD_BYTES / BigInt(size);
    for (const m of members) give(m, pick(cooperators), share, 0);
    for (const a of members) for (const b of members) if (a !== b) give(a, b, SYBIL_MINTED_BYTES, 0, false);
    const realGiven = share * BigInt(size);
    rings.push({ size, members, realGiven, claimedGiven: realGiven + SYBIL_MINTED_BYTES * BigInt(size * (size - 1)) });
  });

  const rounds = options.rounds ?? ROUNDS;
  for (let round = 1; round <= rounds; round++) {
    for (const c of cooperators) give(uploader(c), c, piece(), round);
    for (const f of freeRiders) give(uploader(f), f, piece(), round);
    for (let w = 0; w < whitewashers.length; w++) {
      if (round % WHITEWASH_EVERY_ROUNDS === 0) {
        const key = `wash-${w}-${round / WHITEWASH_EVERY_ROUNDS}`;
        whitewashers[w] = key;
        peers.push({ key, role: 'whitewasher' });
      }
      give(uploader(whitewashers[w]!), whitewashers[w]!, piece(), round);
    }
    for (const s of sybils) give(uploader(s), s, piece(), round);
  }

  return { graph, peers, rings, honest: [...cooperators, ...freeRiders], netContribution: net };
}
