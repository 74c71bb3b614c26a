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

describe('judgements kept across a reload', () => {
  const key = (n: number): string => n.toString(16).padStart(64, '0');

  it('restores what was saved and still in force, and forgets what ran out meanwhile', () => {
    let clock = 0;
    let saved: string | null = null;
    const before = new TimedJudgements(() => clock, 8, (s) => (saved = s));
    before.add(key(1), 1_000);
    before.add(key(2), 5_000);
    clock = 2_000; // the tab was closed meanwhile
    const after = new TimedJudgements(() => clock, 8).restore(saved);
    expect(after.keys()).toEqual([key(2)]);
    clock = 5_000;
    expect(after.has(key(2))).toBe(false);
  });

  it('takes nothing from stored state it cannot trust, and never more than its bound', () => {
    const clock = 0;
    const restored = (state: string | null): string[] => new TimedJudgements(() => clock, 2).restore(state).keys();
    expect(restored(null)).toEqual([]);
    expect(restored('not json')).toEqual([]);
    expect(restored('{"a":1}')).toEqual([]);
    expect(restored(JSON.stringify([['k1', 10], [key(1), 'soon'], [key(2), -5], [key(3), Number.MAX_VALUE]]))).toEqual([key(3)]);
    expect(restored(JSON.stringify([[key(1), 10], [key(2), 10], [key(3), 10]]))).toEqual([key(2), key(3)]);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (state) => {
        expect(restored(state).length).toBeLessThanOrEqual(2);
      }),
    );
  });
});
