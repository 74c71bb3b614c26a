import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickAvoiding } from './relay-choice.ts';

describe('relay choice', () => {
  it('picks distinct candidates, avoided ones only when the others run out', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer(), { minLength: 1, maxLength: 12 }), fc.nat(), fc.integer({ min: 1, max: 2 ** 31 }), (candidates, n, seed) => {
        const count = 1 + (n % candidates.length);
        let s = seed;
        const random = () => ((s = (s * 48271) % 2147483647) / 2147483647);
        const avoid = (c: number) => c % 2 === 0;
        const picked = pickAvoiding(candidates, count, avoid, random);
        expect(new Set(picked).size).toBe(count);
        expect(picked.every((p) => candidates.includes(p))).toBe(true);
        const fine = candidates.filter((c) => !avoid(c)).length;
        expect(picked.filter((p) => !avoid(p)).length).toBe(Math.min(fine, count));
      }),
    );
  });
});
