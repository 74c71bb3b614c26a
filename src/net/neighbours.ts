/**
 * Which direct peers a tab keeps (pure; clock and randomness injected): a
 * bounded neighbourhood, refreshed over time, instead of every peer it hears
 * of. Per-tab connection and discovery work then stays constant however large
 * the network grows (issue #19); peers beyond it are reached through
 * neighbours (gossip, circuits, random walks).
 *
 * Invariants:
 *   - at most NEIGHBOURHOOD.max neighbours: past it, the least useful are
 *     dropped, the newest first among equals (they cost least to lose);
 *   - below NEIGHBOURHOOD.target, candidates are dialled, at most
 *     maxDialsPerRound a round, drawn group first (the relay a candidate is
 *     reserved at), a group weighing less the more neighbours it has: one
 *     relay's peers, or one attacker's many keys behind it, cannot fill the
 *     neighbourhood by numbers alone;
 *   - every refreshEveryMs, with the neighbourhood at its target, one
 *     neighbour past minTenureMs from the less useful half makes way for a
 *     fresh candidate: an eclipse does not last, and a useless peer does not
 *     keep its place for good, while the useful half, and any neighbour our
 *     own circuits go through (`inUse`), is never refreshed away.
 */
import { randomSample } from './random-sample.ts';

export const NEIGHBOURHOOD = {
  /** Neighbours a tab aims for: circuits need 3 relays and a few guards, gossip a mesh of 6 (GossipSub's D), with spares. */
  target: 8,
  /** Neighbours at most, dials and accepted connections together: each WebRTC connection costs CPU and sockets. */
  max: 16,
  /** Dials started in one round: a newcomer fills its neighbourhood in a few rounds without a burst. */
  maxDialsPerRound: 4,
  /** One neighbour is replaced this often: eclipses end, without churn that costs more than it buys. */
  refreshEveryMs: 120_000,
  /** A neighbour younger than this is not refreshed away: its connection's cost is paid, its use not yet known. */
  minTenureMs: 60_000,
} as const;

export type NeighbourhoodLimits = typeof NEIGHBOURHOOD;

export interface Neighbour {
  id: string;
  /** When the direct connection opened. */
  since: number;
  /** The relay it is reserved at (or another grouping): diversity is counted by group. */
  group: string;
  /** Higher is more useful (trusted balance, traded with, relays for us); only the order counts. */
  usefulness: number;
  /**
   * Carries what we chose it for and would lose with it (the first hop of our own circuits, a guard):
   * never the one refreshed away. Only our choices set it, never what the peer does.
   */
  inUse?: true;
}

export interface Candidate {
  id: string;
  group: string;
}

export interface NeighbourhoodFacts {
  now: number;
  neighbours: readonly Neighbour[];
  /** Peers we could dial now: not connected, not dialling, not backing off (the dialer's to say). */
  candidates: readonly Candidate[];
  /** When a neighbour was last refreshed away (-Infinity: never). */
  lastRefreshAt: number;
  random: () => number;
  limits?: NeighbourhoodLimits;
}

export interface NeighbourhoodPlan {
  dial: string[];
  drop: string[];
  /** True when this plan refreshes the neighbourhood: the caller records `now` as lastRefreshAt. */
  refreshed: boolean;
}

/** Least useful first; among equals, the newest first. */
function leastUsefulFirst(a: Neighbour, b: Neighbour): number {
  return a.usefulness - b.usefulness || b.since - a.since;
}

/** What to dial and what to drop this round. */
export function planNeighbourhood(f: NeighbourhoodFacts): NeighbourhoodPlan {
  const limits = f.limits ?? NEIGHBOURHOOD;
  const count = f.neighbours.length;
  if (count > limits.max) {
    const drop = [...f.neighbours].sort(leastUsefulFirst).slice(0, count - limits.max);
    return { dial: [], drop: drop.map((n) => n.id), refreshed: false };
  }
  const known = new Set(f.neighbours.map((n) => n.id));
  const candidates = f.candidates.filter((c) => !known.has(c.id));
  if (count < limits.target) {
    return { dial: diverseSample(candidates, f.neighbours, Math.min(limits.target - count, limits.maxDialsPerRound), f.random), drop: [], refreshed: false };
  }
  if (f.now - f.lastRefreshAt < limits.refreshEveryMs || candidates.length === 0) return { dial: [], drop: [], refreshed: false };
  // The less useful half, past its tenure and not in use: one of them, at random, makes way.
  const lessUseful = [...f.neighbours].sort(leastUsefulFirst).slice(0, Math.floor(count / 2));
  const [leaving] = randomSample(
    lessUseful.filter((n) => f.now - n.since >= limits.minTenureMs && n.inUse !== true),
    1,
    f.random,
  );
  if (leaving === undefined) return { dial: [], drop: [], refreshed: false };
  const staying = f.neighbours.filter((n) => n !== leaving);
  return { dial: diverseSample(candidates, staying, 1, f.random), drop: [leaving.id], refreshed: true };
}

/**
 * Up to `count` candidates without repeats: each pick draws a group first,
 * with weight 1 / (1 + neighbours and picks already in it), then a candidate
 * of that group uniformly. A group's chance does not grow with its number of
 * candidates, so a thousand keys behind one relay weigh as one group.
 */
export function diverseSample(candidates: readonly Candidate[], neighbours: readonly Pick<Neighbour, 'group'>[], count: number, random: () => number): string[] {
  const held = new Map<string, number>();
  for (const n of neighbours) held.set(n.group, (held.get(n.group) ?? 0) + 1);
  const byGroup = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const members = byGroup.get(c.group);
    if (members === undefined) byGroup.set(c.group, [c]);
    else members.push(c);
  }
  const picks: string[] = [];
  while (picks.length < count && byGroup.size > 0) {
    const groups = [...byGroup.keys()];
    const weights = groups.map((g) => 1 / (1 + (held.get(g) ?? 0)));
    let r = random() * weights.reduce((a, b) => a + b, 0);
    let i = 0;
    while (i < groups.length - 1 && r >= weights[i]!) r -= weights[i++]!;
    const group = groups[i]!;
    const members = byGroup.get(group)!;
    const [c] = members.splice(Math.min(members.length - 1, Math.floor(random() * members.length)), 1) as [Candidate];
    if (members.length === 0) byGroup.delete(group);
    picks.push(c.id);
    held.set(group, (held.get(group) ?? 0) + 1);
  }
  return picks;
}
