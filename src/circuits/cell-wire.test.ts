import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { decodeCommand, decodeFrame, encodeCommand, encodeFrame, type LinkFrame, type RelayCommand } from './cell-wire.ts';
import { MAX_DATA_BYTES, MAX_FRAME_BYTES } from './constants.ts';
import { MAX_DESCRIPTOR_BYTES } from './descriptor-wire.ts';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const circuitId = fc.nat({ max: 0xffff_ffff });

const frames: fc.Arbitrary<LinkFrame> = fc.oneof(
  fc.record({ type: fc.constant('create' as const), circuitId, X: key }),
  fc.record({ type: fc.constant('created' as const), circuitId, Y: key, auth: key }),
  fc.record({ type: fc.constant('relay' as const), circuitId, onion: fc.uint8Array({ maxLength: 4096 }) }),
  fc.record({ type: fc.constant('destroy' as const), circuitId, reason: fc.constantFrom('requested', 'protocol', 'limit', 'unpaid', 'refused', 'hop-lost', 'timeout') as fc.Arbitrary<'requested'> }),
  fc.record({ type: fc.constant('keepalive' as const), circuitId }),
  fc.record({ type: fc.constant('credit' as const), circuitId, bytes: fc.nat({ max: 0xffff_ffff }) }),
  fc.record({ type: fc.constant('payout' as const), circuitId, amount: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
);

const commands: fc.Arbitrary<RelayCommand> = fc.oneof(
  fc.record({ command: fc.constant('extend' as const), next: key, X: key }),
  fc.record({ command: fc.constant('extended' as const), Y: key, auth: key }),
  fc.record({ command: fc.constant('data' as const), data: fc.uint8Array({ maxLength: 4096 }) }),
  fc.record({ command: fc.constant('extend-failed' as const), reason: fc.string({ maxLength: 50 }) }),
  fc.record({ command: fc.constantFrom('rendezvous' as const, 'join' as const), cookie: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
  fc.constant({ command: 'joined' as const }),
  fc.constant({ command: 'intro-established' as const }),
  fc.record({ command: fc.constant('establish-intro' as const), descriptor: fc.uint8Array({ maxLength: MAX_DESCRIPTOR_BYTES }), proof: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
  fc.record({ command: fc.constant('introduce' as const), service: key, X: key, sealed: fc.uint8Array({ minLength: 68, maxLength: 68 }) }),
  fc.record({ command: fc.constant('introduce-ack' as const), ok: fc.boolean() }),
);

describe('circuit wire format', () => {
  it('round-trips frames and commands', () => {
    fc.assert(
      fc.property(frames, (f) => {
        expect(decodeFrame(encodeFrame(f))).toEqual(f);
      }),
    );
    fc.assert(
      fc.property(commands, (c) => {
        expect(decodeCommand(encodeCommand(c))).toEqual(c);
      }),
    );
  });

  it('decodes random and mutated frames or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeFrame, encode: encodeFrame, values: frames, runs: 400 });
    checkDecoderProperties({ decode: decodeCommand, encode: encodeCommand, values: commands, runs: 400 });
  });

  it('refuses oversized frames and data, unknown types and trailing bytes', () => {
    expect(() => decodeFrame(new Uint8Array(MAX_FRAME_BYTES + 1))).toThrow(DecodeError);
    expect(() => decodeCommand(new Uint8Array([3, ...new Uint8Array(MAX_DATA_BYTES + 1)]))).toThrow(/over/);
    expect(() => decodeFrame(new Uint8Array([9, 0, 0, 0, 1]))).toThrow(DecodeError);
    expect(() => decodeFrame(new Uint8Array([5, 0, 0, 0, 1, 0]))).toThrow(/unexpected bytes/);
    expect(() => encodeCommand({ command: 'data', data: new Uint8Array(MAX_DATA_BYTES + 1) })).toThrow(RangeError);
  });
});
