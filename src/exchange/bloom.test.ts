import { describe, expect, it } from 'vitest';
import { BloomFilter } from './bloom.ts';
import { BLOOM_FALSE_POSITIVE_RATE, MAX_BLOOM_BYTES, MAX_BLOOM_HASHES } from './constants.ts';

describe('BloomFilter', () => {
  it('holds every id added', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `trader${i % 7}:${i}`);
    const f = BloomFilter.of(ids, ids.length, 42);
    for (const id of ids) expect(f.has(id)).toBe(true);
  });

  it('has about the false-positive rate it was sized for', () => {
    const f = BloomFilter.of(Array.from({ length: 1000 }, (_, i) => `in:${i}`), 1000, 7);
    let fp = 0;
    const trials = 20_000;
    for (let i = 0; i < trials; i++) if (f.has(`out:${i}`)) fp++;
    expect(fp / trials).toBeLessThan(BLOOM_FALSE_POSITIVE_RATE * 2);
  });

  it('puts ids elsewhere under another salt, so a false positive does not repeat', () => {
    const a = BloomFilter.of(['x:1'], 1, 1);
    const b = BloomFilter.of(['x:1'], 1, 2);
    expect(a.bits).not.toEqual(b.bits);
  });

  it('is bounded in size and hashes whatever the count', () => {
    const huge = BloomFilter.forCount(10_000_000, 0);
    expect(huge.bits.length).toBe(MAX_BLOOM_BYTES);
    expect(huge.hashes).toBeGreaterThanOrEqual(1);
    const empty = BloomFilter.forCount(0, 0);
    expect(empty.bits.length).toBeGreaterThan(0);
    expect(empty.hashes).toBeLessThanOrEqual(MAX_BLOOM_HASHES);
    expect(empty.has('anything')).toBe(false);
    expect(() => new BloomFilter(new Uint8Array(0), 1, 0)).toThrow(RangeError);
    expect(() => new BloomFilter(new Uint8Array(1), MAX_BLOOM_HASHES + 1, 0)).toThrow(RangeError);
  });
});
