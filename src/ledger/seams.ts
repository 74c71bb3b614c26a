/**
 * Interception points of the ledger that only a test build fills in (see
 * src/app/fault-seams.ts). Empty in production: every field is optional and unset.
 */
import type { HalfBlock } from './block.ts';

export interface LedgerSeams {
  /** Called after a commit of own blocks is durable, before any of them may leave (a throw simulates a crash there). */
  afterCommit?(blocks: readonly HalfBlock[]): void;
  /** Whether a block of our own key that arrived from a peer is kept (false: two devices of one identity that never heard of each other). */
  keepOwnBlock?(block: HalfBlock): boolean;
}
