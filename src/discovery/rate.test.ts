import { describe, expect, it } from 'vitest';
import { KeyedRate } from './rate.ts';

describe('keyed rate', () => {
  it('allows a burst, then refills at the rate per key', () => {
    const clock = { t: 0 };
    const rate = new KeyedRate({ burst: 3, perMinute: 6, maxKeys: 10 }, () => clock.t);
    expect([1, 2, 3, 4].map(() => rate.take('a'))).toEqual([true, true, true, false]);
    expect(rate.take('b')).toBe(true);
    clock.t += 10_000; // one token
    expect(rate.take('a')).toBe(true);
    expect(rate.take('a')).toBe(false);
    clock.t += 10 * 60_000;
    expect(rate.take('a', 3)).toBe(true);
    expect(rate.has('a')).toBe(false);
  });

  it('keeps at most maxKeys, forgetting the key seen longest ago', () => {
    const rate = new KeyedRate({ burst: 1, perMinute: 0, maxKeys: 2 }, () => 0);
    rate.take('a');
    rate.take('b');
    rate.take('c');
    expect(rate.size).toBe(2);
    // 'a' was forgotten: full again; 'c' is still empty.
    expect(rate.take('a')).toBe(true);
    expect(rate.take('c')).toBe(false);
  });
});
