import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomSample } from './random-sample.ts';

describe('randomSample', () => {
  it('returns at most count distinct items of the input, whatever the randomness', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer()), fc.integer({ min: -2, max: 40 }), fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 }), (items, count, draws) => {
        let k = 0;
        const sample = randomSample(items, count, () => draws[k++ % draws.length]!);
        expect(sample.length).toBe(Math.min(Math.max(0, count), items.length));
        expect(new Set(sample).size).toBe(sample.length);
        for (const x of sample) expect(items).toContain(x);
      }),
    );
  });

  it('reaches every item: each is picked first for some draw', () => {
    const items = ['a', 'b', 'c', 'd'];
    const firsts = new Set([0, 0.25, 0.5, 0.75].map((d) => randomSample(items, 1, () => d)[0]));
    expect(firsts).toEqual(new Set(items));
  });
});
