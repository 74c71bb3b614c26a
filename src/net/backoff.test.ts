import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';

const mid = (): number => 0.5; // the jitter term cancels out at the midpoint
const lowest = (): number => 0;
const highest = (): number => 1 - Number.EPSILON; // random() is in [0, 1)

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap under the default policy', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(a, mid))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('follows a custom policy: initial, factor and cap', () => {
    const policy: BackoffPolicy = { initialMs: 100, maxMs: 5000, factor: 3, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, mid, policy))).toEqual([100, 300, 900, 2700, 5000, 5000]);
  });

  it('spreads each delay by ±jitter around its exponential value', () => {
    // Attempt 2 under the default policy: 4 s ± 20%.
    expect(backoffDelay(2, lowest)).toBe(3200);
    expect(backoffDelay(2, () => 0.25)).toBe(3600);
    expect(backoffDelay(2, () => 0.75)).toBe(4400);
    expect(backoffDelay(2, highest)).toBe(4800);
  });

  it('never exceeds the cap, so jitter at the cap only shortens the delay', () => {
    expect(backoffDelay(10, lowest)).toBe(24_000);
    expect(backoffDelay(10, mid)).toBe(30_000);
    expect(backoffDelay(10, highest)).toBe(30_000);
  });

  it('ignores random() when the jitter is zero', () => {
    const policy: BackoffPolicy = { ...DEFAULT_BACKOFF, jitter: 0 };
    expect(backoffDelay(3, lowest, policy)).toBe(8000);
    expect(backoffDelay(3, highest, policy)).toBe(8000);
  });

  it('treats negative attempts as the first, and huge ones as capped (never NaN or Infinity)', () => {
    expect(backoffDelay(-1, mid)).toBe(1000);
    expect(backoffDelay(-100, mid)).toBe(1000);
    expect(backoffDelay(2000, mid)).toBe(30_000);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, lowest)).toBe(24_000);
  });

  it('is deterministic: it draws exactly one random number and depends only on its inputs', () => {
    const random = vi.fn(() => 0.3);
    const first = backoffDelay(3, random);
    expect(random).toHaveBeenCalledTimes(1);
    expect(backoffDelay(3, () => 0.3)).toBe(first);
    expect(first).toBe(Math.round(8000 * (0.8 + 0.4 * 0.3)));
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(backoffDelay(0, () => 0.123456789))).toBe(true);
  });
});

describe('backoffDelay properties', () => {
  const policyArb = fc.record({
    initialMs: fc.integer({ min: 1, max: 10_000 }),
    maxMs: fc.integer({ min: 1, max: 600_000 }),
    factor: fc.double({ min: 1, max: 4, noNaN: true }),
    jitter: fc.double({ min: 0, max: 1, noNaN: true }),
  });
  const attemptArb = fc.integer({ min: -5, max: 200 });
  const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  it('stays within [exp·(1−jitter), min(cap, exp·(1+jitter))] and never above the cap', () => {
    fc.assert(
      fc.property(policyArb, attemptArb, randomArb, (policy, attempt, r) => {
        const exp = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
        const d = backoffDelay(attempt, () => r, policy);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(Math.floor(exp * (1 - policy.jitter)));
        expect(d).toBeLessThanOrEqual(Math.ceil(Math.min(policy.maxMs, exp * (1 + policy.jitter))));
        expect(d).toBeLessThanOrEqual(policy.maxMs);
        expect(d).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('never shrinks as attempts grow, for the same random draw', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 0, max: 100 }), randomArb, (policy, attempt, r) => {
        expect(backoffDelay(attempt + 1, () => r, policy)).toBeGreaterThanOrEqual(backoffDelay(attempt, () => r, policy));
      }),
      { numRuns: 500 },
    );
  });

  it('grows with the random draw', () => {
    fc.assert(
      fc.property(attemptArb, randomArb, randomArb, (attempt, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(backoffDelay(attempt, () => lo)).toBeLessThanOrEqual(backoffDelay(attempt, () => hi));
      }),
      { numRuns: 500 },
    );
  });
});
