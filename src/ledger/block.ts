/**
 * The TrustChain half-block. A transaction is a pair: the proposer's half
 * (linkSequenceNumber 0) and the counterparty's agreement, which links to the
 * proposal by (linkPublicKey, linkSequenceNumber). Each half is signed by its
 * owner and stored in both chains.
 */
import { toHex } from '../codec/bytes.ts';
import { HASH_BYTES, KEY_BYTES, MAX_SEQ, MAX_TRANSACTION_BYTES, MAX_TYPE_LENGTH, SIGNATURE_BYTES, UNKNOWN_SEQ } from './constants.ts';

export interface HalfBlock {
  /** Ed25519 public key of the chain owner (32 bytes). */
  readonly publicKey: Uint8Array;
  /** Position in the owner's chain, from 1. */
  readonly sequenceNumber: number;
  /** The counterparty's key, or ANY_COUNTERPARTY. */
  readonly linkPublicKey: Uint8Array;
  /** 0 in a proposal; the proposal's sequence number in an agreement. */
  readonly linkSequenceNumber: number;
  /** SHA-256 of the owner's previous block, GENESIS_HASH at seq 1. */
  readonly previousHash: Uint8Array;
  /** Milliseconds since the epoch, by the owner's clock. */
  readonly timestamp: number;
  /** Transaction type name (registry key). */
  readonly type: string;
  /** The transaction's canonical bytes, kept raw so verification never re-serialises. */
  readonly transaction: Uint8Array;
  /** Owner's signature over the encoding with this field zeroed (64 bytes). */
  readonly signature: Uint8Array;
}

export type UnsignedBlock = Omit<HalfBlock, 'signature'>;

export function isProposal(b: Pick<HalfBlock, 'linkSequenceNumber'>): boolean {
  return b.linkSequenceNumber === UNKNOWN_SEQ;
}

export function isAgreement(b: Pick<HalfBlock, 'linkSequenceNumber'>): boolean {
  return b.linkSequenceNumber !== UNKNOWN_SEQ;
}

/** Stable map key for a chain position. */
export function blockKey(publicKey: Uint8Array, sequenceNumber: number): string {
  return `${toHex(publicKey)}:${sequenceNumber}`;
}

/** Stable map key of a block's chain position ("<owner hex>:<seq>"); two forks of one position share it. */
export function blockId(b: Pick<HalfBlock, 'publicKey' | 'sequenceNumber'>): string {
  return blockKey(b.publicKey, b.sequenceNumber);
}

/** Transaction type names: short lowercase ASCII identifiers. */
export const TYPE_NAME_PATTERN = new RegExp(`^[a-z0-9_-]{1,${MAX_TYPE_LENGTH}}$`);

/**
 * Why the fields of a block cannot be encoded (empty when they can): ranges
 * of the integers, lengths of keys and hashes, the type's charset, the size
 * of the transaction. `withSignature` also checks the signature's length.
 * Decoded blocks always pass; this guards blocks built in code.
 */
export function blockFieldErrors(b: UnsignedBlock & { signature?: Uint8Array }, withSignature = false): string[] {
  const errors: string[] = [];
  const bytesOf = (v: unknown, n: number): boolean => v instanceof Uint8Array && v.length === n;
  if (!bytesOf(b.publicKey, KEY_BYTES)) errors.push(`the public key must be ${KEY_BYTES} bytes`);
  if (!Number.isInteger(b.sequenceNumber) || b.sequenceNumber < 1 || b.sequenceNumber > MAX_SEQ) errors.push(`sequence number ${b.sequenceNumber} is outside 1..${MAX_SEQ}`);
  if (!bytesOf(b.linkPublicKey, KEY_BYTES)) errors.push(`the link public key must be ${KEY_BYTES} bytes`);
  if (!Number.isInteger(b.linkSequenceNumber) || b.linkSequenceNumber < 0 || b.linkSequenceNumber > MAX_SEQ) errors.push(`link sequence number ${b.linkSequenceNumber} is outside 0..${MAX_SEQ}`);
  if (!bytesOf(b.previousHash, HASH_BYTES)) errors.push(`the previous hash must be ${HASH_BYTES} bytes`);
  if (!Number.isSafeInteger(b.timestamp) || b.timestamp < 0) errors.push(`timestamp ${b.timestamp} is not a non-negative safe integer`);
  if (typeof b.type !== 'string' || !TYPE_NAME_PATTERN.test(b.type)) errors.push(`transaction type "${String(b.type)}" is not 1-${MAX_TYPE_LENGTH} of [a-z0-9_-]`);
  if (!(b.transaction instanceof Uint8Array)) errors.push('the transaction must be bytes');
  else if (b.transaction.length > MAX_TRANSACTION_BYTES) errors.push(`transaction of ${b.transaction.length} bytes exceeds ${MAX_TRANSACTION_BYTES}`);
  if (withSignature && !bytesOf(b.signature, SIGNATURE_BYTES)) errors.push(`the signature must be ${SIGNATURE_BYTES} bytes`);
  return errors;
}

export function shortKey(publicKey: Uint8Array): string {
  return toHex(publicKey.subarray(0, 4));
}
