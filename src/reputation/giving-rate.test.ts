import { describe, expect, it } from 'vitest';
import { givingRate } from './giving-rate.ts';
import { RATE_MIN_KEYS, RATE_QUORUM_SHARE } from './constants.ts';

const MiB = 1n << 20n;

/** Keys k0..k(n-1), each having given `given` and standing at `ratio` of it. */
function honest(n: number, given: bigint, ratio: (i: number) => number): { given: [string, bigint][]; standing: Map<string, bigint> } {
  const out = { given: [] as [string, bigint][], standing: new Map<string, bigint>() };
  for (let i = 0; i < n; i++) {
    out.given.push([`k${i}`, given]);
    out.standing.set(`k${i}`, BigInt(Math.round(Number(given) * ratio(i))));
  }
  return out;
}

describe('the giving rate', () => {
  it('is the median standing per byte given of the keys holding a share of all standing', () => {
    const { given, standing } = honest(9, 100n * MiB, (i) => (i + 1) / 1000);
    expect(givingRate(given, (k) => standing.get(k) ?? 0n)).toBeCloseTo(5 / 1000, 6);
  });

  it('leaves out my own keys, keys that gave nothing, and keys with no standing', () => {
    const { given, standing } = honest(RATE_MIN_KEYS, 100n * MiB, () => 0.02);
    given.push(['me', 100n * MiB], ['idle', 0n], ['stranger', 100n * MiB]);
    standing.set('me', 100n * MiB).set('idle', 5n * MiB);
    expect(givingRate(given, (k) => standing.get(k) ?? 0n, new Set(['me']))).toBeCloseTo(0.02, 6);
  });

  it('is undefined with too few voters, and never above 1', () => {
    const few = honest(RATE_MIN_KEYS - 1, 100n * MiB, () => 0.02);
    expect(givingRate(few.given, (k) => few.standing.get(k) ?? 0n)).toBeUndefined();
    const direct = honest(RATE_MIN_KEYS, 100n * MiB, () => 2.5); // gave only to me, trust recycled
    expect(givingRate(direct.given, (k) => direct.standing.get(k) ?? 0n)).toBe(1);
  });

  it('a Sybil ring seats no more voters than its real giving pays for, however many keys it mints', () => {
    // 100 honest givers at 1 %; a ring that really gave 1 GiB (standing 10 MiB in all) spreads it over keys that claim 10 GiB each.
    const { given, standing } = honest(100, 1024n * MiB, () => 0.01);
    const total = [...standing.values()].reduce((a, b) => a + b, 0n);
    const ringStanding = 10n * MiB;
    const rates: number[] = [];
    for (const keys of [1, 10, 1_000, 100_000]) {
      const g = [...given];
      const s = new Map(standing);
      for (let i = 0; i < keys; i++) {
        g.push([`sybil${i}`, 10_240n * MiB]);
        s.set(`sybil${i}`, ringStanding / BigInt(keys));
      }
      rates.push(givingRate(g, (k) => s.get(k) ?? 0n)!);
    }
    // Voters need RATE_QUORUM_SHARE of all standing: the ring can seat at most this many.
    const seats = Math.floor(Number(ringStanding) / (Number(total + ringStanding) * RATE_QUORUM_SHARE));
    expect(seats).toBeLessThan(100);
    // However it splits, the rate stays at the honest median or at most `seats` places below it (here all honest ratios are equal).
    for (const r of rates) expect(r).toBeCloseTo(0.01, 6);
  });
});
