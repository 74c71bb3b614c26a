import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { toHex } from '../codec/bytes.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { encodeBlock } from '../ledger/block-codec.ts';
import { KEY_BYTES } from '../ledger/constants.ts';
import { arbitraryBlock } from '../ledger/test-arbitraries.ts';
import { BloomFilter } from './bloom.ts';
import { encodeBookSync } from './book-sync.ts';
import { MAX_ORDER_QUANTITY, MAX_ORDER_NUMBER, MAX_PRICE, MAX_SYNC_ANSWER_BYTES, MBT_ETH, TRADE_ID_BYTES } from './constants.ts';
import {
  decodeMarketMessage,
  decodeNegotiationMessage,
  encodeMarketMessage,
  encodeNegotiationMessage,
  MARKET_PROTOCOL,
  MARKET_WIRE_VERSION,
  matchMessage,
  MATCH_ID_PATTERN,
  MAX_MARKET_ERROR_BYTES,
  MAX_MARKET_FRAME_BYTES,
  MAX_MATCH_ID_BYTES,
  MAX_ORDER_BLOCK_BYTES,
  MAX_ORDER_TTL,
  MAX_ORDER_TX_BYTES,
  orderIdOf,
  orderRefOf,
  type MarketMessage,
} from './market-wire.ts';
import { Negotiations, type DeclineReason, type NegotiationAction, type NegotiationMessage, type OrderView } from './negotiation.ts';
import { cancelFromBlock, orderFromBlock } from './order.ts';
import { OrderBook } from './order-book.ts';
import { MIB, signCancel, signOrder, T0, trader } from './test-support.ts';
import type { OrderRef } from './tradechain/fields.ts';
import { arbitraryTradePayment } from './tradechain/test-arbitraries.ts';

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const orderRef: fc.Arbitrary<OrderRef> = fc.record({ trader: bytes(KEY_BYTES), orderNumber: fc.integer({ min: 1, max: MAX_ORDER_NUMBER }) });
const matchId = fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,40}$/), fc.tuple(orderRef, orderRef).map(([a, b]) => `${orderIdOf(a)}>${orderIdOf(b)}`));
const orderIdArb = orderRef.map(orderIdOf);
const REASONS: DeclineReason[] = ['price', 'quantity', 'order-unknown', 'order-expired', 'self-trade', 'no-funds', 'untrusted', 'busy', 'timeout', 'stalled', 'protocol'];
const reason = fc.constantFrom(...REASONS);
const pair = fc.stringMatching(/^[A-Z0-9]{1,8}\/[A-Z0-9]{1,8}$/);
const orderBlock = arbitraryBlock(MAX_ORDER_TX_BYTES).chain((b) => fc.constantFrom('ask', 'bid', 'cancel-order').map((type) => ({ ...b, type })));

const arbitraryNegotiation: fc.Arbitrary<NegotiationMessage> = fc.oneof(
  fc.record({ type: fc.constant('propose' as const), matchId, askId: orderIdArb, bidId: orderIdArb, quantity: u64, price: u64 }),
  fc.record({ type: fc.constant('counter' as const), matchId, quantity: u64 }),
  fc.record({ type: fc.constant('accept' as const), matchId, quantity: u64, price: u64 }),
  fc.record({ type: fc.constant('decline' as const), matchId, reason }),
);

const arbitraryMarket: fc.Arbitrary<MarketMessage> = fc.oneof(
  fc.record({ type: fc.constant('order' as const), ttl: fc.integer({ min: 0, max: MAX_ORDER_TTL }), block: orderBlock }),
  fc.record({
    type: fc.constant('sync-request' as const),
    pair,
    filter: fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 0xffff_ffff })).map(([bits, k, salt]) => new BloomFilter(bits, k, salt)),
  }),
  fc.record({ type: fc.constant('sync-answer' as const), pair, blocks: fc.array(orderBlock, { maxLength: 3 }) }),
  fc.record({ type: fc.constant('match' as const), matchId, ask: orderRef, bid: orderRef, quantity: u64, price: u64, matchmaker: bytes(KEY_BYTES) }),
  arbitraryNegotiation,
  fc.record({
    type: fc.constant('match-outcome' as const),
    matchId,
    outcome: fc.oneof(
      fc.record({ kind: fc.constant('declined' as const), reason }),
      fc.record({ kind: fc.constant('traded' as const), tradeId: bytes(TRADE_ID_BYTES), quantity: u64 }),
    ),
  }),
  fc.record({ type: fc.constant('payment-notice' as const), payment: arbitraryTradePayment }),
  // Within the limit (up to 4 bytes a code point), so it round-trips unchanged.
  fc.record({ type: fc.constant('error' as const), message: fc.string({ maxLength: 50, unit: 'binary' }) }),
);

