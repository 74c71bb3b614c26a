import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom as seeded } from '../reputation/prng.ts';
import { diverseSample, NEIGHBOURHOOD, planNeighbourhood, type Candidate, type Neighbour } from './neighbours.ts';

const neighbour = (i: number, over: Partial<Neighbour> = {}): Neighbour => ({ id: `n${i}`, since: 0, group: `relay${i % 3}`, usefulness: 0, ...over });
const candidate = (i: number, group = `relay${i % 3}`): Candidate => ({ id: `c${i}`, group });
const HOUR = 3_600_000;

describe('planNeighbourhood', () => {
  it('fills up to the target, a few dials a round, never dialling a neighbour', () => {
    const neighbours = [neighbour(0), neighbour(1)];
    const candidates = [...Array.from({ length: 20 }, (_, i) => candidate(i)), { id: 'n0', group: 'relay0' }];
    const plan = planNeighbourhood({ now: HOUR, neighbours, candidates, lastRefreshAt: -Infinity, random: seeded(1) });
    expect(plan.dial).toHaveLength(NEIGHBOURHOOD.maxDialsPerRound);
    expect(plan.dial).not.toContain('n0');
    expect(new Set(plan.dial).size).toBe(plan.dial.length);
    expect(plan.drop).toEqual([]);
    const nearlyFull = Array.from({ length: NEIGHBOURHOOD.target - 1 }, (_, i) => neighbour(i));
    expect(planNeighbourhood({ now: HOUR, neighbours: nearlyFull, candidates, lastRefreshAt: HOUR, random: seeded(2) }).dial).toHaveLength(1);
  });

  it('drops the least useful past the maximum, the newest first among equals', () => {
    const neighbours = Array.from({ length: NEIGHBOURHOOD.max + 2 }, (_, i) => neighbour(i, { usefulness: i < 4 ? 0 : 5, since: i * 1000 }));
    const plan = planNeighbourhood({ now: HOUR, neighbours, candidates: [candidate(99)], lastRefreshAt: -Infinity, random: seeded(3) });
    expect(plan.drop).toEqual(['n3', 'n2']);
    expect(plan.dial).toEqual([]);
  });

  it('at its target, replaces one neighbour of the less useful half past its tenure every refresh period, and none sooner', () => {
    const neighbours = Array.from({ length: NEIGHBOURHOOD.target }, (_, i) => neighbour(i, { usefulness: i }));
    const facts = { neighbours, candidates: [candidate(50), candidate(51)], random: seeded(4) };
    expect(planNeighbourhood({ ...facts, now: HOUR, lastRefreshAt: HOUR - NEIGHBOURHOOD.refreshEveryMs + 1 })).toEqual({ dial: [], drop: [], refreshed: false });
    const plan = planNeighbourhood({ ...facts, now: HOUR, lastRefreshAt: HOUR - NEIGHBOURHOOD.refreshEveryMs });
    expect(plan.refreshed).toBe(true);
    expect(plan.dial).toHaveLength(1);
    expect(plan.drop).toHaveLength(1);
    const lessUseful = neighbours.slice(0, NEIGHBOURHOOD.target / 2).map((n) => n.id);
    expect(lessUseful).toContain(plan.drop[0]);
    // Too young to judge: nobody leaves.
    const young = neighbours.map((n) => ({ ...n, since: HOUR - NEIGHBOURHOOD.minTenureMs + 1 }));
    expect(planNeighbourhood({ ...facts, neighbours: young, now: HOUR, lastRefreshAt: -Infinity }).drop).toEqual([]);
  });

  it('never refreshes away the more useful half, whatever the draws', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: NEIGHBOURHOOD.target, max: NEIGHBOURHOOD.max }), (seed, size) => {
        const neighbours = Array.from({ length: size }, (_, i) => neighbour(i, { usefulness: i }));
        const plan = planNeighbourhood({ now: HOUR, neighbours, candidates: [candidate(90), candidate(91)], lastRefreshAt: -Infinity, random: seeded(seed) });
        const dropped = plan.drop.map((id) => Number(id.slice(1)));
        return dropped.every((i) => i < Math.floor(size / 2)) && plan.drop.length <= 1 && plan.dial.length === plan.drop.length;
      }),
    );
  });

  it('never refreshes away a neighbour in use (our circuits go through it), whatever the draws, even from the less useful half', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: NEIGHBOURHOOD.target, max: NEIGHBOURHOOD.max }), fc.integer({ min: 1, max: NEIGHBOURHOOD.target }), (seed, size, inUse) => {
        // The ones in use rank lowest here: a dial in flight counts as more useful than anything.
        const neighbours = Array.from({ length: size }, (_, i) => neighbour(i, { usefulness: i, ...(i < inUse ? { inUse: true as const } : {}) }));
        const plan = planNeighbourhood({ now: HOUR, neighbours, candidates: [candidate(90)], lastRefreshAt: -Infinity, random: seeded(seed) });
        return plan.drop.every((id) => Number(id.slice(1)) >= inUse);
      }),
    );
  });

  it('an attacker with a thousand keys behind one relay gets no more of a newcomer\'s neighbours than an honest relay with ten peers', () => {
    const honest = Array.from({ length: 30 }, (_, i) => candidate(i, `honest${i % 3}`));
    const sybils = Array.from({ length: 1000 }, (_, i) => candidate(1000 + i, 'attacker'));
    let attackerPicks = 0;
    let draws = 0;
    for (let seed = 0; seed < 200; seed++) {
      const picks = diverseSample([...honest, ...sybils], [], NEIGHBOURHOOD.target, seeded(seed));
      attackerPicks += picks.filter((id) => Number(id.slice(1)) >= 1000).length;
      draws += picks.length;
    }
    // Four groups: about a quarter at first, less as the attacker's group holds picks.
    expect(attackerPicks / draws).toBeLessThan(0.3);
  });
});
