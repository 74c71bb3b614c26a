import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

function clock() {
  let t = 0;
  const slept: number[] = [];
  return { now: () => t, sleep: async (ms: number) => void (slept.push(ms), (t += ms)), slept };
}

describe('relay upload cap', () => {
  it('lets a second of burst through, then paces to the rate', async () => {
    const c = clock();
    const limit = new RateLimiter(1000, c.now, c.sleep);
    await limit.take(1000);
    expect(c.slept).toEqual([]);
    await limit.take(500);
    expect(c.slept).toEqual([500]);
    await limit.take(1000);
    expect(c.slept.reduce((a, b) => a + b, 0)).toBe(1500);
  });

  it('does nothing without a cap', async () => {
    const c = clock();
    const limit = new RateLimiter(0, c.now, c.sleep);
    await limit.take(10_000_000);
    expect(c.slept).toEqual([]);
  });
});
