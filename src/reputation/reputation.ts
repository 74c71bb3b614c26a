/**
 * Pure: personalized, Sybil-tolerant trust of every key from my own keys'
 * point of view, over the contribution graph.
 *
 * Method: personalized PageRank (random walks with restart) whose walk
 * follows contributions backwards. A walk starts at one of my keys; at each
 * step it stops with probability α (transitivity decay), otherwise it moves
 * from the node it is at, v, to a peer u that GAVE to v, with probability
 * bytes(u→v) / bytes v received in all. It ends at a node that received
 * nothing. The score of a key is α × its expected number of visits, so the
 * scores sum to at most 1. Trust thus flows from me to those who uploaded to
 * me, then to those who uploaded to them: an uploader earns trust by giving;
 * a peer that only downloaded (a free-rider) is never reached and scores 0.
 *
 * Why this method (issue #13):
 * - Personalized, hence Sybil-tolerant (Cheng & Friedman 2005: no global
 *   function can be): a ring is reached only through edges honest peers
 *   signed with it.
 * - Computed exactly by power iteration (`exactReputation`): deterministic
 *   without a seed, and 100k edges take tens of milliseconds, well inside the
 *   200 ms worker budget, so no need for Monte Carlo's noise. The
 *   Monte-Carlo walks (`reputation`, seeded) estimate the same quantity;
 *   they are kept for the simulation and for a later incremental version.
 * - BarterCast's max-flow gives each key a bound too, but per key: k ring
 *   members each get up to the whole cut, so a ring's total grows with k.
 *   MeritRank's connectivity decay (discounting keys reached only through one
 *   bridge) needs per-walk path bookkeeping; the bound below holds without
 *   it, so it is left for a later round. Its epoch decay hurt in its own
 *   experiments, so there is none.
 *
 * Sybil bound (a theorem for this method, whatever k and whatever the ring
 * signs inside itself; tight when walks cannot leave S, as tested). Let S be a set of keys none of which is mine, and π the
 * scores. A walk can enter S only by a step from an honest h ∉ S to s ∈ S,
 * i.e. over an edge s→h: bytes that s really gave to h, countersigned by h.
 * Each entry stays inside at most 1/α steps on average (it stops with
 * probability α per step), and S's first step is never mine. Hence
 *     π(S) ≤ ((1 − α) / α) · Σ_{h ∉ S} π(h) · bytes(S→h) / received(h)
 * (`sybilBound`). Minted edges inside S do not appear on the right. If S
 * received nothing from honest peers, walks never leave S, π on the honest
 * side is independent of S's inside, and the right side is a constant in k.
 * In trustedStanding's byte units (below), for a ring that gave only to me:
 * the ring's total standing ≤ (bytes it gave me) / α = 3× at α = 1/3, the
 * same for 1 key or 50. The factor 1/α is the price of counting visits: a
 * ring (like any cycle of honest traders) recycles the trust that entered it.
 * A larger α lowers it and shortens how far trust reaches (constants.ts).
 */
import { ALPHA, EXACT_TOLERANCE, MAX_STEPS, WALKS_PER_SEED } from './constants.ts';
import type { ContributionGraph } from './contribution-graph.ts';

export interface ReputationParams {
  /** Stop probability per step (transitivity decay). */
  alpha: number;
  /** Monte-Carlo walks per seed key. */
  walks: number;
  /** Longest walk, and most power-iteration rounds. */
  maxSteps: number;
}

export const DEFAULT_REPUTATION: ReputationParams = { alpha: ALPHA, walks: WALKS_PER_SEED, maxSteps: MAX_STEPS };

/** The graph as arrays: for each node v, the peers that gave to v and the step probabilities to them. */
interface WalkGraph {
  keys: string[];
  index: Map<string, number>;
  /** givers of node v are givers[start[v] .. start[v+1]). */
  start: Int32Array;
  givers: Int32Array;
  /** Step probability to each giver (bytes given / bytes v received). */
  share: Float64Array;
  /** Running sum of `share` within each node's range, for sampling. */
  cumulative: Float64Array;
}

