import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryWriter, DecodeError } from '../../codec/binary.ts';
import { checkDecoderProperties, mutated } from '../../codec/decoder-properties.ts';
import { decodePerfHeader, encodePerfHeader, MAX_PERF_DOWNLOAD_BYTES, PERF_HEADER_BYTES } from './perf-wire.ts';

function refusal(bytes: Uint8Array): DecodeError['reason'] {
  try {
    decodePerfHeader(bytes);
  } catch (err) {
    if (err instanceof DecodeError) return err.reason;
    throw err;
  }
  throw new Error('the header was accepted');
}

const u64 = (n: bigint): Uint8Array => new BinaryWriter().u64(n).finish();

describe('perf header', () => {
  it('is the requested byte count as a big-endian u64', () => {
    const header = encodePerfHeader(0x0102_0304);
    expect(header.length).toBe(PERF_HEADER_BYTES);
    expect(Array.from(header)).toEqual([0, 0, 0, 0, 1, 2, 3, 4]);
    expect(MAX_PERF_DOWNLOAD_BYTES).toBe(2 ** 30);
  });

  it.each([0, 1, 255, 256, 2 ** 24, 300_000_000, MAX_PERF_DOWNLOAD_BYTES - 1, MAX_PERF_DOWNLOAD_BYTES])('round-trips %d', (n) => {
    expect(decodePerfHeader(encodePerfHeader(n))).toBe(n);
  });

  it.each([-1, MAX_PERF_DOWNLOAD_BYTES + 1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2])(
    'refuses to ask for %d bytes',
    (n) => {
      expect(() => encodePerfHeader(n)).toThrow(RangeError);
    },
  );

  it('refuses a request over MAX_PERF_DOWNLOAD_BYTES as too-long, up to the largest u64', () => {
    expect(refusal(u64(BigInt(MAX_PERF_DOWNLOAD_BYTES) + 1n))).toBe('too-long');
    expect(refusal(u64(2n ** 63n))).toBe('too-long');
    expect(refusal(u64(2n ** 64n - 1n))).toBe('too-long');
  });

  it('refuses short headers as truncated and long ones as trailing-bytes', () => {
    for (let n = 0; n < PERF_HEADER_BYTES; n++) expect(refusal(new Uint8Array(n))).toBe('truncated');
    expect(refusal(new Uint8Array(PERF_HEADER_BYTES + 1))).toBe('trailing-bytes');
  });
});

describe('perf header properties', () => {
  const valid = fc.integer({ min: 0, max: MAX_PERF_DOWNLOAD_BYTES });

  it('round-trips valid headers; random and mutated bytes decode or raise DecodeError only', () => {
    checkDecoderProperties({ decode: decodePerfHeader, encode: encodePerfHeader, values: valid, maxRandomBytes: 16, runs: 500 });
  });

  it('accepts exactly the 8-byte values up to the limit, and nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 16 }), mutated(valid.map(encodePerfHeader))), (bytes) => {
        const value = bytes.length === PERF_HEADER_BYTES ? new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0) : undefined;
        const acceptable = value !== undefined && value <= BigInt(MAX_PERF_DOWNLOAD_BYTES);
        let decoded: { n: number } | { err: unknown };
        try {
          decoded = { n: decodePerfHeader(bytes) };
        } catch (err) {
          decoded = { err };
        }
        if ('n' in decoded) {
          expect(acceptable).toBe(true);
          expect(BigInt(decoded.n)).toBe(value);
          expect(encodePerfHeader(decoded.n)).toEqual(bytes);
        } else {
          expect(decoded.err).toBeInstanceOf(DecodeError);
          expect(acceptable).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
