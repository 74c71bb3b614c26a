/**
 * Runs: consecutive blocks of one owner kept in one IndexedDB record.
 *
 * Chromium spends 0.2–0.5 ms on each record it writes, whatever its size
 * (measured on this machine: 1,000 records of 250 bytes in 175–500 ms, the
 * same bytes as 10 records in 10–16 ms), so a crawl that stores thousands of
 * blocks one record each spends most of its time in IndexedDB. Blocks stored
 * together, of one owner, in one tier and consecutive, are written as runs.
 *
 * A record of one block has the fields version 2 had (and is in the `link`
 * index). A longer run is keyed on its last sequence number, keeps its first
 * and where each block's bytes start, and lists its agreements' links for the
 * multi-entry `runLinks` index. Runs never overlap, so the record holding a
 * position is the first one keyed at or after it.
 *
 * A run's links are listed by bucket of LINK_BUCKET proposals, not one by one:
 * an index query returns each matching record once per entry, so a run of 64
 * agreements to 64 consecutive proposals listed per link would come back (and
 * be deserialized) 64 times for one range; by bucket it comes once or twice.
 */
import { toHex } from '../codec/bytes.ts';
import { isAgreement, type HalfBlock } from './block.ts';
import { adoptBlock, encodeBlock } from './block-codec.ts';
import { TIER_CODE, type BlockRecord, type Tier } from './idb-schema.ts';

/** Blocks per run: 1,000 crawled blocks are ~16 records, and a read of one block deserializes ~16 KB, not a crawl page. */
export const RUN_MAX_BLOCKS = 64;
/** Bytes per run: blocks near MAX_BLOCK_BYTES (~4 KiB, a chain someone filled on purpose) make shorter runs, so a read stays small. */
export const RUN_MAX_BYTES = 64 * 1024;
/** Proposals per `runLinks` entry: a run of agreements to consecutive proposals has one or two entries per proposer. */
export const LINK_BUCKET = RUN_MAX_BLOCKS;

/** The `runLinks` key of an agreement to proposal `seq` of `proposerHex`. */
export const linkBucket = (proposerHex: string, seq: number): [string, number] => [proposerHex, Math.floor(seq / LINK_BUCKET)];

export const firstSeq = (r: BlockRecord): number => r.first ?? r.seq;

export const blockCount = (r: BlockRecord): number => r.seq - firstSeq(r) + 1;

/** The record holds `seq`. */
export const holds = (r: BlockRecord, seq: number): boolean => seq >= firstSeq(r) && seq <= r.seq;

/** The block at `seq`, if the record holds it. */
export function blockAt(r: BlockRecord, seq: number): HalfBlock | undefined {
  if (!holds(r, seq)) return undefined;
  if (r.offsets === undefined) return adoptBlock(r.bytes);
  const i = seq - firstSeq(r);
  return adoptBlock(r.bytes.subarray(r.offsets[i]!, r.offsets[i + 1]!));
}

/** The record's blocks with from <= seq <= to, ascending. */
export function blocksIn(r: BlockRecord, from = 0, to = Number.MAX_SAFE_INTEGER): HalfBlock[] {
  const out: HalfBlock[] = [];
  for (let s = Math.max(from, firstSeq(r)); s <= Math.min(to, r.seq); s++) out.push(blockAt(r, s)!);
  return out;
}

/** Encoded size of the block at `seq` (the record holds it). */
export function sizeAt(r: BlockRecord, seq: number): number {
  if (r.offsets === undefined) return r.size;
  const i = seq - firstSeq(r);
  return r.offsets[i + 1]! - r.offsets[i]!;
}

/** A record of one block, as version 2 wrote it. */
export function singleRecord(block: HalfBlock, tier: Tier, insertedAt: number): BlockRecord {
  const bytes = encodeBlock(block);
  return { owner: toHex(block.publicKey), seq: block.sequenceNumber, linkOwner: toHex(block.linkPublicKey), linkSeq: block.linkSequenceNumber, bytes, size: bytes.length, insertedAt, pinned: TIER_CODE[tier] };
}

/** A record of consecutive blocks of one owner (ascending, no gaps); one block makes a single record. */
export function runRecord(blocks: readonly HalfBlock[], tier: Tier, insertedAt: number): BlockRecord {
  if (blocks.length === 1) return singleRecord(blocks[0]!, tier, insertedAt);
  const encodings = blocks.map((b) => encodeBlock(b));
  const offsets = new Uint32Array(encodings.length + 1);
  encodings.forEach((e, i) => (offsets[i + 1] = offsets[i]! + e.length));
  const bytes = new Uint8Array(offsets[encodings.length]!);
  encodings.forEach((e, i) => bytes.set(e, offsets[i]!));
  const buckets = new Map(blocks.filter(isAgreement).map((b) => linkBucket(toHex(b.linkPublicKey), b.linkSequenceNumber)).map((k) => [k.join(':'), k] as const));
  const links = [...buckets.values()];
  const first = blocks[0]!;
  return { owner: toHex(first.publicKey), seq: blocks.at(-1)!.sequenceNumber, first: first.sequenceNumber, offsets, links, bytes, size: bytes.length, insertedAt, pinned: TIER_CODE[tier] };
}

/** Splits blocks of one owner into runs of consecutive sequence numbers, at most RUN_MAX_BLOCKS and RUN_MAX_BYTES each. */
export function consecutiveRuns(blocks: readonly HalfBlock[]): HalfBlock[][] {
  const sorted = [...blocks].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  const runs: { blocks: HalfBlock[]; bytes: number }[] = [];
  for (const b of sorted) {
    const size = encodeBlock(b).length;
    const run = runs.at(-1);
    const joins = run !== undefined && run.blocks.length < RUN_MAX_BLOCKS && run.bytes + size <= RUN_MAX_BYTES && run.blocks.at(-1)!.sequenceNumber + 1 === b.sequenceNumber;
    if (joins) {
      run.blocks.push(b);
      run.bytes += size;
    } else runs.push({ blocks: [b], bytes: size });
  }
  return runs.map((r) => r.blocks);
}

/** A record's agreements linking to a proposal of `proposerHex` with from <= seq <= to. */
export function agreementsLinkingTo(r: BlockRecord, proposerHex: string, from: number, to: number): HalfBlock[] {
  return blocksIn(r).filter((b) => isAgreement(b) && b.linkSequenceNumber >= from && b.linkSequenceNumber <= to && toHex(b.linkPublicKey) === proposerHex);
}

/**
 * A record written again with some of its blocks in better tiers (`moves`, stored at `insertedAt`):
 * one record per stretch of blocks that share a tier and a time.
 */
export function splitRun(r: BlockRecord, was: Tier, moves: ReadonlyMap<number, Tier>, insertedAt: number): BlockRecord[] {
  const pieces: { tier: Tier; at: number; blocks: HalfBlock[] }[] = [];
  for (const b of blocksIn(r)) {
    const moved = moves.get(b.sequenceNumber);
    const [tier, at] = moved === undefined ? [was, r.insertedAt] : [moved, insertedAt];
    const last = pieces.at(-1);
    if (last !== undefined && last.tier === tier && last.at === at) last.blocks.push(b);
    else pieces.push({ tier, at, blocks: [b] });
  }
  return pieces.map((p) => runRecord(p.blocks, p.tier, p.at));
}
