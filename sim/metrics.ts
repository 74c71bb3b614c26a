/**
 * Pure: the simulation's figures, from a scenario and a reputation function.
 *
 * Sybil gain of a ring, in one honest evaluator's eyes = the ring's total trust ÷ the trust of its
 * honest twin: a peer that really gave the same bytes to the same peers and signed nothing else.
 * The twin's trust is (1 − α) Σ_h π(h) · bytes(ring→h) / received(h), i.e. α × the method's
 * `sybilBound`, so the stated bound reads: gain ≤ 1/α, for any ring size. The raw gain is what a
 * raw-upload ledger grants the ring: claimed ÷ real bytes given.
 * Standing per byte = the ring's trusted standing (bytes, reputation.ts) ÷ bytes it really gave;
 * an honest cooperator's figure is given beside it for scale.
 * Rank quality = Spearman correlation between honest peers' true net contribution and their mean
 * trust over the sampled evaluators (each evaluator's view of itself left out).
 */
import type { ContributionGraph } from '../src/reputation/contribution-graph.ts';
import { seededRandom } from '../src/reputation/prng.ts';
import { regionScore, sybilBound, trustedStandings } from '../src/reputation/reputation.ts';
import type { Scenario } from './scenario.ts';

/** Personalized trust of every key from `seeds`' point of view, deterministic given `random`. */
export type ReputationFn = (graph: ContributionGraph, seeds: readonly string[], random: () => number) => Map<string, number>;

export interface MeasureOptions {
  readonly reputation: ReputationFn;
  /** The method's stop probability, for the twin's trust and the trusted standing. */
  readonly alpha: number;
  readonly evaluators: number;
  readonly seed: number;
}

export interface RingFigure {
  readonly size: number;
  /** Mean over evaluators of ring trust ÷ honest twin's trust (bound: 1/α). */
  readonly gain: number;
  /** The worst evaluator's view of the same ratio. */
  readonly maxGain: number;
  /** Mean over evaluators of the ring's trusted standing ÷ bytes it really gave. */
  readonly standingPerByte: number;
  /** What a raw-upload ledger grants the ring per real byte: claimed ÷ real. */
  readonly rawGain: number;
}

export interface Figures {
  readonly evaluators: number;
  readonly rings: readonly RingFigure[];
  /** Mean over evaluators and cooperators of trusted standing ÷ bytes really given (scale for standingPerByte). */
  readonly cooperatorStandingPerByte: number;
  /** Spearman ρ between honest peers' true net contribution and their mean trust. */
  readonly rankQuality: number;
  /** Mean trust of a whitewasher key (any generation) and of a free-rider: both only download. */
  readonly whitewasherTrust: number;
  readonly freeRiderTrust: number;
  /** Honest peers' (true net contribution, mean trust) pairs, for the scatter chart. */
  readonly honestPoints: readonly { readonly key: string; readonly role: string; readonly net: number; readonly trust: number }[];
}

/** Evaluators drawn from the honest peers: a seeded shuffle, so the sample depends only on the seed. */
export function sampleEvaluators(honest: readonly string[], count: number, seed: number): string[] {
  const random = seededRandom(seed ^ 0x5eed);
  const pool = [...honest];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, Math.min(count, pool.length));
}

function totalGiven(graph: ContributionGraph, key: string): bigint {
  let given = 0n;
  for (const bytes of graph.given(key).values()) given += bytes;
  return given;
}

export function measure(scenario: Scenario, options: MeasureOptions): Figures {
  const { reputation, alpha, seed } = options;
  const { graph } = scenario;
  const evaluators = sampleEvaluators(scenario.honest, options.evaluators, seed);
  const regions = scenario.rings.map((ring) => new Set(ring.members));
  const role = new Map(scenario.peers.map((p) => [p.key, p.role]));
  const cooperators = scenario.honest.filter((h) => role.get(h) === 'cooperator');
  const given = new Map(cooperators.map((c) => [c, totalGiven(graph, c)]));
  const washers = scenario.peers.filter((p) => p.role === 'whitewasher').map((p) => p.key);
  const freeRiders = scenario.peers.filter((p) => p.role === 'free-rider').map((p) => p.key);

  const gains: number[][] = scenario.rings.map(() => []);
  const standings: number[][] = scenario.rings.map(() => []);
  const coopStandings: number[] = [];
  const trustSum = new Map<string, number>();
  const trustCount = new Map<string, number>();
  const washTrust: number[] = [];
  const freeTrust: number[] = [];

  evaluators.forEach((evaluator, i) => {
    // One stream per evaluator, so its view does not depend on the others' order.
    const scores = reputation(graph, [evaluator], seededRandom(seed * 1_000_003 + i));
    const standingOf = trustedStandings(graph, [evaluator], scores, alpha);
    scenario.rings.forEach((ring, r) => {
      const trust = regionScore(scores, ring.members);
      const twin = alpha * sybilBound(graph, scores, regions[r]!, alpha);
      gains[r]!.push(twin > 0 ? trust / twin : trust > 0 ? Infinity : 0);
      const standing = ring.members.reduce((a, m) => a + standingOf(m), 0n);
      standings[r]!.push(Number(standing) / Number(ring.realGiven));
    });
    for (const c of cooperators) {
      if (c === evaluator || given.get(c)! === 0n) continue;
      coopStandings.push(Number(standingOf(c)) / Number(given.get(c)!));
    }
    for (const h of scenario.honest) {
      if (h === evaluator) continue;
      trustSum.set(h, (trustSum.get(h) ?? 0) + (scores.get(h) ?? 0));
      trustCount.set(h, (trustCount.get(h) ?? 0) + 1);
    }
    washTrust.push(regionScore(scores, washers) / Math.max(1, washers.length));
    const others = freeRiders.filter((f) => f !== evaluator);
    freeTrust.push(regionScore(scores, others) / Math.max(1, others.length));
  });

  const honestPoints = scenario.honest.map((key) => ({
    key,
    role: role.get(key)!,
    net: Number(scenario.netContribution.get(key) ?? 0n),
    trust: (trustSum.get(key) ?? 0) / Math.max(1, trustCount.get(key) ?? 0),
  }));
  return {
    evaluators: evaluators.length,
    rings: scenario.rings.map((ring, r) => ({
      size: ring.size,
      gain: mean(gains[r]!),
      maxGain: Math.max(0, ...gains[r]!),
      standingPerByte: mean(standings[r]!),
      rawGain: Number(ring.claimedGiven) / Number(ring.realGiven),
    })),
    cooperatorStandingPerByte: mean(coopStandings),
    rankQuality: spearman(
      honestPoints.map((p) => p.net),
      honestPoints.map((p) => p.trust),
    ),
    whitewasherTrust: mean(washTrust),
    freeRiderTrust: mean(freeTrust),
    honestPoints,
  };
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, x) => a + x, 0) / xs.length;
}

/** Ranks from 1, ties sharing their mean rank (so many zero scores do not fake an order). */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Spearman's ρ: Pearson correlation of the ranks; 0 when either side is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const ma = mean(ra);
  const mb = mean(rb);
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < ra.length; i++) {
    const da = ra[i]! - ma;
    const db = rb[i]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return va === 0 || vb === 0 ? 0 : cov / Math.sqrt(va * vb);
}
