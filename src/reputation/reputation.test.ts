import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALPHA } from './constants.ts';
import { ContributionGraph, type Contribution } from './contribution-graph.ts';
import { seededRandom } from './prng.ts';
import { DEFAULT_REPUTATION, exactReputation, regionScore, reputation, sybilBound, trustedStanding, trustedStandings } from './reputation.ts';

const graphOf = (...edges: [from: string, to: string, bytes: bigint][]) => {
  const g = new ContributionGraph();
  for (const [from, to, bytes] of edges) g.add({ from, to, bytes, at: 0 });
  return g;
};
const a = ALPHA;
const score = (g: ContributionGraph, key: string, seeds = ['me']) => exactReputation(g, seeds).get(key) ?? 0;

describe('exactReputation on hand-computed graphs', () => {
  it('splits trust among those who gave to me in proportion to bytes: α, α(1−α)·¾, α(1−α)·¼', () => {
    const g = graphOf(['A', 'me', 300n], ['B', 'me', 100n]);
    const s = exactReputation(g, ['me']);
    expect(s.get('me')).toBeCloseTo(a, 12);
    expect(s.get('A')).toBeCloseTo(a * (1 - a) * 0.75, 12);
    expect(s.get('B')).toBeCloseTo(a * (1 - a) * 0.25, 12);
  });

  it('decays along a chain of givers by (1 − α) per hop', () => {
    const g = graphOf(['A', 'me', 10n], ['B', 'A', 10n], ['C', 'B', 10n]);
    expect(score(g, 'A')).toBeCloseTo(a * (1 - a), 12);
    expect(score(g, 'B')).toBeCloseTo(a * (1 - a) ** 2, 12);
    expect(score(g, 'C')).toBeCloseTo(a * (1 - a) ** 3, 12);
  });

  it('on a two-way exchange, returns to me: π(me) = α/(1 − (1−α)²), π(A) = (1−α)·π(me), summing to 1', () => {
    const g = graphOf(['A', 'me', 10n], ['me', 'A', 99n]);
    const s = exactReputation(g, ['me']);
    const me = a / (1 - (1 - a) ** 2);
    expect(s.get('me')).toBeCloseTo(me, 8);
    expect(s.get('A')).toBeCloseTo((1 - a) * me, 8);
    expect(s.get('me')! + s.get('A')!).toBeCloseTo(1, 8);
  });

  it('gives nothing to a peer that only received (trust follows giving, not taking)', () => {
    const g = graphOf(['A', 'me', 10n], ['me', 'freeRider', 1000n], ['A', 'leech', 1000n]);
    const s = exactReputation(g, ['me']);
    expect(s.has('freeRider')).toBe(false);
    expect(s.has('leech')).toBe(false);
    expect(trustedStanding(g, ['me'], 'freeRider', s)).toBe(0n);
  });

  it('splits the start evenly over several own keys', () => {
    const g = graphOf(['A', 'me1', 10n], ['B', 'me2', 10n]);
    const s = exactReputation(g, ['me1', 'me2', 'me1']);
    expect(s.get('me1')).toBeCloseTo(a / 2, 12);
    expect(s.get('A')).toBeCloseTo((a * (1 - a)) / 2, 12);
    expect(s.get('B')).toBeCloseTo((a * (1 - a)) / 2, 12);
  });

  it('refuses to run without an own key', () => {
    expect(() => exactReputation(graphOf(['A', 'B', 1n]), [])).toThrow(RangeError);
  });

  it('scores sum to at most 1 on a random graph', () => {
    const g = randomGraph(300, 3000, 5);
    const total = [...exactReputation(g, ['n0']).values()].reduce((x, y) => x + y, 0);
    expect(total).toBeLessThanOrEqual(1 + 1e-9);
    expect(total).toBeGreaterThan(0.5);
  });
});

