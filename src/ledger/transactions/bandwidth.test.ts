import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDecoderProperties } from '../../codec/decoder-properties.ts';
import { bandwidthType, nextBandwidth } from './bandwidth.ts';
import { defaultRegistry } from './default-registry.ts';

describe('bandwidth transactions', () => {
  it('continue running totals', () => {
    expect(nextBandwidth(undefined, 5n, 0n)).toEqual({ up: 5n, down: 0n, totalUp: 5n, totalDown: 0n });
    expect(nextBandwidth({ totalUp: 5n, totalDown: 7n }, 0n, 3n)).toEqual({ up: 0n, down: 3n, totalUp: 5n, totalDown: 10n });
  });

  it('state their rules', () => {
    const check = (up: bigint, down: bigint, totalUp: bigint, totalDown: bigint): string[] => bandwidthType.check({ up, down, totalUp, totalDown }, undefined as never);
    expect(check(0n, 0n, 0n, 0n)).toHaveLength(1);
    expect(check(5n, 0n, 4n, 0n)[0]).toContain('total up');
    expect(check(0n, 5n, 0n, 4n)[0]).toContain('total down');
    expect(check(5n, 0n, 5n, 0n)).toEqual([]);
    expect(bandwidthType.checkAgreement!({ up: 0n, down: 5n, totalUp: 0n, totalDown: 5n }, { up: 5n, down: 0n, totalUp: 5n, totalDown: 0n })).toEqual([]);
    expect(bandwidthType.checkAgreement!({ up: 0n, down: 6n, totalUp: 0n, totalDown: 6n }, { up: 5n, down: 0n, totalUp: 5n, totalDown: 0n })).toHaveLength(1);
  });

  it('are registered as a token-carrying type, once', () => {
    const r = defaultRegistry();
    expect(r.isTokenType('bandwidth')).toBe(true);
    expect(() => r.register(bandwidthType)).toThrow(/already registered/);
  });

  it('decode random and mutated bytes or refuse them with DecodeError', () => {
    const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    checkDecoderProperties({ decode: bandwidthType.decode, encode: bandwidthType.encode, values: fc.record({ up: u64, down: u64, totalUp: u64, totalDown: u64 }), maxRandomBytes: 64 });
  });
});
