/**
 * Book sync between matchmakers (pure): compact set reconciliation, as
 * Tribler's BOOK_SYNC. A matchmaker sends a salted Bloom filter of the ids of
 * the orders it holds; the other answers with the signed blocks the first
 * lacks: its unexpired orders whose ids the filter lacks, and its
 * cancellations whose ids the filter holds (so a cancelled order drops out
 * everywhere). Answers are bounded in blocks and bytes; repeated rounds (with
 * a fresh salt, and the filter grown by what came) converge.
 *
 * Wire (a version byte, then the kind):
 *   request  u8 version, u8 1, pair, u32 salt, u8 hashes (1..16), filter (u16 length, 1..16384 bytes)
 *   answer   u8 version, u8 2, pair, u8 count (<= 100), each block (readBlock's
 *            self-delimiting half-block encoding), of type ask, bid or cancel-order;
 *            the whole at most MAX_SYNC_ANSWER_BYTES
 *
 * What a network layer calls: `syncRequest(book, salt)` on a timer towards a
 * peer matchmaker; on a request, `answerSync(request, book, now)`; on an
 * answer, for each block: verify it (signature and chain, through the ledger),
 * then book.add(orderFromBlock(b)) or book.cancel(cancelFromBlock(b)).
 * The codec: `encodeBookSync` / `decodeBookSync` (throws only DecodeError).
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { encodeBlock, readBlock } from '../ledger/block-codec.ts';
import { BloomFilter } from './bloom.ts';
import { BOOK_SYNC_VERSION, MAX_BLOOM_BYTES, MAX_BLOOM_HASHES, MAX_SYNC_ANSWER_BLOCKS, MAX_SYNC_ANSWER_BYTES } from './constants.ts';
import { isExpired, type Order, type OrderCancel } from './order.ts';
import { readPair, writePair } from './tradechain/fields.ts';
import { ASK, BID, CANCEL_ORDER } from './tradechain/order-tx.ts';

export type BookSyncMessage = { type: 'sync-request'; pair: string; filter: BloomFilter } | { type: 'sync-answer'; pair: string; blocks: HalfBlock[] };

/** What an answer draws from: an OrderBook has both. */
export interface SyncSource {
  readonly pair: string;
  orders(): Iterable<Order>;
  cancellations(): Iterable<OrderCancel>;
}

const REQUEST = 1;
const ANSWER = 2;
const SYNCED_TYPES = new Set([ASK, BID, CANCEL_ORDER]);

/** A filter of every order id the book holds. */
export function syncRequest(book: SyncSource, salt: number): BookSyncMessage {
  const ids = [...book.orders()].map((o) => o.id);
  return { type: 'sync-request', pair: book.pair, filter: BloomFilter.of(ids, ids.length, salt) };
}

/**
 * The blocks the requester lacks, bounded: cancellations of orders it seems
 * to hold first (they stop bad matches), then unexpired orders it does not.
 */
export function answerSync(request: Extract<BookSyncMessage, { type: 'sync-request' }>, book: SyncSource, now: number): BookSyncMessage {
  const blocks: HalfBlock[] = [];
  let bytes = 0;
  const room = (b: HalfBlock): boolean => {
    const size = encodeBlock(b).length;
    // Header and length overheads are covered by the margin MAX_SYNC_ANSWER_BYTES leaves over 100 blocks' worth.
    if (blocks.length >= MAX_SYNC_ANSWER_BLOCKS || bytes + size > MAX_SYNC_ANSWER_BYTES - 64) return false;
    blocks.push(b);
    bytes += size;
    return true;
  };
  const answer = (): BookSyncMessage => ({ type: 'sync-answer', pair: book.pair, blocks });
  if (request.pair !== book.pair) return answer();
  for (const c of book.cancellations()) if (request.filter.has(c.id) && !room(c.block)) return answer();
  for (const o of book.orders()) if (!isExpired(o, now) && !request.filter.has(o.id) && !room(o.block)) return answer();
  return answer();
}

export function encodeBookSync(m: BookSyncMessage): Uint8Array {
  const w = new BinaryWriter(m.type === 'sync-request' ? m.filter.bits.length + 32 : 4096).u8(BOOK_SYNC_VERSION);
  if (m.type === 'sync-request') {
    writePair(w.u8(REQUEST), m.pair).u32(m.filter.salt).u8(m.filter.hashes).bytes(m.filter.bits, MAX_BLOOM_BYTES);
    return w.finish();
  }
  if (m.blocks.length > MAX_SYNC_ANSWER_BLOCKS) throw new RangeError(`an answer carries at most ${MAX_SYNC_ANSWER_BLOCKS} blocks`);
  writePair(w.u8(ANSWER), m.pair).u8(m.blocks.length);
  for (const b of m.blocks) {
    if (!SYNCED_TYPES.has(b.type)) throw new RangeError(`a ${b.type} block is not an order or a cancellation`);
    const e = encodeBlock(b);
    w.fixed(e, e.length);
  }
  const out = w.finish();
  if (out.length > MAX_SYNC_ANSWER_BYTES) throw new RangeError(`an answer is at most ${MAX_SYNC_ANSWER_BYTES} bytes`);
  return out;
}

/** Throws only DecodeError: wrong version or kind, bounds, a filter out of range, a block of another type. */
export function decodeBookSync(bytes: Uint8Array): BookSyncMessage {
  if (bytes.length > MAX_SYNC_ANSWER_BYTES) throw new DecodeError('too-long', `a book-sync message of ${bytes.length} bytes is over ${MAX_SYNC_ANSWER_BYTES}`);
  const r = new BinaryReader(bytes);
  const version = r.u8('book-sync version');
  if (version !== BOOK_SYNC_VERSION) throw new DecodeError('unknown-version', `book-sync version ${version} is not supported`);
  const kind = r.u8('book-sync kind');
  if (kind !== REQUEST && kind !== ANSWER) throw new DecodeError('unknown-type', `book-sync kind ${kind} is unknown`);
  const pair = readPair(r);
  let m: BookSyncMessage;
  if (kind === REQUEST) {
    const salt = r.u32('salt');
    const hashes = r.u8('hashes');
    const bits = r.bytes(MAX_BLOOM_BYTES, 'filter');
    if (hashes < 1 || hashes > MAX_BLOOM_HASHES) throw new DecodeError('invalid-value', `a filter uses 1..${MAX_BLOOM_HASHES} hashes, not ${hashes}`);
    if (bits.length === 0) throw new DecodeError('invalid-value', 'an empty filter');
    m = { type: 'sync-request', pair, filter: new BloomFilter(bits, hashes, salt) };
  } else {
    const count = r.count(MAX_SYNC_ANSWER_BLOCKS, 'blocks');
    const blocks: HalfBlock[] = [];
    for (let i = 0; i < count; i++) {
      const b = readBlock(r);
      if (!SYNCED_TYPES.has(b.type)) throw new DecodeError('invalid-value', `a ${b.type} block in a book-sync answer`);
      blocks.push(b);
    }
    m = { type: 'sync-answer', pair, blocks };
  }
  r.end('book-sync message');
  return m;
}
