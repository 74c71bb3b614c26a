/**
 * Property tests every decoder gets (test support, used only by *.test.ts):
 * random bytes and mutated valid encodings either decode or throw DecodeError,
 * never another error, and valid encodings round-trip.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { DecodeError } from './binary.ts';

export interface DecoderUnderTest<T> {
  decode(bytes: Uint8Array): T;
  encode(value: T): Uint8Array;
  /** Valid values to encode. */
  values: fc.Arbitrary<T>;
  /** Upper bound of random input sizes. */
  maxRandomBytes?: number;
  runs?: number;
}

/** Flip bits, truncate, extend or splice: the ways a frame gets corrupted. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.nat(), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 16 }), fc.integer({ min: 0, max: 3 })).map(
    ([bytes, pos, bit, extra, kind]) => {
      const b = bytes.slice();
      const i = b.length === 0 ? 0 : pos % b.length;
      switch (kind) {
        case 0:
          if (b.length > 0) b[i] = b[i]! ^ (1 << bit);
          return b;
        case 1:
          return b.subarray(0, i);
        case 2:
          return new Uint8Array([...b, ...extra]);
        default:
          return new Uint8Array([...b.subarray(0, i), ...extra, ...b.subarray(i)]);
      }
    },
  );
}

function decodesOrRefuses<T>(decode: (b: Uint8Array) => T, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw new Error(`decoder threw ${(err as Error).name}: ${(err as Error).message}`);
  }
}

export function checkDecoderProperties<T>(d: DecoderUnderTest<T>): void {
  const runs = d.runs ?? 300;
  fc.assert(
    fc.property(d.values, (v) => {
      const bytes = d.encode(v);
      expect(d.encode(d.decode(bytes))).toEqual(bytes);
    }),
    { numRuns: runs },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: d.maxRandomBytes ?? 2048 }), (bytes) => decodesOrRefuses(d.decode, bytes)),
    { numRuns: runs },
  );
  fc.assert(
    fc.property(mutated(d.values.map((v) => d.encode(v))), (bytes) => decodesOrRefuses(d.decode, bytes)),
    { numRuns: runs },
  );
}
