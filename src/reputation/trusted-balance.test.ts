import { describe, expect, it } from 'vitest';
import { trustedNet } from './trusted-balance.ts';

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
});
