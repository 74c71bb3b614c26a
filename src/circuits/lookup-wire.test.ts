import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { decodeLookupRequest, decodeLookupResponse, encodeLookupRequest, encodeLookupResponse, MAX_LOOKUP_ANSWERS, MAX_LOOKUP_TTL } from './lookup-wire.ts';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('hidden swarm lookup wire format', () => {
  it('round-trips, and decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeLookupRequest, encode: encodeLookupRequest, values: fc.record({ lookup: key, ttl: fc.integer({ min: 0, max: MAX_LOOKUP_TTL }) }), maxRandomBytes: 64 });
    checkDecoderProperties({
      decode: decodeLookupResponse,
      encode: encodeLookupResponse,
      values: fc.array(fc.record({ service: key, introPoint: key }), { maxLength: MAX_LOOKUP_ANSWERS }),
      maxRandomBytes: 600,
    });
  });

  it('refuses a ttl beyond the limit and too many answers', () => {
    expect(() => decodeLookupRequest(new Uint8Array([...new Uint8Array(32), MAX_LOOKUP_TTL + 1]))).toThrow(DecodeError);
    expect(() => decodeLookupResponse(new Uint8Array([MAX_LOOKUP_ANSWERS + 1]))).toThrow(DecodeError);
  });
});
