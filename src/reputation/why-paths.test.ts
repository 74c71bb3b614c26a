import { describe, expect, it } from 'vitest';
import { MAX_WHY_HOPS, MAX_WHY_PATHS } from './constants.ts';
import { ContributionGraph } from './contribution-graph.ts';
import { whyPaths, type WhyPath } from './why-paths.ts';

/** A graph from [giver, receiver, bytes] triples. */
function graph(edges: [string, string, bigint][]): ContributionGraph {
  const g = new ContributionGraph();
  for (const [from, to, bytes] of edges) g.add({ from, to, bytes, at: 0 });
  return g;
}

/** A path as "me<a<b" with its bytes, for compact expectations. */
const show = (p: WhyPath) => [p.seed, ...p.steps.map((s) => `${s.key}:${s.bytes}`)].join(' < ');

describe('whyPaths', () => {
  it('a direct uploader to me: one path of one step, strength 1', () => {
    const paths = whyPaths(graph([['a', 'me', 500n]]), ['me'], 'a');
    expect(paths).toEqual([{ seed: 'me', steps: [{ key: 'a', bytes: 500n }], strength: 1 }]);
  });

  it('ranks paths by the product of step shares, one per last hop', () => {
    // me received 300 from a and 100 from b: shares 3/4 and 1/4.
    // a received 10 from t (and 30 from x): share 1/4; b received 40 from t only: share 1.
    // t also gave me 100 directly: share 100/500.
    const g = graph([
      ['a', 'me', 300n],
      ['b', 'me', 100n],
      ['t', 'me', 100n],
      ['x', 'a', 30n],
      ['t', 'a', 10n],
      ['t', 'b', 40n],
    ]);
    const paths = whyPaths(g, ['me'], 't');
    // Shares at me: a 300/500, b 100/500, t 100/500.
    // via a: 0.6 × 10/40 = 0.15; via b: 0.2 × 1 = 0.2; direct: 0.2 (tie with b, broken by last hop key: 'b' < 'me').
    expect(paths.map(show)).toEqual(['me < b:100 < t:40', 'me < t:100', 'me < a:300 < t:10']);
    expect(paths.map((p) => p.strength)).toEqual([0.2, 0.2, 0.6 * 0.25]);
  });

  it('takes the strongest path, not the shortest', () => {
    // Direct: t gave me 1 of 101 bytes. Via a: a gave me 100/101, t gave a all it received.
    const g = graph([
      ['t', 'me', 1n],
      ['a', 'me', 100n],
      ['t', 'a', 7n],
    ]);
    const [first, second] = whyPaths(g, ['me'], 't');
    expect(show(first!)).toBe('me < a:100 < t:7');
    expect(first!.strength).toBeCloseTo(100 / 101);
    expect(show(second!)).toBe('me < t:1');
  });

  it('returns at most MAX_WHY_PATHS paths, the strongest', () => {
    const g = graph([...'abcde'].flatMap((k, i): [string, string, bigint][] => [[k, 'me', BigInt(10 + i)], ['t', k, 1n]]));
    const paths = whyPaths(g, ['me'], 't');
    expect(paths).toHaveLength(MAX_WHY_PATHS);
    expect(paths.map((p) => p.steps[0]!.key)).toEqual(['e', 'd', 'c']);
  });

  it('is empty for a peer nobody I trust received from, for a free-rider, and for my own keys', () => {
    const g = graph([
      ['a', 'me', 100n],
      ['s1', 's2', 1n << 40n], // a ring minting among itself
      ['me', 'f', 100n], // f only downloaded
    ]);
    expect(whyPaths(g, ['me'], 's1')).toEqual([]);
    expect(whyPaths(g, ['me'], 'f')).toEqual([]);
    expect(whyPaths(g, ['me', 'me2'], 'me2')).toEqual([]);
    expect(whyPaths(g, ['me'], 'unknown')).toEqual([]);
  });

  it('keeps paths simple: a candidate whose best path runs through the target is skipped', () => {
    // The best path to h is me < t < h (t gave me everything, h gave t everything); t also gave h.
    const g = graph([
      ['t', 'me', 100n],
      ['h', 't', 100n],
      ['t', 'h', 5n],
    ]);
    expect(whyPaths(g, ['me'], 't').map(show)).toEqual(['me < t:100']);
  });

  it('bounds paths at MAX_WHY_HOPS hops', () => {
    // A chain me < k1 < k2 < … : k_i gave to k_{i-1}.
    const chain = Array.from({ length: MAX_WHY_HOPS + 2 }, (_, i) => (i === 0 ? 'me' : `k${i}`));
    const g = graph(chain.slice(1).map((k, i): [string, string, bigint] => [k, chain[i]!, 1n]));
    const reachable = whyPaths(g, ['me'], `k${MAX_WHY_HOPS}`);
    expect(reachable).toHaveLength(1);
    expect(reachable[0]!.steps).toHaveLength(MAX_WHY_HOPS);
    expect(whyPaths(g, ['me'], `k${MAX_WHY_HOPS + 1}`)).toEqual([]);
  });

  it('with the hop bound, prefers a weaker short path over a stronger too-long one', () => {
    // Long: me < a1 < a2 < t, strength 2/3 (3 hops). Short: me < t, strength 1/3. With maxHops 2 only the short one fits.
    const g = graph([
      ['a1', 'me', 100n],
      ['t', 'me', 50n],
      ['a2', 'a1', 5n],
      ['t', 'a2', 5n],
    ]);
    expect(whyPaths(g, ['me'], 't').map(show)).toEqual(['me < a1:100 < a2:5 < t:5', 'me < t:50']);
    expect(whyPaths(g, ['me'], 't', { maxHops: 2 }).map(show)).toEqual(['me < t:50']);
  });

  it('starts from whichever of my keys gives the strongest path, and keeps amounts past 2^53 exact', () => {
    const big = (1n << 60n) + 1n;
    const g = graph([
      ['t', 'me1', 1n],
      ['x', 'me1', 9n],
      ['t', 'me2', big],
    ]);
    const paths = whyPaths(g, ['me1', 'me2'], 't');
    expect(paths.map((p) => [p.seed, p.steps[0]!.bytes, p.strength])).toEqual([
      ['me2', big, 1],
      ['me1', 1n, 0.1],
    ]);
  });
});