function walkGraph(graph: ContributionGraph, seeds: readonly string[]): WalkGraph {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const intern = (k: string) => {
    let i = index.get(k);
    if (i === undefined) {
      index.set(k, (i = keys.length));
      keys.push(k);
    }
    return i;
  };
  for (const s of seeds) intern(s);
  for (const k of graph.nodes()) intern(k);
  const n = keys.length;
  const start = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) start[v + 1] = start[v]! + graph.received(keys[v]!).size;
  const m = start[n]!;
  const givers = new Int32Array(m);
  const share = new Float64Array(m);
  const cumulative = new Float64Array(m);
  for (let v = 0; v < n; v++) {
    const from = graph.received(keys[v]!);
    let total = 0;
    for (const b of from.values()) total += Number(b);
    let e = start[v]!;
    let sum = 0;
    for (const [u, b] of from) {
      givers[e] = index.get(u)!;
      share[e] = Number(b) / total;
      sum += share[e]!;
      cumulative[e] = sum;
      e++;
    }
  }
  return { keys, index, start, givers, share, cumulative };
}

function uniqueSeeds(seeds: readonly string[]): string[] {
  const unique = [...new Set(seeds)];
  if (unique.length === 0) throw new RangeError('reputation needs at least one of my own keys to start from');
  return unique;
}

function toMap(g: WalkGraph, scores: Float64Array): Map<string, number> {
  const result = new Map<string, number>();
  for (let v = 0; v < g.keys.length; v++) if (scores[v]! > 0) result.set(g.keys[v]!, scores[v]!);
  return result;
}

/**
 * The scores exactly, by power iteration: the mass still walking after t
 * steps is pushed to the givers, α of it counted as visits, until less than
 * `tolerance` walks on (or maxSteps). Keys scoring 0 are absent.
 */
export function exactReputation(graph: ContributionGraph, seeds: readonly string[], params: ReputationParams = DEFAULT_REPUTATION, tolerance = EXACT_TOLERANCE): Map<string, number> {
  const mine = uniqueSeeds(seeds);
  const g = walkGraph(graph, mine);
  const n = g.keys.length;
  const { alpha } = params;
  const { start, givers, share } = g;
  const scores = new Float64Array(n);
  let current = new Float64Array(n);
  let next = new Float64Array(n);
  for (const s of mine) current[g.index.get(s)!]! += 1 / mine.length;
  let walking = 1;
  for (let step = 0; step <= params.maxSteps && walking >= tolerance; step++) {
    next.fill(0);
    walking = 0;
    for (let v = 0; v < n; v++) {
      const here = current[v]!;
      if (here === 0) continue;
      scores[v]! += alpha * here;
      const moving = (1 - alpha) * here;
      const end = start[v + 1]!;
      let e = start[v]!;
      if (e < end) walking += moving; // mass at a node nobody gave to stops there
      for (; e < end; e++) next[givers[e]!]! += moving * share[e]!;
    }
    [current, next] = [next, current];
  }
  return toMap(g, scores);
}

/**
 * The same scores estimated by `params.walks` seeded random walks per seed
 * key (each at most maxSteps long): deterministic given `random`, within
 * sampling error of exactReputation.
 */
export function reputation(graph: ContributionGraph, seeds: readonly string[], params: ReputationParams, random: () => number): Map<string, number> {
  const mine = uniqueSeeds(seeds);
  const g = walkGraph(graph, mine);
  const visits = new Float64Array(g.keys.length);
  for (const s of mine) {
    const origin = g.index.get(s)!;
    for (let w = 0; w < params.walks; w++) {
      let v = origin;
      for (let step = 0; step <= params.maxSteps; step++) {
        visits[v]!++;
        if (random() < params.alpha) break;
        const lo = g.start[v]!;
        const hi = g.start[v + 1]!;
        if (lo === hi) break;
        v = g.givers[pick(g.cumulative, lo, hi, random())]!;
      }
    }
  }
  const perVisit = params.alpha / (params.walks * mine.length);
  for (let v = 0; v < visits.length; v++) visits[v]! *= perVisit;
  return toMap(g, visits);
}

