import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { decodeDescriptor, encodeDescriptor, MAX_DESCRIPTOR_BYTES, MAX_DESCRIPTOR_INTRO_POINTS, type HiddenDescriptor } from './descriptor-wire.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const descriptors: fc.Arbitrary<HiddenDescriptor> = fc
  .record({
    serviceKey: bytes(32),
    lookup: bytes(32),
    issuedAt: fc.bigInt({ min: 0n, max: 2n ** 64n - 2n }),
    life: fc.bigInt({ min: 1n, max: 2n ** 40n }),
    introPoints: fc.uniqueArray(bytes(32), { minLength: 1, maxLength: MAX_DESCRIPTOR_INTRO_POINTS, selector: (k) => k.join(',') }),
    signature: bytes(64),
  })
  .map(({ life, ...d }) => ({ ...d, expiresAt: d.issuedAt + life > 2n ** 64n - 1n ? 2n ** 64n - 1n : d.issuedAt + life }));
const one = (over: Partial<HiddenDescriptor> = {}): HiddenDescriptor => ({
  serviceKey: new Uint8Array(32).fill(1),
  lookup: new Uint8Array(32).fill(2),
  issuedAt: 10n,
  expiresAt: 20n,
  introPoints: [new Uint8Array(32).fill(3)],
  signature: new Uint8Array(64),
  ...over,
});
/** Offset of the count byte: version, two keys, two times. */
const COUNT_AT = 1 + 32 + 32 + 8 + 8;

describe('hidden-service descriptor wire format', () => {
  it('round-trips, and decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeDescriptor, encode: encodeDescriptor, values: descriptors, maxRandomBytes: MAX_DESCRIPTOR_BYTES + 64 });
  });

  it('is canonical and bounded: unknown versions, no or too many or repeated introduction points, expiry before issue, trailing bytes are refused', () => {
    const full = encodeDescriptor(one({ introPoints: Array.from({ length: MAX_DESCRIPTOR_INTRO_POINTS }, (_, i) => new Uint8Array(32).fill(i + 1)) }));
    expect(full.length).toBe(MAX_DESCRIPTOR_BYTES);
    expect(() => decodeDescriptor(new Uint8Array([...full, 0]))).toThrow(DecodeError);
    const good = encodeDescriptor(one());
    const tampered = (at: number, value: number) => {
      const b = good.slice();
      b[at] = value;
      return b;
    };
    expect(() => decodeDescriptor(tampered(0, 2))).toThrow(/version/);
    expect(() => decodeDescriptor(tampered(COUNT_AT, 0))).toThrow(DecodeError);
    expect(() => decodeDescriptor(tampered(COUNT_AT, MAX_DESCRIPTOR_INTRO_POINTS + 1))).toThrow(DecodeError);
    expect(() => decodeDescriptor(encodeDescriptor(one({ introPoints: [new Uint8Array(32)] })).map((b, i) => (i === COUNT_AT ? 2 : b)))).toThrow(DecodeError);
    const twice = encodeDescriptor(one({ introPoints: [new Uint8Array(32).fill(3), new Uint8Array(32).fill(4)] }));
    twice.set(new Uint8Array(32).fill(3), COUNT_AT + 1 + 32);
    expect(() => decodeDescriptor(twice)).toThrow(/once/);
    expect(() => encodeDescriptor(one({ expiresAt: 10n }))).toThrow(RangeError);
    const backwards = good.slice();
    backwards.set(good.subarray(COUNT_AT - 8, COUNT_AT), COUNT_AT - 16); // issuedAt := expiresAt
    expect(() => decodeDescriptor(backwards)).toThrow(/expires after/);
  });
});
