import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import type { HalfBlock } from './block.ts';
import { encodeBlock, signBlock } from './block-codec.ts';
import { BinaryWriter, DecodeError } from '../codec/binary.ts';
import { MAX_BLOCK_BYTES } from './constants.ts';
import { arbitraryFraudProof } from './test-arbitraries.ts';
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

describe('fraud proofs from anyone', () => {
  const carol = testPeer('carol', 3);

  it('double countersign: two agreements by one owner to one proposal', () => {
    const p = alice.chain[0]!;
    const again = resign(bob.chain[0]!, { sequenceNumber: 3, previousHash: new Uint8Array(32).fill(3) }, bob.seed);
    const proof = makeFraudProof('double-countersign', again, bob.chain[0]!);
    expect(verifyFraudProof(proof)).toEqual(bob.publicKey);
    expect(p.sequenceNumber).toBe(again.linkSequenceNumber);
  });

  it('are refused when a block is tampered with after signing', () => {
    const p = makeFraudProof('double-sign', a2, fork);
    const flipped = p.second.signature.slice();
    flipped[0] = flipped[0]! ^ 1;
    const tampered = { ...p, second: { ...p.second, signature: flipped } };
    expect(() => verifyFraudProof(tampered)).toThrow(InvalidFraudProofError);
    // The same through the encoding: flip one bit inside the second block's transaction.
    const bytes = encodeFraudProof(p);
    for (const at of [bytes.length - 70, bytes.length - 1, 200]) {
      const b = bytes.slice();
      b[at] = b[at]! ^ 0x01;
      let decoded;
      try {
        decoded = decodeFraudProof(b);
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError);
        continue;
      }
      expect(() => verifyFraudProof(decoded)).toThrow(InvalidFraudProofError);
    }
  });

  it('are refused when forged: blocks signed by someone else under the victim\'s key', () => {
    const framed = resign(a2, { timestamp: 5 }, carol.seed); // carol signs, claims alice's key
    expect(() => verifyFraudProof(makeFraudProof('double-sign', a2, framed))).toThrow(/not validly signed/);
    // A verdict cache that says "no" is respected too.
    expect(() => verifyFraudProof(makeFraudProof('double-sign', a2, fork), () => false)).toThrow(InvalidFraudProofError);
  });

  it('have one encoding: a non-canonical order does not decode, and encoding canonicalises', () => {
    const p = makeFraudProof('double-sign', a2, fork);
    const swapped = { ...p, first: p.second, second: p.first };
    expect(encodeFraudProof(swapped)).toEqual(encodeFraudProof(p));
    const e1 = encodeBlock(p.first);
    const e2 = encodeBlock(p.second);
    const w = new BinaryWriter().u8(1).bytes(e2, MAX_BLOCK_BYTES).bytes(e1, MAX_BLOCK_BYTES).finish();
    expect(() => decodeFraudProof(w)).toThrow(/canonical order/);
    expect(() => decodeFraudProof(new Uint8Array([9]))).toThrow(expect.objectContaining({ reason: 'unknown-type' }));
    expect(() => decodeFraudProof(new Uint8Array([...encodeFraudProof(p), 0]))).toThrow(expect.objectContaining({ reason: 'trailing-bytes' }));
  });

  it('decode arbitrary proofs and their mutations or refuse them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeFraudProof, encode: encodeFraudProof, values: arbitraryFraudProof(), runs: 200 });
  });
});
