import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { MAX_ANSWER_RECORDS, MAX_ANSWER_SWARMS, MAX_QUERY_BYTES, MAX_RECORDS_PER_MESSAGE } from './constants.ts';
import { decodeDiscoveryMessage, encodeDiscoveryMessage, MAX_DISCOVERY_FRAME_BYTES, type DiscoveryMessage } from './discovery-wire.ts';
import { MAX_RECORD_BYTES, type SwarmRecord } from './swarm-record-wire.ts';
import { records } from './test-support.ts';

const queries = fc.string({ minLength: 1, maxLength: 30 }).filter((q) => q.trim() !== '' && new TextEncoder().encode(q).length <= MAX_QUERY_BYTES);
const messages: fc.Arbitrary<DiscoveryMessage> = fc.oneof(
  fc.record({ type: fc.constant('records' as const), records: fc.array(records, { maxLength: 3 }) }),
  fc.record({ type: fc.constant('search' as const), id: fc.nat({ max: 2 ** 32 - 1 }), query: queries, limit: fc.integer({ min: 1, max: MAX_ANSWER_SWARMS }) }),
  fc.record({ type: fc.constant('answer' as const), id: fc.nat({ max: 2 ** 32 - 1 }), records: fc.array(records, { maxLength: 3 }) }),
);

const longest = (n: number): SwarmRecord[] =>
  Array.from({ length: n }, () => ({
    announcer: new Uint8Array(32),
    infoHash: new Uint8Array(20),
    name: 'n'.repeat(200),
    size: 1,
    files: 1,
    seeders: 0,
    leechers: 0,
    demand: 0,
    issuedAt: 0,
    expiresAt: 1,
    signature: new Uint8Array(64),
  }));

describe('discovery wire format', () => {
  it('round-trips, and decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeDiscoveryMessage, encode: encodeDiscoveryMessage, values: messages, maxRandomBytes: 3 * MAX_RECORD_BYTES });
  });

  it('the fullest messages fit the frame limit; more records, blank queries, bad limits and unknown types are refused', () => {
    const full = encodeDiscoveryMessage({ type: 'answer', id: 7, records: longest(MAX_ANSWER_RECORDS) });
    expect(full.length).toBeLessThanOrEqual(MAX_DISCOVERY_FRAME_BYTES);
    expect(encodeDiscoveryMessage({ type: 'records', records: longest(MAX_RECORDS_PER_MESSAGE) }).length).toBeLessThanOrEqual(MAX_DISCOVERY_FRAME_BYTES);
    expect(() => encodeDiscoveryMessage({ type: 'records', records: longest(MAX_RECORDS_PER_MESSAGE + 1) })).toThrow(RangeError);
    expect(() => encodeDiscoveryMessage({ type: 'search', id: 1, query: '  ', limit: 5 })).toThrow(RangeError);
    expect(() => encodeDiscoveryMessage({ type: 'search', id: 1, query: 'x', limit: 0 })).toThrow(RangeError);
    expect(() => decodeDiscoveryMessage(new Uint8Array([1, MAX_RECORDS_PER_MESSAGE + 1]))).toThrow(DecodeError);
    expect(() => decodeDiscoveryMessage(new Uint8Array([9]))).toThrow(/not known/);
    const search = encodeDiscoveryMessage({ type: 'search', id: 1, query: 'x', limit: 5 });
    const tooMany = search.slice();
    tooMany[tooMany.length - 1] = MAX_ANSWER_SWARMS + 1;
    expect(() => decodeDiscoveryMessage(tooMany)).toThrow(DecodeError);
    const blank = search.slice();
    blank[6] = 0x20;
    expect(() => decodeDiscoveryMessage(blank)).toThrow(/blank/);
  });
});
