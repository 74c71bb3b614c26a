/** The ledger's IndexedDB schema: its records and the tiers their storage is budgeted in. */
import type { DBSchema } from 'idb';
import type { FraudKind } from './fraud.ts';

export type Tier = 'pinned' | 'general' | 'stranger';

/** A record's `pinned` field holds its tier, so the [pinned, insertedAt] index orders each tier oldest first. */
export const TIER_CODE = { general: 0, pinned: 1, stranger: 2 } as const satisfies Record<Tier, number>;
export type TierCode = (typeof TIER_CODE)[Tier];

/** One block, or a run of consecutive blocks of one owner (see idb-runs.ts). */
export interface BlockRecord {
  owner: string;
  /** The (last) block's sequence number. */
  seq: number;
  /** A single block's link (the `link` index); absent in runs. */
  linkOwner?: string;
  linkSeq?: number;
  /** A run's first sequence number; absent for a single block. */
  first?: number;
  /** A run: block i's bytes are bytes[offsets[i], offsets[i + 1]). */
  offsets?: Uint32Array;
  /** A run's agreements' links, by bucket: [linkOwner, floor(linkSeq / LINK_BUCKET)] (the multi-entry `runLinks` index). */
  links?: [string, number][];
  bytes: Uint8Array;
  /** Encoded bytes of the record's blocks. */
  size: number;
  insertedAt: number;
  /** The tier (TIER_CODE); named `pinned` since version 1, when it was 0 or 1. */
  pinned: TierCode;
}

export interface FraudRecord {
  id: string;
  offender: string;
  kind: FraudKind;
  bytes: Uint8Array;
  receivedAt: number;
}

export interface TierUsage {
  blocks: number;
  bytes: number;
}

export type Tiers = Record<Tier, TierUsage>;

export interface LedgerSchema extends DBSchema {
  blocks: { key: [string, number]; value: BlockRecord; indexes: { link: [string, number]; runLinks: [string, number]; evictable: [number, number] } };
  fraud: { key: string; value: FraudRecord; indexes: { offender: string } };
  /** 'usage': per-tier counters (version 1 kept {blocks, bytes, pinnedBlocks} there). */
  meta: { key: string; value: Tiers };
}
