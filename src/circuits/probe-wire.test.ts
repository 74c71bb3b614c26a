import fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { decodeProbe, encodeProbe, type ProbeMessage } from './probe-wire.ts';

const messages: fc.Arbitrary<ProbeMessage> = fc.oneof(
  fc.record({ kind: fc.constant('fill' as const), bytes: fc.uint8Array({ maxLength: 512 }) }),
  fc.constant({ kind: 'fin' as const }),
  fc.record({ kind: fc.constant('count' as const), received: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
);

describe('circuit probe wire format', () => {
  it('round-trips, and decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeProbe, encode: encodeProbe, values: messages, runs: 300 });
  });
});
