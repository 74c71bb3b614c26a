import { describe, expect, it } from 'vitest';
import { DEFAULT_REPUTATION, exactReputation, reputation } from '../src/reputation/reputation.ts';
import type { ContributionGraph } from '../src/reputation/contribution-graph.ts';
import { SYBIL_MINTED_BYTES, SYBIL_REAL_UPLOAD_BYTES } from './constants.ts';
import { measure, spearman, type ReputationFn } from './metrics.ts';
import { buildScenario, ScenarioError } from './scenario.ts';

const SMALL = { peers: 60, seed: 7, ringSizes: [1, 2, 5, 10, 20] } as const;
const EVALUATORS = 8;
const { alpha } = DEFAULT_REPUTATION;
/** The stated bound of reputation.ts: a ring earns at most 1/α times its honest twin's trust. */
const GAIN_BOUND = 1 / alpha;
/** Float slack on an exact (power-iteration) comparison. */
const EPSILON = 1e-9;

const exact: ReputationFn = (graph, seeds) => exactReputation(graph, seeds, DEFAULT_REPUTATION);
/** Few walks: the determinism test needs the seeded path, not precision. */
const walks: ReputationFn = (graph, seeds, random) => reputation(graph, seeds, { ...DEFAULT_REPUTATION, walks: 500 }, random);

/** What a raw-upload ledger does: everyone scores their total claimed upload (global, not personalized). */
const rawUpload: ReputationFn = (graph: ContributionGraph) => {
  const scores = new Map<string, number>();
  for (const k of graph.nodes()) {
    let up = 0n;
    for (const b of graph.given(k).values()) up += b;
    if (up > 0n) scores.set(k, Number(up));
  }
  return scores;
};

describe('simulation scenario', () => {
  it('bounds every ring, 1 to 20 identities, by 1/α times its honest twin in every evaluator’s eyes', () => {
    const scenario = buildScenario(SMALL);
    const figures = measure(scenario, { reputation: exact, alpha, evaluators: EVALUATORS, seed: SMALL.seed });
    expect(figures.rings.map((r) => r.size)).toEqual(SMALL.ringSizes);
    for (const ring of figures.rings) expect(ring.maxGain).toBeLessThanOrEqual(GAIN_BOUND + EPSILON);
    // The lone identity is its own twin; the attack the bound tames is real: raw claims grow as k².
    expect(figures.rings[0]!.gain).toBeCloseTo(1, 2);
    expect(figures.rings.at(-1)!.rawGain).toBeGreaterThan(Number(SYBIL_MINTED_BYTES / SYBIL_REAL_UPLOAD_BYTES));
  });

  it('catches a method that is not Sybil-tolerant (the raw upload ledger breaks the bound)', () => {
    const scenario = buildScenario(SMALL);
    const figures = measure(scenario, { reputation: rawUpload, alpha, evaluators: EVALUATORS, seed: SMALL.seed });
    expect(figures.rings.at(-1)!.gain).toBeGreaterThan(GAIN_BOUND);
  });

  it('ranks honest contributors: positive rank correlation, free-riders and whitewashers at 0', () => {
    const scenario = buildScenario({ ...SMALL, peers: 120 });
    const figures = measure(scenario, { reputation: exact, alpha, evaluators: EVALUATORS, seed: SMALL.seed });
    expect(figures.rankQuality).toBeGreaterThan(0.5);
    expect(figures.freeRiderTrust).toBe(0);
    expect(figures.whitewasherTrust).toBe(0);
  });

  it('is deterministic: the same seed gives the same graph and the same figures, another seed differs', () => {
    const run = (seed: number) => {
      const scenario = buildScenario({ ...SMALL, seed });
      return { edges: scenario.graph.edgeCount, figures: measure(scenario, { reputation: walks, alpha, evaluators: EVALUATORS, seed }) };
    };
    const a = run(SMALL.seed);
    expect(run(SMALL.seed)).toEqual(a);
    expect(run(SMALL.seed + 1).figures.honestPoints).not.toEqual(a.figures.honestPoints);
  });

  it('refuses a population too small for its rings, saying what to do', () => {
    expect(() => buildScenario({ ...SMALL, peers: 40 })).toThrow(ScenarioError);
    expect(() => buildScenario({ ...SMALL, peers: 40 })).toThrow(/use at least \d+ peers/);
  });
});

describe('spearman', () => {
  it('is 1 for any increasing relation, −1 for a decreasing one, and handles ties by mean rank', () => {
    expect(spearman([1, 2, 3, 4], [10, 100, 1000, 10_000])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // ranks [1,2,3.5,3.5] vs [1,2,3,4]: ρ = 4.5 / √(4.5·5)
    expect(spearman([1, 2, 5, 5], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(4.5 * 5), 12);
    expect(spearman([0, 0, 0], [1, 2, 3])).toBe(0);
  });
});
