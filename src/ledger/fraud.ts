/**
 * Fraud proofs: two blocks, both signed by the offender, that cannot both be
 * honest. Anyone can verify one without trusting whoever reported it.
 *
 *   double-sign         two different blocks at the same (owner, seq)
 *   double-countersign  two different agreements by one owner to the same proposal
 *   broken-chain        a block at seq n + 1 whose previousHash is not the hash of the
 *                       owner's block at seq n: the owner signed two different seq-n blocks
 *
 * Canonical form: double-sign and double-countersign blocks ordered by hash
 * (ascending), broken-chain blocks by sequence number; one fraud, one proof,
 * one id (SHA-256 of the encoding).
 *
 * Encoding: kind u8 (1 double-sign, 2 double-countersign, 3 broken-chain), then
 * each block as u16 length (<= MAX_BLOCK_BYTES) + block encoding. Decoding is
 * strict: bounded, canonical order only, no trailing bytes.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { bytesEqual, compareBytes } from '../codec/bytes.ts';
import type { HalfBlock } from './block.ts';
import { blockHash, decodeBlock, encodeBlock, verifyBlockSignature } from './block-codec.ts';
import { MAX_BLOCK_BYTES } from './constants.ts';

export type FraudKind = 'double-sign' | 'double-countersign' | 'broken-chain';

export interface FraudProof {
  readonly kind: FraudKind;
  readonly first: HalfBlock;
  readonly second: HalfBlock;
}

const KIND_CODES: Record<FraudKind, number> = { 'double-sign': 1, 'double-countersign': 2, 'broken-chain': 3 };
const KINDS: Record<number, FraudKind> = { 1: 'double-sign', 2: 'double-countersign', 3: 'broken-chain' };

export const MAX_FRAUD_PROOF_BYTES = 1 + 2 * (2 + MAX_BLOCK_BYTES);

export class InvalidFraudProofError extends Error {
  override name = 'InvalidFraudProofError';
}

/** Puts the two blocks in canonical order, so one fraud always yields one proof. */
export function makeFraudProof(kind: FraudKind, a: HalfBlock, b: HalfBlock): FraudProof {
  if (kind === 'broken-chain') return a.sequenceNumber <= b.sequenceNumber ? { kind, first: a, second: b } : { kind, first: b, second: a };
  return compareBytes(blockHash(a), blockHash(b)) <= 0 ? { kind, first: a, second: b } : { kind, first: b, second: a };
}

/** Encodes the proof in canonical order, whatever order it holds. */
export function encodeFraudProof(p: FraudProof): Uint8Array {
  p = makeFraudProof(p.kind, p.first, p.second);
  return new BinaryWriter(2 * 256).u8(KIND_CODES[p.kind]).bytes(encodeBlock(p.first), MAX_BLOCK_BYTES).bytes(encodeBlock(p.second), MAX_BLOCK_BYTES).finish();
}

/** Reads one proof from a container's reader; see decodeFraudProof. */
export function readFraudProof(r: BinaryReader): FraudProof {
  const code = r.u8('fraud kind');
  const kind = KINDS[code];
  if (kind === undefined) throw new DecodeError('unknown-type', `unknown fraud proof kind ${code}`);
  const first = decodeBlock(r.bytes(MAX_BLOCK_BYTES, 'first block'));
  const second = decodeBlock(r.bytes(MAX_BLOCK_BYTES, 'second block'));
  if (makeFraudProof(kind, first, second).first !== first) throw new DecodeError('invalid-value', 'the blocks of the fraud proof are not in canonical order');
  return { kind, first, second };
}

export function decodeFraudProof(bytes: Uint8Array): FraudProof {
  const r = new BinaryReader(bytes);
  const p = readFraudProof(r);
  r.end('fraud proof');
  return p;
}

/** Same fraud, same id: the proof's blocks are in canonical order before hashing. */
export function fraudProofId(p: FraudProof): Uint8Array {
  return sha256(encodeFraudProof(p));
}

/** Returns the offender's public key, or throws InvalidFraudProofError saying why the proof proves nothing. */
export function verifyFraudProof(p: FraudProof, checkSignature: (b: HalfBlock) => boolean = verifyBlockSignature): Uint8Array {
  const { first: a, second: b } = p;
  if (!bytesEqual(a.publicKey, b.publicKey)) throw new InvalidFraudProofError('the two blocks have different owners');
  if (bytesEqual(blockHash(a), blockHash(b))) throw new InvalidFraudProofError('the two blocks are the same block');
  switch (p.kind) {
    case 'double-sign':
      if (a.sequenceNumber !== b.sequenceNumber) throw new InvalidFraudProofError('double sign needs two blocks at the same sequence number');
      break;
    case 'double-countersign':
      if (a.linkSequenceNumber === 0 || b.linkSequenceNumber === 0) throw new InvalidFraudProofError('double countersign needs two agreements');
      if (!bytesEqual(a.linkPublicKey, b.linkPublicKey) || a.linkSequenceNumber !== b.linkSequenceNumber) {
        throw new InvalidFraudProofError('the two agreements answer different proposals');
      }
      break;
    case 'broken-chain': {
      const [lo, hi] = a.sequenceNumber < b.sequenceNumber ? [a, b] : [b, a];
      if (hi.sequenceNumber !== lo.sequenceNumber + 1) throw new InvalidFraudProofError('a broken chain needs two consecutive blocks');
      if (bytesEqual(hi.previousHash, blockHash(lo))) throw new InvalidFraudProofError('the later block does link to the earlier one');
      break;
    }
  }
  if (!checkSignature(a) || !checkSignature(b)) throw new InvalidFraudProofError('a block in the proof is not validly signed by its owner');
  return a.publicKey;
}
