import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryWriter, DecodeError } from '../../codec/binary.ts';
import { checkDecoderProperties } from '../../codec/decoder-properties.ts';
import { decodePerfHeader, encodePerfHeader, MAX_PERF_DOWNLOAD_BYTES } from './perf-wire.ts';

describe('perf header', () => {
  it('round-trips and bounds the requested size', () => {
    expect(decodePerfHeader(encodePerfHeader(12345))).toBe(12345);
    expect(() => encodePerfHeader(MAX_PERF_DOWNLOAD_BYTES + 1)).toThrow(RangeError);
    expect(() => encodePerfHeader(-1)).toThrow(RangeError);
    expect(() => decodePerfHeader(new BinaryWriter().u64(BigInt(MAX_PERF_DOWNLOAD_BYTES) + 1n).finish())).toThrow(DecodeError);
  });

  it('decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodePerfHeader, encode: encodePerfHeader, values: fc.integer({ min: 0, max: MAX_PERF_DOWNLOAD_BYTES }), maxRandomBytes: 16 });
  });
});