describe('trustedStanding', () => {
  it('is exactly what a peer gave me when it received from nobody', () => {
    const g = graphOf(['A', 'me', 300n], ['B', 'me', 100n], ['me', 'B', 50n]);
    const s = exactReputation(g, ['me']);
    expect(trustedStanding(g, ['me'], 'A', s)).toBe(300n);
    expect(trustedStanding(g, ['me'], 'me', s)).toBe(0n);
    const standing = trustedStandings(g, ['me'], s);
    expect(['A', 'B', 'nobody'].map(standing)).toEqual([300n, 100n, 0n]);
  });

  it('credits an indirect giver by the trust of those it gave to', () => {
    const g = graphOf(['A', 'me', 100n], ['C', 'A', 1000n]);
    const s = exactReputation(g, ['me']);
    // C is reached through A: (1−α) of A's trust, in units of "bytes given to me": 100·(1−α).
    expect(trustedStanding(g, ['me'], 'C', s)).toBe(BigInt(Math.round(100 * (1 - ALPHA))));
  });

  it('is 0 for everyone before I have received anything', () => {
    const g = graphOf(['me', 'A', 100n]);
    expect(trustedStanding(g, ['me'], 'A', exactReputation(g, ['me']))).toBe(0n);
  });
});

describe('Monte-Carlo reputation', () => {
  it('is deterministic given the seed, and differs for another seed', () => {
    const g = randomGraph(100, 600, 1);
    const params = { ...DEFAULT_REPUTATION, walks: 2000 };
    const one = reputation(g, ['n0'], params, seededRandom(9));
    expect(reputation(g, ['n0'], params, seededRandom(9))).toEqual(one);
    expect(reputation(g, ['n0'], params, seededRandom(10))).not.toEqual(one);
  });

  it('estimates the exact scores within 0.01 with the default walks', () => {
    const g = randomGraph(200, 1500, 2);
    const exact = exactReputation(g, ['n0', 'n1']);
    const estimate = reputation(g, ['n0', 'n1'], DEFAULT_REPUTATION, seededRandom(3));
    for (const k of g.nodes()) expect(Math.abs((estimate.get(k) ?? 0) - (exact.get(k) ?? 0))).toBeLessThan(0.01);
  });
});

/** `edges` random contributions among n0..n{nodes−1}, deterministic given `seed`. */
function randomGraph(nodes: number, edges: number, seed: number): ContributionGraph {
  const r = seededRandom(seed);
  const g = new ContributionGraph();
  for (let i = 0; i < edges; i++) {
    const from = Math.floor(r() * nodes);
    const to = Math.floor(r() * nodes);
    g.add({ from: `n${from}`, to: `n${to}`, bytes: BigInt(1 + Math.floor(r() * 1e6)), at: i });
  }
  return g;
}

