import { describe, expect, it } from 'vitest';
import { UNTRUSTED_MIN_BYTES, UNTRUSTED_RATIO } from './constants.ts';
import { isUntrusted } from './untrusted.ts';

describe('isUntrusted', () => {
  it('marks a large raw balance that stands at nothing (minted in a ring)', () => {
    expect(isUntrusted(10n << 30n, 0n)).toBe(true);
  });

  it('marks a raw balance whose standing is just below raw / UNTRUSTED_RATIO, not one at it', () => {
    const raw = UNTRUSTED_MIN_BYTES * 100n;
    expect(isUntrusted(raw, raw / UNTRUSTED_RATIO - 1n)).toBe(true);
    expect(isUntrusted(raw, raw / UNTRUSTED_RATIO)).toBe(false);
  });

  it('never marks an honest standing equal to (or above) the raw balance', () => {
    expect(isUntrusted(UNTRUSTED_MIN_BYTES * 5n, UNTRUSTED_MIN_BYTES * 5n)).toBe(false);
    expect(isUntrusted(UNTRUSTED_MIN_BYTES, UNTRUSTED_MIN_BYTES * 3n)).toBe(false);
  });

  it('never marks a newcomer: a small, zero or negative balance, even with no standing', () => {
    expect(isUntrusted(UNTRUSTED_MIN_BYTES - 1n, 0n)).toBe(false);
    expect(isUntrusted(0n, 0n)).toBe(false);
    expect(isUntrusted(-(10n << 30n), 0n)).toBe(false);
    expect(isUntrusted(UNTRUSTED_MIN_BYTES, 0n)).toBe(true);
  });
});
