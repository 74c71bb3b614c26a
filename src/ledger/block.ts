/**
 * The TrustChain half-block. A transaction is a pair: the proposer's half
 * (linkSequenceNumber 0) and the counterparty's agreement, which links to the
 * proposal by (linkPublicKey, linkSequenceNumber). Each half is signed by its
 * owner and stored in both chains.
 */
import { toHex } from '../codec/bytes.ts';
import { UNKNOWN_SEQ } from './constants.ts';

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

export function shortKey(publicKey: Uint8Array): string {
  return toHex(publicKey.subarray(0, 4));
}
