import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickAvoiding, TimedJudgements } from './relay-choice.ts';

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

describe('relays judged for a while', () => {
  it('avoids a relay found keeping payments until its time runs out, and holds at most its bound', () => {
    let clock = 0;
    const keepers = new TimedJudgements(() => clock, 2);
    keepers.add('k1', 1_000);
    const picked = pickAvoiding(['k1', 'k2', 'k3'], 2, (k) => keepers.has(k), Math.random);
    expect(picked.sort()).toEqual(['k2', 'k3']);
    clock = 1_000;
    expect(keepers.has('k1')).toBe(false);
    keepers.add('k1', 1_000);
    keepers.add('k2', 1_000);
    keepers.add('k3', 1_000);
    expect(keepers.keys()).toEqual(['k2', 'k3']);
  });
});
