/**
 * Pure: why a peer has my trust, as the strongest few paths from my keys to
 * it, in the direction trust flows (reputation.ts): a walk at v steps to a
 * peer u that gave to v with probability bytes(u→v) / bytes v received. A path
 * [me, h1, …, target] thus reads "target gave to …, h1 gave to me", and its
 * strength is the product of its step probabilities (the chance a walk from
 * me follows it, ignoring stops).
 *
 * Method: the strongest path of at most MAX_WHY_HOPS − 1 hops to every key
 * (Bellman-Ford in layers, exact under the hop bound, O(hops × edges)), then
 * for each key h the target gave to, that path extended by target. The top
 * MAX_WHY_PATHS by strength are returned, one per last hop. Probabilities are
 * at most 1, so a strongest walk never gains by a cycle: the paths are simple
 * (and checked to be). Empty when the target is one of my keys or no path
 * reaches it.
 */
import { MAX_WHY_HOPS, MAX_WHY_PATHS } from './constants.ts';
import type { ContributionGraph } from './contribution-graph.ts';

/** One step of a path: `key` gave `bytes` to the key before it. */
export interface WhyStep {
  key: string;
  bytes: bigint;
}

export interface WhyPath {
  /** The key of mine the path starts from. */
  seed: string;
  /** From the first giver to the target, each the giver of the one before. */
  steps: WhyStep[];
  /** Product of the step probabilities, in (0, 1]. */
  strength: number;
}

export interface WhyLimits {
  maxPaths?: number;
  maxHops?: number;
}

/** Where a key's best path came from in a layer: the receiver it extends. */
type Improved = Map<string, string>;

export function whyPaths(graph: ContributionGraph, seeds: readonly string[], target: string, limits: WhyLimits = {}): WhyPath[] {
  const maxPaths = limits.maxPaths ?? MAX_WHY_PATHS;
  const maxHops = limits.maxHops ?? MAX_WHY_HOPS;
  const mine = new Set(seeds);
  if (mine.has(target) || maxHops < 1 || maxPaths < 1) return [];
  const totals = new Map<string, number>();
  const received = (v: string): number => {
    let t = totals.get(v);
    if (t === undefined) {
      let sum = 0n;
      for (const b of graph.received(v).values()) sum += b;
      totals.set(v, (t = Number(sum)));
    }
    return t;
  };
  const step = (giver: string, receiver: string): number => Number(graph.given(giver).get(receiver) ?? 0n) / received(receiver);

  // best: strongest path of ≤ layer hops; layers[l]: keys improved in layer l, with their predecessor.
  const best = new Map<string, number>();
  for (const s of mine) best.set(s, 1);
  const layers: Improved[] = [new Map()];
  let frontier = [...mine];
  for (let l = 1; l < maxHops && frontier.length > 0; l++) {
    // Values as of the layer before: a key improved in this layer extends only in the next.
    const reachedBefore = frontier.map((v) => best.get(v)!);
    const improved: Improved = new Map();
    for (const [i, v] of frontier.entries()) {
      const here = reachedBefore[i]!;
      const total = received(v);
      for (const [u, bytes] of graph.received(v)) {
        const candidate = (here * Number(bytes)) / total;
        if (candidate > (best.get(u) ?? 0) && !mine.has(u)) {
          best.set(u, candidate);
          improved.set(u, v);
        }
      }
    }
    layers.push(improved);
    frontier = [...improved.keys()];
  }

  const pathTo = (key: string): string[] => {
    const keys = [key];
    let at = key;
    for (let l = layers.length - 1; l >= 1 && !mine.has(at); l--) {
      const from = layers[l]!.get(at);
      if (from !== undefined) keys.push((at = from));
    }
    return keys.reverse();
  };

  const candidates: { via: string; strength: number }[] = [];
  for (const h of graph.given(target).keys()) {
    const reached = best.get(h);
    if (reached === undefined) continue;
    candidates.push({ via: h, strength: reached * step(target, h) });
  }
  candidates.sort((a, b) => b.strength - a.strength || (a.via < b.via ? -1 : a.via > b.via ? 1 : 0));

  const paths: WhyPath[] = [];
  for (const c of candidates) {
    if (paths.length >= maxPaths) break;
    const keys = [...pathTo(c.via), target];
    // The strongest path to h may run through the target itself: no simple path through h, then.
    if (new Set(keys).size !== keys.length) continue;
    const steps = keys.slice(1).map((key, i) => ({ key, bytes: graph.given(key).get(keys[i]!)! }));
    paths.push({ seed: keys[0]!, steps, strength: c.strength });
  }
  return paths;
}