describe('Sybil rings', () => {
  /** The ring's real upload to honest peers, the same for every ring size. */
  const REAL_TO_ME = 1000n;
  const REAL_TO_HONEST = 4000n;
  const MINTED = 1n << 50n;
  const SIZES = [1, 2, 5, 10, 20, 50];

  /** An honest graph around `me`, plus a ring of k keys that gave REAL_* in total (split over its members) and signed MINTED between every two members. */
  function withRing(k: number, ringDownloads: boolean, minted = MINTED): { g: ContributionGraph; ring: Set<string> } {
    const g = randomGraph(60, 600, 11);
    const add = (from: string, to: string, bytes: bigint) => g.add({ from, to, bytes, at: 0 } satisfies Contribution);
    add('n1', 'me', 5000n);
    add('n2', 'me', 3000n);
    add('me', 'n3', 2000n);
    const ring = new Set(Array.from({ length: k }, (_, i) => `sybil${i}`));
    const members = [...ring];
    members.forEach((s, i) => {
      // The split is rounded so the ring's total real upload is the same whatever k.
      add(s, 'me', REAL_TO_ME / BigInt(k) + (i === 0 ? REAL_TO_ME % BigInt(k) : 0n));
      add(s, 'n1', REAL_TO_HONEST / BigInt(k) + (i === 0 ? REAL_TO_HONEST % BigInt(k) : 0n));
      for (const t of members) if (t !== s) add(s, t, minted);
      if (ringDownloads) add('n4', s, 10_000n);
    });
    return { g, ring };
  }

  it('a ring that only gives scores at most the bound, and the bound is the same for 1 to 50 keys', () => {
    const bounds: number[] = [];
    for (const k of SIZES) {
      const { g, ring } = withRing(k, false);
      const s = exactReputation(g, ['me']);
      const bound = sybilBound(g, s, ring);
      bounds.push(bound);
      expect(regionScore(s, ring)).toBeLessThanOrEqual(bound + 1e-9);
      // Trusted standing in bytes: at most what the bound is worth, far below the raw (minted) claims.
      const standing = [...ring].reduce((sum, key) => sum + trustedStanding(g, ['me'], key, s), 0n);
      const received = 5000 + 3000 + Number(REAL_TO_ME);
      expect(Number(standing)).toBeLessThanOrEqual((bound * received) / ((1 - ALPHA) * s.get('me')!) + k);
      expect(standing).toBeLessThan(MINTED);
    }
    for (const b of bounds) expect(b).toBeCloseTo(bounds[0]!, 12);
  });

  it('a ring that gave only to me stands at most (what it gave me)/α in total, for every size', () => {
    for (const k of SIZES) {
      const g = graphOf(['honest', 'me', 5000n]);
      const ring = Array.from({ length: k }, (_, i) => `sybil${i}`);
      for (const s of ring) {
        g.add({ from: s, to: 'me', bytes: REAL_TO_ME / BigInt(k), at: 0 });
        for (const t of ring) if (t !== s) g.add({ from: s, to: t, bytes: MINTED, at: 0 });
      }
      const s = exactReputation(g, ['me']);
      const given = Number((REAL_TO_ME / BigInt(k)) * BigInt(k));
      const standing = ring.reduce((sum, key) => sum + trustedStanding(g, ['me'], key, s), 0n);
      expect(Number(standing)).toBeLessThanOrEqual(given / ALPHA + k);
      // The honest uploader's standing is untouched by the ring's size.
      expect(trustedStanding(g, ['me'], 'honest', s)).toBe(5000n);
    }
  });

  it('a ring that also downloads from honest peers stays within the bound', () => {
    for (const k of SIZES) {
      const { g, ring } = withRing(k, true);
      const s = exactReputation(g, ['me']);
      expect(regionScore(s, ring)).toBeLessThanOrEqual(sybilBound(g, s, ring) + 1e-9);
    }
  });

  it('minting more inside a ring that downloads keeps walks inside longer, but never past the bound, which ignores inner edges', () => {
    const modest = withRing(5, true, 1000n);
    const heavy = withRing(5, true, MINTED);
    const s1 = exactReputation(modest.g, ['me']);
    const s2 = exactReputation(heavy.g, ['me']);
    expect(regionScore(s2, heavy.ring)).toBeGreaterThan(regionScore(s1, modest.ring));
    expect(regionScore(s2, heavy.ring)).toBeLessThanOrEqual(sybilBound(heavy.g, s2, heavy.ring) + 1e-9);
    // With no way back out, the ring reaches the bound exactly: it is tight.
    const closed = withRing(5, false);
    const s3 = exactReputation(closed.g, ['me']);
    expect(regionScore(s3, closed.ring)).toBeCloseTo(sybilBound(closed.g, s3, closed.ring), 9);
  });

  it('property: any ring, of any size, signing any amounts inside, attached any way, scores at most the bound', () => {
    const amount = fc.bigInt({ min: 1n, max: 1n << 60n });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.tuple(fc.nat(9), fc.nat(9), amount), { maxLength: 40 }), // honest edges among h0..h9 and me (9)
        fc.array(fc.tuple(fc.nat(49), fc.nat(9), amount), { minLength: 1, maxLength: 10 }), // ring member gave to honest
        fc.array(fc.tuple(fc.nat(9), fc.nat(49), amount), { maxLength: 10 }), // honest gave to ring member
        fc.array(fc.tuple(fc.nat(49), fc.nat(49), amount), { maxLength: 200 }), // minted inside
        (k, honest, out, into, inside) => {
          const h = (i: number) => (i === 9 ? 'me' : `h${i}`);
          const s = (i: number) => `sybil${i % k}`;
          const g = new ContributionGraph();
          for (const [x, y, b] of honest) g.add({ from: h(x), to: h(y), bytes: b, at: 0 });
          for (const [x, y, b] of out) g.add({ from: s(x), to: h(y), bytes: b, at: 0 });
          for (const [x, y, b] of into) g.add({ from: h(x), to: s(y), bytes: b, at: 0 });
          for (const [x, y, b] of inside) g.add({ from: s(x), to: s(y), bytes: b, at: 0 });
          const ring = new Set(Array.from({ length: k }, (_, i) => `sybil${i}`));
          const scores = exactReputation(g, ['me']);
          expect(regionScore(scores, ring)).toBeLessThanOrEqual(sybilBound(g, scores, ring) + 1e-9);
        },
      ),
      { numRuns: 200, seed: 13 },
    );
  });
});
