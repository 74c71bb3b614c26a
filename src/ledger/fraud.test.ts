import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import type { HalfBlock } from './block.ts';
import { signBlock } from './block-codec.ts';
import { decodeFraudProof, encodeFraudProof, fraudProofId, InvalidFraudProofError, makeFraudProof, verifyFraudProof } from './fraud.ts';
import { testPeer, transfer } from './test-support.ts';

const alice = testPeer('alice', 1);
const bob = testPeer('bob', 2);
transfer(alice, bob, 10n);
transfer(alice, bob, 10n);
const [a1, a2] = alice.chain as [HalfBlock, HalfBlock];
const resign = (b: HalfBlock, changes: Partial<HalfBlock>, seed = alice.seed): HalfBlock => {
  const { signature: _, ...rest } = { ...b, ...changes };
  return signBlock(rest, seed);
};
const fork = resign(a2, { timestamp: 1 });

describe('fraud proofs', () => {
  it('verify to the offender, whoever reports them, and have one id per fraud', () => {
    const p = makeFraudProof('double-sign', a2, fork);
    expect(verifyFraudProof(p)).toEqual(alice.publicKey);
    expect(toHex(fraudProofId(p))).toBe(toHex(fraudProofId(makeFraudProof('double-sign', fork, a2))));
    expect(verifyFraudProof(decodeFraudProof(encodeFraudProof(p)))).toEqual(alice.publicKey);
  });

  it('broken-chain proofs verify in either order', () => {
    const broken = resign(a2, { previousHash: new Uint8Array(32).fill(5) });
    expect(verifyFraudProof(makeFraudProof('broken-chain', broken, a1))).toEqual(alice.publicKey);
  });

  it('refuse proofs that prove nothing', () => {
    const bad = (kind: Parameters<typeof makeFraudProof>[0], x: HalfBlock, y: HalfBlock): string => {
      try {
        verifyFraudProof({ kind, first: x, second: y });
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidFraudProofError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('double-sign', a2, a2)).toContain('same block');
    expect(bad('double-sign', a1, a2)).toContain('same sequence number');
    expect(bad('double-sign', a2, bob.chain[1]!)).toContain('different owners');
    expect(bad('double-sign', a2, { ...fork, timestamp: 99 })).toContain('not validly signed');
    expect(bad('broken-chain', a1, a2)).toContain('does link');
    expect(bad('double-countersign', a1, a2)).toContain('two agreements');
    // Two agreements by bob to different proposals are not a double countersign.
    expect(bad('double-countersign', bob.chain[0]!, bob.chain[1]!)).toContain('different proposals');
  });

  it('decode random and mutated bytes or refuse them with DecodeError', () => {
    const proofs = fc.constantFrom(makeFraudProof('double-sign', a2, fork), makeFraudProof('broken-chain', a1, resign(a2, { previousHash: new Uint8Array(32) })));
    checkDecoderProperties({ decode: decodeFraudProof, encode: encodeFraudProof, values: proofs, runs: 200 });
  });
});
