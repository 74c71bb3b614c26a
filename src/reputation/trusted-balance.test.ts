import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trustedCredit, trustedNet } from './trusted-balance.ts';

const MiB = 1n << 20n;

describe('trustedNet', () => {
  it('counts a credit up to the trusted standing and every debit', () => {
    expect(trustedNet({ up: 10n * MiB, down: 2n * MiB }, 4n * MiB)).toBe(2n * MiB);
    expect(trustedNet({ up: 3n * MiB, down: 2n * MiB }, 8n * MiB)).toBe(1n * MiB); // standing above what it gave: capped at the credit
  });

  it('a ring that minted a large credit among itself, standing at 0, is judged on its debits alone', () => {
    expect(trustedNet({ up: 1n << 40n, down: 5n * MiB }, 0n)).toBe(-5n * MiB);
  });

  it('an honest newcomer (no credits) is judged exactly as on its raw balance, trust or not', () => {
    for (const standing of [undefined, 0n, 7n * MiB]) expect(trustedNet({ up: 0n, down: 3n * MiB }, standing)).toBe(-3n * MiB);
  });

  it('without trust figures credits count for nothing: never judged above a newcomer', () => {
    expect(trustedNet({ up: 9n * MiB, down: 0n }, undefined)).toBe(0n);
  });

  it('never judges above the raw balance', () => {
    for (const [up, down, s] of [[5n, 1n, 9n], [5n, 9n, 2n], [0n, 0n, 4n], [7n, 7n, 7n]] as const) {
      expect(trustedNet({ up, down }, s)).toBeLessThanOrEqual(up - down);
    }
  });

  it('converts standing to bytes at the giving rate: a stranger standing at a typical giver\'s rate is credited in full', () => {
    // Gave 600 MiB, stands at 6 MiB in my view, as a typical giver does (rate 1 %): its credits count.
    expect(trustedNet({ up: 600n * MiB, down: 610n * MiB }, 6n * MiB, 0.01)).toBe(-10n * MiB);
    // The rule before the rate judged it by its debits alone.
    expect(trustedNet({ up: 600n * MiB, down: 610n * MiB }, 6n * MiB)).toBe(-604n * MiB);
    // Half the typical rate: half its credits.
    expect(trustedNet({ up: 600n * MiB, down: 0n }, 3n * MiB, 0.01)).toBe(300n * MiB);
  });

  it('trustedCredit: standing worth in bytes at the rate, never negative', () => {
    expect(trustedCredit(6n * MiB, 0.01)).toBe(600n * MiB);
    expect(trustedCredit(6n * MiB, undefined)).toBe(6n * MiB);
    expect(trustedCredit(-5n, 0.01)).toBe(0n);
    expect(trustedCredit(0n, 0.5)).toBe(0n);
  });

  it('never counts more than standing when the rate is missing, 1 or more, or not a number', () => {
    for (const rate of [undefined, 1, 3, 0, -1, Number.NaN]) expect(trustedNet({ up: 50n * MiB, down: 0n }, 4n * MiB, rate)).toBe(4n * MiB);
  });

  it('never judges above the raw balance, whatever the rate', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 50n }), fc.bigInt({ min: 0n, max: 1n << 50n }), fc.bigInt({ min: -1n, max: 1n << 50n }), fc.double({ min: 0, max: 2, noNaN: true }), (up, down, standing, rate) => {
        expect(trustedNet({ up, down }, standing, rate)).toBeLessThanOrEqual(up - down);
        expect(trustedNet({ up, down }, standing, rate)).toBeGreaterThanOrEqual(-down);
      }),
    );
  });
});
