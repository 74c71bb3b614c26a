import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDecoderProperties } from '../../codec/decoder-properties.ts';
import { DecodeError } from '../../codec/binary.ts';
import { bandwidthAgreement, bandwidthProposal, bandwidthType, nextBandwidth } from './bandwidth.ts';
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

describe('bandwidth builders', () => {
  it('compute a proposal\'s totals from the owner\'s previous ones', () => {
    expect(bandwidthProposal(undefined, { up: 10n, down: 0n })).toEqual({ up: 10n, down: 0n, totalUp: 10n, totalDown: 0n });
    expect(bandwidthProposal({ totalUp: 10n, totalDown: 4n }, { up: 1n, down: 2n })).toEqual({ up: 1n, down: 2n, totalUp: 11n, totalDown: 6n });
  });

  it('mirror the proposal in the agreement, with the agreeing owner\'s own totals', () => {
    const p = bandwidthProposal({ totalUp: 100n, totalDown: 0n }, { up: 30n, down: 0n });
    const a = bandwidthAgreement(p, { totalUp: 5n, totalDown: 7n });
    expect(a).toEqual({ up: 0n, down: 30n, totalUp: 5n, totalDown: 37n });
    expect(bandwidthType.checkAgreement!(a, p)).toEqual([]);
    expect(bandwidthType.agreementFor!(p, undefined)).toEqual({ up: 0n, down: 30n, totalUp: 0n, totalDown: 30n });
  });

  it('refuse what the rules would refuse: nothing moved, negative amounts, u64 overflow', () => {
    expect(() => bandwidthProposal(undefined, { up: 0n, down: 0n })).toThrow(/move some bytes/);
    expect(() => bandwidthProposal(undefined, { up: -1n, down: 5n })).toThrow(/negative/);
    expect(() => bandwidthProposal({ totalUp: 2n ** 64n - 1n, totalDown: 0n }, { up: 1n, down: 0n })).toThrow(/overflow/);
  });

  it('cannot carry negative amounts: the encoding is unsigned', () => {
    expect(() => bandwidthType.encode({ up: -1n, down: 0n, totalUp: 0n, totalDown: 0n })).toThrow(RangeError);
    const decoded = bandwidthType.decode(new Uint8Array(32).fill(0xff));
    expect(decoded.up).toBe(2n ** 64n - 1n);
    expect(() => bandwidthType.decode(new Uint8Array(31))).toThrow(DecodeError);
    expect(() => bandwidthType.decode(new Uint8Array(33))).toThrow(DecodeError);
  });

  it('state a both-zero transaction and an agreement that does not mirror as violations', () => {
    const zero = { up: 0n, down: 0n, totalUp: 0n, totalDown: 0n };
    expect(bandwidthType.check(zero, undefined as never)).toHaveLength(1);
    const p = bandwidthProposal(undefined, { up: 5n, down: 0n });
    // Same direction instead of mirrored.
    expect(bandwidthType.checkAgreement!(p, p)).toHaveLength(1);
  });
});
