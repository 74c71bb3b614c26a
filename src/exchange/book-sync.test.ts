import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { encodeBlock } from '../ledger/block-codec.ts';
import { arbitraryBlock } from '../ledger/test-arbitraries.ts';
import { BloomFilter } from './bloom.ts';
import { answerSync, decodeBookSync, encodeBookSync, syncRequest, type BookSyncMessage } from './book-sync.ts';
import { MAX_BLOOM_BYTES, MAX_SYNC_ANSWER_BLOCKS, MAX_SYNC_ANSWER_BYTES, MBT_ETH } from './constants.ts';
import { cancelFromBlock, orderFromBlock } from './order.ts';
import { OrderBook } from './order-book.ts';
import { MIB, signCancel, signOrder, T0, trader } from './test-support.ts';

const now = (): number => T0;
const pair = fc.stringMatching(/^[A-Z0-9]{1,8}\/[A-Z0-9]{1,8}$/);
const arbitrarySync: fc.Arbitrary<BookSyncMessage> = fc.oneof(
  fc.record({
    type: fc.constant('sync-request' as const),
    pair,
    filter: fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 0xffff_ffff })).map(([bits, k, salt]) => new BloomFilter(bits, k, salt)),
  }),
  fc.record({
    type: fc.constant('sync-answer' as const),
    pair,
    blocks: fc.array(arbitraryBlock(64).chain((b) => fc.constantFrom('ask', 'bid', 'cancel-order').map((type) => ({ ...b, type }))), { maxLength: 4 }),
  }),
);

/** Everything `answer` carries, applied to `book` as a network layer would (the blocks are signed by their traders here). */
function apply(book: OrderBook, answer: BookSyncMessage): void {
  if (answer.type !== 'sync-answer') throw new Error('not an answer');
  for (const b of answer.blocks) {
    if (b.type === 'cancel-order') book.cancel(cancelFromBlock(b));
    else book.add(orderFromBlock(b));
  }
}

describe('book-sync wire', () => {
  it('round-trips and refuses random or mutated bytes with DecodeError', () => {
    checkDecoderProperties({ decode: decodeBookSync, encode: encodeBookSync, values: arbitrarySync, maxRandomBytes: 600, runs: 200 });
  });

  it('refuses other versions, kinds, hash counts, empty filters, other block types and oversized input', () => {
    const req = encodeBookSync({ type: 'sync-request', pair: MBT_ETH, filter: BloomFilter.forCount(3, 9) });
    const patch = (i: number, v: number): Uint8Array => {
      const b = req.slice();
      b[i] = v;
      return b;
    };
    expect(() => decodeBookSync(patch(0, 2))).toThrow(expect.objectContaining({ reason: 'unknown-version' }));
    expect(() => decodeBookSync(patch(1, 3))).toThrow(expect.objectContaining({ reason: 'unknown-type' }));
    const hashesAt = 2 + 1 + MBT_ETH.length + 4;
    expect(() => decodeBookSync(patch(hashesAt, 0))).toThrow(/hashes/);
    expect(() => decodeBookSync(patch(hashesAt, 17))).toThrow(/hashes/);
    const empty = new Uint8Array([...req.subarray(0, hashesAt + 1), 0, 0]);
    expect(() => decodeBookSync(empty)).toThrow(/empty filter/);
    const tooBig = new Uint8Array([...req.subarray(0, hashesAt + 1), (MAX_BLOOM_BYTES + 1) >> 8, (MAX_BLOOM_BYTES + 1) & 0xff]);
    expect(() => decodeBookSync(tooBig)).toThrow(expect.objectContaining({ reason: 'too-long' }));
    expect(() => decodeBookSync(new Uint8Array(MAX_SYNC_ANSWER_BYTES + 1))).toThrow(DecodeError);

    const t = trader('a', 1);
    const order = signOrder(t, 'ask', { quantity: MIB, price: 1n });
    const answer = encodeBookSync({ type: 'sync-answer', pair: MBT_ETH, blocks: [order] });
    const bandwidth = encodeBlock({ ...order, type: 'bandwidth' });
    const forged = new Uint8Array([...answer.subarray(0, answer.length - encodeBlock(order).length), ...bandwidth]);
    expect(() => decodeBookSync(forged)).toThrow(/bandwidth block/);
    expect(() => encodeBookSync({ type: 'sync-answer', pair: MBT_ETH, blocks: [{ ...order, type: 'bandwidth' }] })).toThrow(RangeError);
  });
});