const alice = trader('alice', 1);
const bob = trader('bob', 2);
const askBlock = signOrder(alice, 'ask', { quantity: 8n * MIB, price: 100n });
const bidBlock = signOrder(bob, 'bid', { quantity: 4n * MIB, price: 120n });
const A = orderRefOf(orderFromBlock(askBlock).id);
const B = orderRefOf(orderFromBlock(bidBlock).id);

/** One valid message of each type, for the hand-written cases. */
const samples: MarketMessage[] = [
  { type: 'order', ttl: MAX_ORDER_TTL, block: askBlock },
  { type: 'order', ttl: 0, block: signCancel(alice, 1) },
  { type: 'sync-request', pair: MBT_ETH, filter: BloomFilter.forCount(3, 7) },
  { type: 'sync-answer', pair: MBT_ETH, blocks: [askBlock, bidBlock] },
  { type: 'match', matchId: 'm-1', ask: A, bid: B, quantity: 4n * MIB, price: 100n, matchmaker: new Uint8Array(KEY_BYTES).fill(7) },
  { type: 'propose', matchId: 'm-1', askId: orderIdOf(A), bidId: orderIdOf(B), quantity: 4n * MIB, price: 100n },
  { type: 'counter', matchId: 'm-1', quantity: 2n * MIB },
  { type: 'accept', matchId: 'm-1', quantity: 2n * MIB, price: 100n },
  { type: 'decline', matchId: 'm-1', reason: 'no-funds' },
  { type: 'match-outcome', matchId: 'm-1', outcome: { kind: 'declined', reason: 'timeout' } },
  { type: 'match-outcome', matchId: 'm-1', outcome: { kind: 'traded', tradeId: new Uint8Array(TRADE_ID_BYTES).fill(9), quantity: 2n * MIB } },
  { type: 'payment-notice', payment: { tradeId: new Uint8Array(TRADE_ID_BYTES).fill(9), payer: 'bid', asset: 'ETH', amount: 200n, index: 1, reference: { kind: 'ether-tx', txHash: new Uint8Array(32).fill(5) } } },
  { type: 'error', message: 'Order refused: the book is full; try another matchmaker.' },
];

const reasonOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return (err as DecodeError).reason;
  }
  return undefined;
};
const patched = (frame: Uint8Array, at: number, value: number): Uint8Array => {
  const b = frame.slice();
  b[at] = value;
  return b;
};
const frameOf = (type: MarketMessage['type']): Uint8Array => encodeMarketMessage(samples.find((m) => m.type === type)!);

