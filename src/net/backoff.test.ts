import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';

describe('backoffDelay', () => {
  const mid = (): number => 0.5; // jitter cancels out at the midpoint

  it('doubles from the initial delay up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, mid))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('spreads retries by the jitter fraction, never past the cap', () => {
    expect(backoffDelay(2, () => 0)).toBe(4000 * (1 - DEFAULT_BACKOFF.jitter));
    expect(backoffDelay(2, () => 0.999999)).toBeCloseTo(4000 * (1 + DEFAULT_BACKOFF.jitter), -1);
    expect(backoffDelay(20, () => 0.999999)).toBe(DEFAULT_BACKOFF.maxMs);
  });

  it('treats negative attempts as the first', () => {
    expect(backoffDelay(-3, mid)).toBe(1000);
  });
});