describe('book sync', () => {
  it('answers with the orders the requester lacks and the cancellations of orders it holds', () => {
    const [alice, bob, carol] = [trader('alice', 1), trader('bob', 2), trader('carol', 3)];
    const a = new OrderBook(MBT_ETH, { now });
    const b = new OrderBook(MBT_ETH, { now });
    const shared = orderFromBlock(signOrder(alice, 'ask', { quantity: MIB, price: 10n }));
    const doomed = orderFromBlock(signOrder(bob, 'bid', { quantity: MIB, price: 5n }));
    const onlyInB = orderFromBlock(signOrder(carol, 'bid', { quantity: MIB, price: 6n }));
    for (const o of [shared, doomed]) a.add(o);
    for (const o of [shared, doomed, onlyInB]) b.add(o);
    b.cancel(cancelFromBlock(signCancel(bob, doomed.orderNumber)));

    const request = decodeBookSync(encodeBookSync(syncRequest(a, 77)));
    if (request.type !== 'sync-request') throw new Error('expected a request');
    const answer = decodeBookSync(encodeBookSync(answerSync(request, b, T0)));
    if (answer.type !== 'sync-answer') throw new Error('expected an answer');
    expect(answer.blocks.map((x) => x.type)).toEqual(['cancel-order', 'bid']);
    apply(a, answer);
    expect(a.get(onlyInB.id)).toBeDefined();
    expect(a.get(doomed.id)).toBeUndefined();
    expect(a.isCancelled(doomed.id)).toBe(true);
    // Another pair's request gets nothing.
    expect(answerSync({ ...request, pair: 'MBT/BTC' }, b, T0)).toEqual({ type: 'sync-answer', pair: MBT_ETH, blocks: [] });
  });

  it('never sends expired orders', () => {
    const t = trader('t', 4);
    const b = new OrderBook(MBT_ETH, { now });
    b.add(orderFromBlock(signOrder(t, 'ask', { quantity: MIB, price: 1n, expiry: T0 + 10 })));
    const empty = new OrderBook(MBT_ETH, { now });
    const request = syncRequest(empty, 1);
    if (request.type !== 'sync-request') throw new Error('expected a request');
    expect(answerSync(request, b, T0 + 10)).toMatchObject({ blocks: [] });
  });

  it('bounds each answer, and converges over rounds with fresh salts', () => {
    const b = new OrderBook(MBT_ETH, { now }, { maxOrdersPerTrader: 1000, maxOrders: 1000 });
    const traders = Array.from({ length: 10 }, (_, i) => trader(`t${i}`, 40 + i));
    for (let i = 0; i < 250; i++) b.add(orderFromBlock(signOrder(traders[i % 10]!, i % 2 === 0 ? 'ask' : 'bid', { quantity: MIB, price: BigInt(1 + i) })));
    const a = new OrderBook(MBT_ETH, { now }, { maxOrdersPerTrader: 1000, maxOrders: 1000 });
    let rounds = 0;
    while (a.size < b.size && rounds < 10) {
      const request = syncRequest(a, rounds + 1);
      if (request.type !== 'sync-request') throw new Error('expected a request');
      const answer = answerSync(request, b, T0);
      if (answer.type !== 'sync-answer') throw new Error('expected an answer');
      expect(answer.blocks.length).toBeLessThanOrEqual(MAX_SYNC_ANSWER_BLOCKS);
      expect(encodeBookSync(answer).length).toBeLessThanOrEqual(MAX_SYNC_ANSWER_BYTES);
      apply(a, decodeBookSync(encodeBookSync(answer)));
      rounds++;
    }
    expect(a.size).toBe(250);
    expect(rounds).toBeGreaterThanOrEqual(3);
  });
});
