import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { MAX_DESCRIPTOR_BYTES } from './descriptor-wire.ts';
import { decodeLookupRequest, decodeLookupResponse, encodeLookupRequest, encodeLookupResponse, LOOKUP_ID_BYTES, LOOKUP_REQUEST_BYTES, MAX_LOOKUP_ANSWERS, MAX_LOOKUP_RESPONSE_BYTES, MAX_LOOKUP_TTL } from './lookup-wire.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('hidden swarm lookup wire format', () => {
  it('round-trips, and decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({
      decode: decodeLookupRequest,
      encode: encodeLookupRequest,
      values: fc.record({ id: bytes(LOOKUP_ID_BYTES), lookup: bytes(32), ttl: fc.integer({ min: 0, max: MAX_LOOKUP_TTL }) }),
      maxRandomBytes: 2 * LOOKUP_REQUEST_BYTES,
    });
    checkDecoderProperties({
      decode: decodeLookupResponse,
      encode: encodeLookupResponse,
      values: fc.array(fc.uint8Array({ maxLength: MAX_DESCRIPTOR_BYTES }), { maxLength: MAX_LOOKUP_ANSWERS }),
      maxRandomBytes: 1200,
      runs: 150,
    });
  });

  it('every request carries an id; a ttl beyond the limit, too many answers, an oversized descriptor or response are refused', () => {
    expect(() => decodeLookupRequest(new Uint8Array(33))).toThrow(DecodeError); // a 1.0.0 request: no id
    expect(() => decodeLookupRequest(new Uint8Array([...new Uint8Array(LOOKUP_ID_BYTES + 32), MAX_LOOKUP_TTL + 1]))).toThrow(DecodeError);
    expect(() => decodeLookupResponse(new Uint8Array([MAX_LOOKUP_ANSWERS + 1]))).toThrow(DecodeError);
    const big = MAX_DESCRIPTOR_BYTES + 1;
    expect(() => decodeLookupResponse(new Uint8Array([1, big >> 8, big & 0xff, ...new Uint8Array(big)]))).toThrow(DecodeError);
    expect(() => decodeLookupResponse(new Uint8Array(MAX_LOOKUP_RESPONSE_BYTES + 1))).toThrow(DecodeError);
    const full = encodeLookupResponse(Array.from({ length: MAX_LOOKUP_ANSWERS }, () => new Uint8Array(MAX_DESCRIPTOR_BYTES)));
    expect(full.length).toBe(MAX_LOOKUP_RESPONSE_BYTES);
  });
});
