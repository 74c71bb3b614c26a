/** Crawl range logic: which of an owner's blocks a crawl request asks for, and what fits in the answer. Pure. */
import type { HalfBlock } from './block.ts';
import { encodeBlock } from './block-codec.ts';
import { GENESIS_SEQ, MAX_CRAWL_BLOCKS } from './constants.ts';

export interface SeqRange {
  from: number;
  to: number;
}

/**
 * Resolves a requested [start, end] against a chain whose latest block is
 * `latestSeq`. Negative numbers count from the tail (-1 = the latest block).
 * The result is clamped to [1, latest] and to at most `maxBlocks` blocks
 * (keeping the start), or undefined when nothing applies.
 */
export function resolveCrawlRange(start: number, end: number, latestSeq: number, maxBlocks: number = MAX_CRAWL_BLOCKS): SeqRange | undefined {
  if (!Number.isInteger(latestSeq) || latestSeq < GENESIS_SEQ || !(maxBlocks >= 1)) return undefined;
  const abs = (n: number): number => (n < 0 ? latestSeq + 1 + n : n);
  let from = Math.max(GENESIS_SEQ, abs(start));
  let to = Math.min(latestSeq, abs(end));
  if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) return undefined;
  from = Math.max(from, GENESIS_SEQ);
  to = Math.min(to, from + maxBlocks - 1);
  return { from, to };
}

/**
 * Keeps a crawl response within a byte budget: the owner's blocks in order,
 * each followed by the counterparty halves linked to it, stopping at the
 * first item that would not fit (so the answer is a contiguous prefix).
 */
export function fitResponse<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes: number): T[] {
  const out: T[] = [];
  let total = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (total + size > maxBytes) break;
    total += size;
    out.push(item);
  }
  return out;
}

/** One of the owner's blocks with the counterparty halves linking into it (its agreement, or the proposal it answers). */
export interface CrawlEntry {
  block: HalfBlock;
  linked: readonly HalfBlock[];
}

export interface CrawlResponseLimits {
  /** Most blocks in the answer, linked halves included. */
  maxBlocks: number;
  /** Byte budget for the blocks as they travel (see sizeOf). */
  maxBytes: number;
  /** A block's size on the wire; default: its encoding plus a u16 length prefix. */
  sizeOf?: (b: HalfBlock) => number;
}

/** Length prefix of a block inside a ledger-wire container. */
const BLOCK_PREFIX_BYTES = 2;
const wireSize = (b: HalfBlock): number => encodeBlock(b).length + BLOCK_PREFIX_BYTES;

/**
 * The blocks of a crawl answer: the owner's blocks ascending by seq, each
 * followed by its linked halves, within both limits. It stops at the first
 * owner block that does not fit, so the owner's part is a contiguous prefix
 * of what was asked (the requester re-crawls from where it ends); a linked
 * half that does not fit is left out and ends the answer too.
 */
export function selectCrawlResponse(entries: readonly CrawlEntry[], limits: CrawlResponseLimits): HalfBlock[] {
  const sizeOf = limits.sizeOf ?? wireSize;
  const sorted = [...entries].sort((a, b) => a.block.sequenceNumber - b.block.sequenceNumber);
  const out: HalfBlock[] = [];
  let bytes = 0;
  const take = (b: HalfBlock): boolean => {
    const size = sizeOf(b);
    if (out.length >= limits.maxBlocks || bytes + size > limits.maxBytes) return false;
    out.push(b);
    bytes += size;
    return true;
  };
  for (const e of sorted) {
    if (!take(e.block)) break;
    if (!e.linked.every(take)) break;
  }
  return out;
}
