/**
 * What validation and the protocols need to read from a block store. The
 * IndexedDB store (browser) and the in-memory store (tests, overlays)
 * implement it.
 */
import type { HalfBlock } from './block.ts';

export interface BlockStoreReader {
  get(publicKey: Uint8Array, sequenceNumber: number): Promise<HalfBlock | undefined>;
  /** The owner's block with the highest sequence number. */
  latest(publicKey: Uint8Array): Promise<HalfBlock | undefined>;
  /** The owner's known block with the highest sequence number below `sequenceNumber`. */
  before(publicKey: Uint8Array, sequenceNumber: number): Promise<HalfBlock | undefined>;
  /** The owner's known block with the lowest sequence number above `sequenceNumber`. */
  after(publicKey: Uint8Array, sequenceNumber: number): Promise<HalfBlock | undefined>;
  /** The owner's known blocks with from <= seq <= to, ascending. */
  range(publicKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]>;
  /** Agreements that link to the proposal (proposerKey, proposalSeq). */
  agreementsFor(proposerKey: Uint8Array, proposalSeq: number): Promise<HalfBlock[]>;
}

/** Result of storing a block. `conflict`: a different block holds that chain position. */
export type PutResult = 'added' | 'exists' | 'conflict';

export interface BlockStoreWriter {
  put(block: HalfBlock): Promise<PutResult>;
}
