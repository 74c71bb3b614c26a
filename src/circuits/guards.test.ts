import { describe, expect, it } from 'vitest';
import { GUARD_ABSENCE_MS, GUARD_LIFETIME_MS, GuardSet, MAX_GUARDS } from './guards.ts';

const key = (i: number): string => i.toString(16).padStart(64, '0');
const relays = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => key(from + i));

function seeded(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('GuardSet', () => {
  it('keeps every first hop of a seeder within a few guards across 20 introductions, whatever relays come and go', () => {
    let now = 0;
    const guards = new GuardSet(null, () => now, seeded(1));
    const hops = new Set<string>();
    for (let i = 0; i < 20; i++) {
      now += 60_000;
      // 30 relays around, a third of them replaced each time; the rendezvous point (excluded) is a random one.
      const connected = [...relays(20), ...relays(10, 100 + i * 10)];
      const hop = guards.firstHop(connected, new Set([connected[(i * 7) % connected.length]!]));
      expect(hop).toBeDefined();
      hops.add(hop!);
    }
    expect(hops.size).toBeLessThanOrEqual(MAX_GUARDS);
    expect([...hops].every((h) => guards.keys().includes(h))).toBe(true);
  });

  it('does not rotate when its guards are knocked offline: with the set full and all away, it waits instead of taking new relays', () => {
    let now = 0;
    const guards = new GuardSet(null, () => now, seeded(2));
    const first = relays(3);
    for (const k of first) expect(guards.firstHop([k], new Set())).toBe(k);
    expect(guards.keys()).toEqual(first);
    now += 60_000;
    // Only attacker relays are connected now.
    expect(guards.firstHop(relays(50, 1000), new Set())).toBeUndefined();
    // A guard back: used again.
    expect(guards.firstHop([first[1]!, ...relays(50, 1000)], new Set())).toBe(first[1]);
  });

  it('replaces a guard only after it has been away a day, and every guard after its lifetime; the set survives a reload', () => {
    let now = 0;
    const guards = new GuardSet(null, () => now, seeded(3));
    const g = guards.firstHop([key(1)], new Set())!;
    now += GUARD_ABSENCE_MS - 1;
    expect(guards.firstHop([key(2)], new Set())).toBe(key(2)); // room in the set: a second guard, the first kept
    expect(guards.keys()).toEqual([g, key(2)]);
    now += 2;
    guards.firstHop([key(2)], new Set());
    expect(guards.keys()).toEqual([key(2)]); // the first was away for a day
    const reloaded = new GuardSet(guards.serialize(), () => now, seeded(4));
    expect(reloaded.keys()).toEqual([key(2)]);
    now += GUARD_LIFETIME_MS;
    // Past its lifetime the guard is gone, even though it is still there: a new one is chosen.
    expect(reloaded.firstHop([key(3)], new Set())).toBe(key(3));
    expect(reloaded.keys()).toEqual([key(3)]);
    expect(new GuardSet('{"v":1,"guards":[{"key":"nope"}]}', () => now, seeded(5)).keys()).toEqual([]);
  });
});
