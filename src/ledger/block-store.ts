/**
 * What validation and the protocols need to read from a block store. The
 * IndexedDB store (browser) and the in-memory store (tests, overlays)
 * implement it.
 */
import { isProposal, type HalfBlock } from './block.ts';

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
  /** Agreements that link to any of proposerKey's blocks from..to (one query for a batch). */
  agreementsInRange(proposerKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]>;
  /** A reader for queries made together, cheaper than one at a time (IndexedDB: one read transaction); a store without one is its own. */
  batchReader?(): BlockStoreReader;
}

/**
 * Result of storing a block: `added` (new), `exists` (the same block was
 * there), `conflict` (a different block holds that chain position; nothing
 * is overwritten, the caller has a double sign on its hands).
 */
export type PutResult = 'added' | 'exists' | 'conflict';

export interface BlockStoreWriter {
  put(block: HalfBlock): Promise<PutResult>;
}

/**
 * The known other halves of `block`: for a proposal, the agreements answering
 * it (several only if fraud or ANY_COUNTERPARTY); for an agreement, its proposal.
 */
export async function linkedTo(store: BlockStoreReader, block: HalfBlock): Promise<HalfBlock[]> {
  if (isProposal(block)) return store.agreementsFor(block.publicKey, block.sequenceNumber);
  const proposal = await store.get(block.linkPublicKey, block.linkSequenceNumber);
  return proposal === undefined ? [] : [proposal];
}
