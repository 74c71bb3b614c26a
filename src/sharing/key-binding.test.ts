import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handshakeVerdict } from './key-binding.ts';

const key = (b: number): Uint8Array => new Uint8Array(32).fill(b);

describe('handshakeVerdict', () => {
  it('binds the first handshake, key or none', () => {
    expect(handshakeVerdict(undefined, key(1))).toBe('first');
    expect(handshakeVerdict(undefined, null)).toBe('first');
  });

  it('ignores a repeat of the same key (a copy, not the same array) or of none', () => {
    expect(handshakeVerdict(key(1), key(1))).toBe('repeat');
    expect(handshakeVerdict(null, null)).toBe('repeat');
  });

  it('closes on a different key, and on a key dropped or added after the first handshake', () => {
    expect(handshakeVerdict(key(1), key(2))).toBe('switch');
    expect(handshakeVerdict(key(1), null)).toBe('switch');
    expect(handshakeVerdict(null, key(2))).toBe('switch');
  });

  it('never lets a bound key change', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
        const v = handshakeVerdict(a, b);
        return a.every((x, i) => x === b[i]) ? v === 'repeat' : v === 'switch';
      }),
    );
  });
});