describe('market wire', () => {
  it('has a versioned protocol id and tags every frame with the version', () => {
    expect(MARKET_PROTOCOL).toBe('/trustmesh/market/1.0.0');
    for (const m of samples) expect(encodeMarketMessage(m)[0]).toBe(MARKET_WIRE_VERSION);
  });

  it('round-trips every message and refuses random or mutated bytes with DecodeError only', () => {
    checkDecoderProperties({ decode: decodeMarketMessage, encode: encodeMarketMessage, values: arbitraryMarket, maxRandomBytes: 400, runs: 400 });
    fc.assert(
      fc.property(arbitraryMarket, (m) => {
        expect(decodeMarketMessage(encodeMarketMessage(m))).toEqual(m);
      }),
      { numRuns: 200 },
    );
    for (const m of samples) expect(decodeMarketMessage(encodeMarketMessage(m))).toEqual(m);
  });

  it('carries negotiation.ts messages as they are, and only those through the negotiation decoder', () => {
    checkDecoderProperties({ decode: decodeNegotiationMessage, encode: encodeNegotiationMessage, values: arbitraryNegotiation, maxRandomBytes: 200, runs: 200 });
    expect(reasonOf(() => decodeNegotiationMessage(frameOf('error')))).toBe('unknown-type');
    // Every decline reason has its own code.
    for (const r of REASONS) expect(decodeMarketMessage(encodeMarketMessage({ type: 'decline', matchId: 'm', reason: r }))).toEqual({ type: 'decline', matchId: 'm', reason: r });
  });

  it('refuses oversized, truncated, unknown-version, unknown-tag and trailing-byte frames', () => {
    expect(MAX_MARKET_FRAME_BYTES).toBe(2 + MAX_SYNC_ANSWER_BYTES);
    expect(reasonOf(() => decodeMarketMessage(new Uint8Array(MAX_MARKET_FRAME_BYTES + 1)))).toBe('too-long');
    expect(reasonOf(() => decodeMarketMessage(new Uint8Array([2, 1])))).toBe('unknown-version');
    for (const tag of [0, 12, 255]) expect(reasonOf(() => decodeMarketMessage(new Uint8Array([MARKET_WIRE_VERSION, tag])))).toBe('unknown-type');
    for (const m of samples) {
      const frame = encodeMarketMessage(m);
      for (let n = 0; n < frame.length; n++) expect(reasonOf(() => decodeMarketMessage(frame.subarray(0, n)))).toBeDefined();
      expect(reasonOf(() => decodeMarketMessage(new Uint8Array([...frame, 0])))).toBe('trailing-bytes');
    }
  });

  it('refuses an order frame whose block is not an ask, bid or cancel-order, is oversized, or whose ttl is out of range', () => {
    const transfer = { ...askBlock, type: 'bandwidth' };
    const frame = new Uint8Array([MARKET_WIRE_VERSION, 1, 0, ...encodeBlock(transfer)]);
    expect(reasonOf(() => decodeMarketMessage(frame))).toBe('invalid-value');
    expect(() => encodeMarketMessage({ type: 'order', ttl: 0, block: transfer })).toThrow(RangeError);
    const padded = { ...askBlock, transaction: new Uint8Array(MAX_ORDER_BLOCK_BYTES) };
    expect(reasonOf(() => decodeMarketMessage(new Uint8Array([MARKET_WIRE_VERSION, 1, 0, ...encodeBlock(padded)])))).toBe('too-long');
    expect(() => encodeMarketMessage({ type: 'order', ttl: 0, block: padded })).toThrow(RangeError);
    expect(reasonOf(() => decodeMarketMessage(patched(frameOf('order'), 2, MAX_ORDER_TTL + 1)))).toBe('invalid-value');
    expect(() => encodeMarketMessage({ type: 'order', ttl: MAX_ORDER_TTL + 1, block: askBlock })).toThrow(RangeError);
  });

  it('bounds order blocks tightly: the largest real order fits', () => {
    const t = trader('carol', 3);
    // Every field is fixed-width but the pair, so the longest pair makes the largest order block.
    const big = signOrder(t, 'ask', { orderNumber: MAX_ORDER_NUMBER, pair: 'ABCDEFGH/ABCDEFGH', quantity: MAX_ORDER_QUANTITY, price: MAX_PRICE });
    expect(encodeBlock(big).length).toBeLessThanOrEqual(MAX_ORDER_BLOCK_BYTES);
    expect(MAX_ORDER_BLOCK_BYTES - encodeBlock(big).length).toBeLessThan(16);
    const got = decodeMarketMessage(encodeMarketMessage({ type: 'order', ttl: 1, block: big }));
    expect(got.type === 'order' && orderFromBlock(got.block).id).toBe(orderFromBlock(big).id);
  });

  it('passes signed order and cancel blocks through unchanged, so their signatures still verify', () => {
    const cancel = signCancel(bob, 1);
    for (const block of [askBlock, cancel]) {
      const got = decodeMarketMessage(encodeMarketMessage({ type: 'order', ttl: 1, block }));
      expect(got.type === 'order' && encodeBlock(got.block)).toEqual(encodeBlock(block));
    }
    expect(cancelFromBlock(cancel).orderNumber).toBe(1);
  });

  it('wraps book-sync bytes as they are and refuses a sync message under the other tag', () => {
    const request = samples.find((m) => m.type === 'sync-request')!;
    expect(encodeMarketMessage(request).subarray(2)).toEqual(encodeBookSync(request as never));
    expect(reasonOf(() => decodeMarketMessage(patched(frameOf('sync-request'), 1, 3)))).toBe('invalid-value');
    expect(reasonOf(() => decodeMarketMessage(patched(frameOf('sync-answer'), 1, 2)))).toBe('invalid-value');
  });

  it('refuses match ids out of form, unknown decline reasons and outcomes, and order number 0', () => {
    for (const bad of ['', 'has space', 'é', 'x'.repeat(MAX_MATCH_ID_BYTES + 1)]) {
      expect(MATCH_ID_PATTERN.test(bad)).toBe(false);
      expect(() => encodeMarketMessage({ type: 'counter', matchId: bad, quantity: 1n })).toThrow(RangeError);
    }
    const counter = frameOf('counter');
    expect(reasonOf(() => decodeMarketMessage(patched(counter, 3, 0x20)))).toBe('invalid-value');
    expect(reasonOf(() => decodeMarketMessage(new Uint8Array([MARKET_WIRE_VERSION, 6, 0, ...new Uint8Array(8)])))).toBe('invalid-value');
    const decline = frameOf('decline');
    for (const code of [0, REASONS.length + 1]) expect(reasonOf(() => decodeMarketMessage(patched(decline, decline.length - 1, code)))).toBe('invalid-value');
    const outcome = encodeMarketMessage(samples[9]!);
    expect(reasonOf(() => decodeMarketMessage(patched(outcome, 2 + 1 + 3, 3)))).toBe('invalid-value');
    const propose = frameOf('propose');
    const numberAt = 2 + 1 + 3 + KEY_BYTES;
    expect(reasonOf(() => decodeMarketMessage(new Uint8Array([...propose.subarray(0, numberAt), 0, 0, 0, 0, ...propose.subarray(numberAt + 4)])))).toBe('invalid-value');
  });

  it('writes an order id in one form only: upper-case hex, leading zeros or number 0 are refused', () => {
    const id = orderIdOf(A);
    expect(orderIdOf(orderRefOf(id))).toBe(id);
    for (const bad of [id.toUpperCase(), id.replace(':', ':0'), `${toHex(A.trader)}:0`, `${toHex(A.trader)}:${MAX_ORDER_NUMBER + 1}`, 'ask-1']) {
      expect(() => orderRefOf(bad)).toThrow(RangeError);
    }
  });

  it('bounds error text', () => {
    expect(() => encodeMarketMessage({ type: 'error', message: 'x'.repeat(MAX_MARKET_ERROR_BYTES + 1) })).toThrow(RangeError);
    const long = new Uint8Array([MARKET_WIRE_VERSION, 11, MAX_MARKET_ERROR_BYTES + 1, ...new Uint8Array(MAX_MARKET_ERROR_BYTES + 1).fill(0x41)]);
    expect(reasonOf(() => decodeMarketMessage(long))).toBe('too-long');
    expect(reasonOf(() => decodeMarketMessage(new Uint8Array([MARKET_WIRE_VERSION, 11, 1, 0xff])))).toBe('invalid-value');
  });

  it("makes a match message from an order book's match, ask and bid in their places", () => {
    const book = new OrderBook(MBT_ETH, { now: () => T0 });
    const ask = orderFromBlock(askBlock);
    const bid = orderFromBlock(bidBlock);
    book.add(ask);
    book.add(bid);
    const [m] = book.match(bid.id);
    const msg = decodeMarketMessage(encodeMarketMessage(matchMessage(m!, new Uint8Array(KEY_BYTES).fill(7))));
    expect(msg).toMatchObject({ type: 'match', matchId: m!.id, quantity: 4n * MIB, price: 100n });
    if (msg.type !== 'match') throw new Error('not a match');
    expect([orderIdOf(msg.ask), orderIdOf(msg.bid)]).toEqual([ask.id, bid.id]);
  });

  it('carries a whole negotiation between two Negotiations over the wire to agreement', () => {
    const view = (id: string, side: 'ask' | 'bid', price: bigint): OrderView => ({ id, trader: id.split(':')[0]!, side, price, remaining: 8n * MIB, expiresAt: T0 + 3_600_000 });
    const orders = new Map([view(orderIdOf(A), 'ask', 100n), view(orderIdOf(B), 'bid', 120n)].map((o) => [o.id, o]));
    const deps = (me: string) => ({ now: () => T0, me, order: (id: string) => orders.get(id) });
    const seller = new Negotiations(deps(toHex(A.trader)));
    const buyer = new Negotiations(deps(toHex(B.trader)));
    const wire: string[] = [];
    const deliver = (actions: NegotiationAction[], from: Negotiations): void => {
      for (const a of actions) {
        if (a.type !== 'send') continue;
        const message = decodeNegotiationMessage(encodeNegotiationMessage(a.message));
        wire.push(message.type);
        const [to, key] = from === seller ? [buyer, toHex(A.trader)] : [seller, toHex(B.trader)];
        const r = to.receive(key, message);
        if (to === buyer && r.outcome === 'started') deliver(buyer.counter(message.matchId, 2n * MIB), buyer);
        else if (to === seller && r.outcome === 'progressed') deliver(seller.accept(message.matchId), seller);
        else deliver(r.actions, to);
      }
    };
    deliver(seller.start({ matchId: 'm-1', ask: orders.get(orderIdOf(A))!, bid: orders.get(orderIdOf(B))!, offer: { quantity: 4n * MIB, price: 110n } }), seller);
    expect(wire).toEqual(['propose', 'counter', 'accept']);
    expect(seller.status('m-1')?.status).toBe('agreed');
    expect(buyer.status('m-1')).toMatchObject({ status: 'agreed', offer: { quantity: 2n * MIB, price: 110n } });
  });
});
