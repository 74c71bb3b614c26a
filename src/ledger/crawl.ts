/** Crawl range logic: which of an owner's blocks a crawl request asks for. Pure. */
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
  if (latestSeq < GENESIS_SEQ || maxBlocks < 1) return undefined;
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
