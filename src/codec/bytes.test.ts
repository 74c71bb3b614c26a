import { describe, expect, it } from 'vitest';
import { bytesEqual, compareBytes, concatBytes, fromBase64Url, fromHex, toBase64Url, toHex } from './bytes.ts';

describe('bytes', () => {
  it('round-trips hex and base64url', () => {
    const b = new Uint8Array([0, 1, 254, 255, 16]);
    expect(toHex(b)).toBe('0001feff10');
    expect(fromHex('0001feff10')).toEqual(b);
    expect(fromBase64Url(toBase64Url(b))).toEqual(b);
  });
  it('rejects malformed text', () => {
    expect(() => fromHex('abc')).toThrow(TypeError);
    expect(() => fromBase64Url('a+b/')).toThrow(TypeError);
  });
  it('compares and concatenates', () => {
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0]))).toBeLessThan(0);
    expect(concatBytes(new Uint8Array([1]), new Uint8Array([2, 3]))).toEqual(new Uint8Array([1, 2, 3]));
  });
});