/** The first index in [lo, hi) whose running share exceeds x (the last one for rounding at 1). */
function pick(cumulative: Float64Array, lo: number, hi: number, x: number): number {
  let a = lo;
  let b = hi - 1;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (cumulative[mid]! > x) b = mid;
    else a = mid + 1;
  }
  return a;
}

/** Sum of the scores of `region`. */
export function regionScore(scores: ReadonlyMap<string, number>, region: Iterable<string>): number {
  let sum = 0;
  for (const k of region) sum += scores.get(k) ?? 0;
  return sum;
}

/**
 * The most `region` can score (see the header): ((1 − α)/α) · Σ over keys h
 * outside it of π(h) · bytes the region gave h / bytes h received. Counts
 * only edges from the region to outside it: what it signs inside is absent.
 */
export function sybilBound(graph: ContributionGraph, scores: ReadonlyMap<string, number>, region: ReadonlySet<string>, alpha = ALPHA): number {
  const entering = new Map<string, bigint>();
  for (const s of region) {
    for (const [h, b] of graph.given(s)) if (!region.has(h)) entering.set(h, (entering.get(h) ?? 0n) + b);
  }
  let sum = 0;
  for (const [h, fromRegion] of entering) {
    let total = 0n;
    for (const b of graph.received(h).values()) total += b;
    sum += ((scores.get(h) ?? 0) * Number(fromRegion)) / Number(total);
  }
  return ((1 - alpha) / alpha) * sum;
}

/**
 * A key's trusted standing in bytes, from my point of view: its score in the
 * unit "bytes given to me directly". score(key) · R / ((1 − α) · π(mine)),
 * with R the bytes my keys received and π(mine) their scores. A peer that gave
 * b bytes to me and to no one else stands at exactly b (with one own key);
 * what it gave to peers I trust adds what that is worth in my trust;
 * a free-rider, and a ring that minted among itself without giving to anyone
 * I trust, stand at 0. By the bound above, a ring's members together stand at
 * most (R / (α · π(mine))) · Σ_h π(h) · bytes(ring→h) / received(h), i.e.
 * (what it gave me)/α if it gave only to me: whatever k. This, not the raw
 * balance, is the figure to rank and admit peers by. Exact as stated for one
 * own key; with several, R and π(mine) are their sums. My own keys stand at 0n
 * (not judged), as does everyone when I have received nothing yet. Rounded
 * to whole bytes.
 */
export function trustedStanding(graph: ContributionGraph, mine: readonly string[], key: string, scores: ReadonlyMap<string, number>, alpha = ALPHA): bigint {
  return trustedStandings(graph, mine, scores, alpha)(key);
}

/** trustedStanding for many keys: the scale is computed once (ranking a whole list). */
export function trustedStandings(graph: ContributionGraph, mine: readonly string[], scores: ReadonlyMap<string, number>, alpha = ALPHA): (key: string) => bigint {
  const seeds = new Set(mine);
  let received = 0;
  let seedScore = 0;
  for (const s of seeds) {
    for (const b of graph.received(s).values()) received += Number(b);
    seedScore += scores.get(s) ?? 0;
  }
  const scale = received === 0 || seedScore === 0 ? 0 : received / ((1 - alpha) * seedScore);
  return (key) => {
    if (seeds.has(key) || scale === 0) return 0n;
    // Rounded: the scores are floats, and exactly-b figures should read as b.
    return BigInt(Math.round((scores.get(key) ?? 0) * scale));
  };
}
