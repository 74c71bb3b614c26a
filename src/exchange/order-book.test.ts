import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { MBT_ETH } from './constants.ts';
import { cancelFromBlock, orderFromBlock, type Order } from './order.ts';
import { OrderBook, pairKey } from './order-book.ts';
import { MIB, signCancel, signOrder, T0, trader, type Trader } from './test-support.ts';

function setup(limits = {}): { book: OrderBook; clock: { now: number } } {
  const clock = { now: T0 };
  return { book: new OrderBook(MBT_ETH, { now: () => clock.now }, limits), clock };
}

function place(book: OrderBook, t: Trader, side: 'ask' | 'bid', mib: bigint, price: bigint, createdAt = T0, extra = {}): Order {
  const order = orderFromBlock(signOrder(t, side, { quantity: mib * MIB, price, ...extra }, createdAt));
  expect(book.add(order)).toBe('added');
  return order;
}

const alice = trader('alice', 1);
const bob = trader('bob', 2);
const carol = trader('carol', 3);
const dave = trader('dave', 4);

describe('OrderBook matching', () => {
  it('matches by best price first, then first arrived, at the maker\'s price, with partial fills', () => {
    const { book } = setup();
    const dear = place(book, alice, 'ask', 5n, 120n, T0);
    const cheapEarly = place(book, carol, 'ask', 2n, 100n, T0 + 10);
    const cheapLate = place(book, bob, 'ask', 2n, 100n, T0 + 20);
    const tooDear = place(book, alice, 'ask', 9n, 200n, T0);
    const bid = place(book, dave, 'bid', 6n, 150n, T0 + 30);
    const matches = book.match(bid.id);
    expect(matches.map((m) => [m.maker.id, m.quantity, m.price])).toEqual([
      [cheapEarly.id, 2n * MIB, 100n],
      [cheapLate.id, 2n * MIB, 100n],
      [dear.id, 2n * MIB, 120n],
    ]);
    expect(book.available(bid.id)).toBe(0n);
    expect(book.available(dear.id)).toBe(3n * MIB);
    expect(book.available(tooDear.id)).toBe(9n * MIB);
  });

  it('names the takers a sweep tries: orders crossing the best free opposite order, oldest first; none expired, fully reserved or skipped', () => {
    const { book, clock } = setup();
    const resting = place(book, alice, 'ask', 1n, 100n);
    place(book, alice, 'ask', 1n, 200n); // above every bid
    place(book, bob, 'bid', 1n, 90n); // below every ask
    const bid = place(book, carol, 'bid', 1n, 150n);
    const brief = place(book, dave, 'bid', 1n, 120n, T0, { expiry: T0 + 1000 });
    expect(book.crossingOrders()).toEqual([resting.id, bid.id, brief.id]);
    clock.now = T0 + 2000;
    expect(book.crossingOrders()).toEqual([resting.id, bid.id]);
    expect(book.match(bid.id, (key) => key === pairKey(resting.id, bid.id))).toEqual([]);
    expect(book.match(bid.id).map((m) => m.maker.id)).toEqual([resting.id]);
    expect(book.crossingOrders()).toEqual([]);
  });

  it('ranks time by arrival: a backdated block timestamp does not jump the queue', () => {
    const { book } = setup();
    const first = place(book, alice, 'ask', 1n, 100n, T0);
    place(book, bob, 'ask', 1n, 100n, T0 - 60_000);
    const bid = place(book, carol, 'bid', 1n, 100n);
    expect(book.match(bid.id).map((m) => m.maker.id)).toEqual([first.id]);
  });

  it('matches an ask against the highest bids first', () => {
    const { book } = setup();
    const low = place(book, alice, 'bid', 1n, 90n);
    const high = place(book, bob, 'bid', 1n, 110n);
    const ask = place(book, carol, 'ask', 5n, 80n);
    expect(book.match(ask.id).map((m) => m.maker.id)).toEqual([high.id, low.id]);
    expect(book.available(ask.id)).toBe(3n * MIB);
  });

  it('never matches a trader with itself', () => {
    const { book } = setup();
    place(book, alice, 'ask', 1n, 100n);
    const own = place(book, alice, 'bid', 1n, 200n);
    expect(book.match(own.id)).toEqual([]);
  });

  it('reserves per counterparty: released on decline, released on timeout, consumed on trade', () => {
    const { book, clock } = setup({ reservationTimeoutMs: 1000 });
    const ask = place(book, alice, 'ask', 4n, 100n);
    const bid = place(book, bob, 'bid', 3n, 100n);
    const [m] = book.match(bid.id);
    expect(m!.quantity).toBe(3n * MIB);
    expect(book.match(ask.id)).toEqual([]); // the pair is already negotiating
    expect(book.release(m!.id)).toBe(true);
    expect(book.available(ask.id)).toBe(4n * MIB);

    const [again] = book.match(bid.id);
    clock.now += 1000;
    expect(book.expire().reservations).toEqual([again!.id]);
    expect(book.available(bid.id)).toBe(3n * MIB);

    const [third] = book.match(bid.id);
    expect(book.complete(third!.id, 4n * MIB)).toBe('over-reserved');
    expect(book.complete(third!.id, 2n * MIB)).toBe('completed');
    expect(book.available(ask.id)).toBe(2n * MIB);
    expect(book.available(bid.id)).toBe(1n * MIB);
    expect(book.complete(third!.id, 1n)).toBe('unknown');
  });

  it('matchPair reserves that pair alone, and only if it could be matched: free quantity, prices crossing, other traders, no reservation between them', () => {
    const { book, clock } = setup();
    const ask = place(book, alice, 'ask', 4n, 100n);
    const cheaper = place(book, carol, 'ask', 4n, 90n);
    const bid = place(book, bob, 'bid', 3n, 100n);
    const own = place(book, alice, 'bid', 1n, 200n);
    const low = place(book, dave, 'bid', 1n, 50n);
    // Not the better-priced ask: the pair asked for.
    const m = book.matchPair(bid.id, ask.id)!;
    expect([m.maker.id, m.quantity, m.price]).toEqual([ask.id, 3n * MIB, 100n]);
    expect(book.available(cheaper.id)).toBe(4n * MIB);
    expect(book.matchPair(bid.id, ask.id)).toBeUndefined();
    expect(book.matchPair(ask.id, bid.id)).toBeUndefined();
    expect(book.matchPair(bid.id, cheaper.id)).toBeUndefined(); // the bid has nothing free
    expect(book.matchPair(own.id, ask.id)).toBeUndefined();
    expect(book.matchPair(low.id, ask.id)).toBeUndefined();
    expect(book.matchPair(low.id, 'nobody')).toBeUndefined();
    book.release(m.id);
    clock.now = bid.expiry;
    expect(book.matchPair(bid.id, ask.id)).toBeUndefined();
  });

  it('removes fully filled orders', () => {
    const { book } = setup();
    const ask = place(book, alice, 'ask', 2n, 100n);
    const bid = place(book, bob, 'bid', 2n, 100n);
    const [m] = book.match(bid.id);
    book.complete(m!.id, 2n * MIB);
    expect(book.get(ask.id)).toBeUndefined();
    expect(book.get(bid.id)).toBeUndefined();
    expect(book.size).toBe(0);
    expect(book.add(ask)).toBe('filled');
  });
});

describe('OrderBook refuses what it must', () => {
  it('never adds or matches an expired order, and drops it on expire()', () => {
    const { book, clock } = setup();
    const ask = place(book, alice, 'ask', 1n, 100n, T0, { expiry: T0 + 500 });
    const bid = place(book, bob, 'bid', 1n, 100n);
    clock.now = T0 + 500;
    expect(book.match(bid.id)).toEqual([]);
    expect(book.depth().asks).toEqual([]);
    expect(book.expire().orders).toEqual([ask.id]);
    expect(book.add(ask)).toBe('expired');
  });

  it('never matches a cancelled order, and refuses it if it comes again later', () => {
    const { book } = setup();
    const ask = place(book, alice, 'ask', 1n, 100n);
    const bid = place(book, bob, 'bid', 1n, 100n);
    const [m] = book.match(bid.id);
    expect(book.cancel(cancelFromBlock(signCancel(alice, ask.orderNumber)))).toBe('cancelled');
    expect(book.reservation(m!.id)).toBeUndefined();
    expect(book.available(bid.id)).toBe(1n * MIB);
    expect(book.match(bid.id)).toEqual([]);
    expect(book.add(ask)).toBe('cancelled');
    expect(book.isCancelled(ask.id)).toBe(true);
  });

  it('lets only the trader cancel its order: a cancellation names its signer\'s own order number', () => {
    const { book } = setup();
    const ask = place(book, alice, 'ask', 1n, 100n);
    expect(book.cancel(cancelFromBlock(signCancel(bob, ask.orderNumber)))).toBe('unknown-order');
    expect(book.get(ask.id)).toBeDefined();
  });

  it('remembers a cancellation that arrives before its order', () => {
    const { book } = setup();
    const t = trader('erin', 5);
    const block = signOrder(t, 'ask', { quantity: MIB, price: 1n });
    expect(book.cancel(cancelFromBlock(signCancel(t, 1)))).toBe('unknown-order');
    expect(book.add(orderFromBlock(block))).toBe('cancelled');
  });

  it('refuses an altered order: the same trader and order number with other fields is a conflict', () => {
    const { book } = setup();
    const t = trader('frank', 6);
    const original = place(book, t, 'ask', 1n, 100n, T0, { orderNumber: 7 });
    const altered = orderFromBlock(signOrder(t, 'ask', { quantity: MIB, price: 1n, orderNumber: 7 }));
    expect(altered.id).toBe(original.id);
    expect(book.add(altered)).toBe('conflict');
    expect(book.get(original.id)!.price).toBe(100n);
    expect(book.add(original)).toBe('known');
  });

  it('bounds a flood of orders from one trader, and the whole book', () => {
    const { book } = setup({ maxOrdersPerTrader: 3, maxOrders: 4 });
    const t = trader('gina', 7);
    for (let i = 0; i < 3; i++) expect(book.add(orderFromBlock(signOrder(t, 'ask', { quantity: MIB, price: 5n })))).toBe('added');
    expect(book.add(orderFromBlock(signOrder(t, 'ask', { quantity: MIB, price: 5n })))).toBe('trader-full');
    place(book, trader('hank', 8), 'bid', 1n, 1n);
    expect(book.add(orderFromBlock(signOrder(trader('ivy', 9), 'bid', { quantity: MIB, price: 1n })))).toBe('book-full');
    expect(book.size).toBe(4);
  });

  it('bounds the matches one call makes and the cancellations it remembers', () => {
    const { book } = setup({ maxMatchesPerCall: 2, maxCancelledRemembered: 2 });
    for (let i = 0; i < 4; i++) place(book, trader(`s${i}`, 20 + i), 'ask', 1n, 100n);
    const bid = place(book, trader('buyer', 30), 'bid', 10n, 100n);
    expect(book.match(bid.id)).toHaveLength(2);
    const t = trader('c', 31);
    for (let n = 1; n <= 3; n++) book.cancel(cancelFromBlock(signCancel(t, n)));
    expect([...book.cancellations()].map((c) => c.orderNumber)).toEqual([2, 3]);
  });

  it('lets a trader flooding cancellations evict only its own', () => {
    const { book } = setup({ maxCancelledPerTrader: 3 });
    const victim = trader('victim', 32);
    const ask = place(book, victim, 'ask', 1n, 100n);
    book.cancel(cancelFromBlock(signCancel(victim, ask.orderNumber)));
    const flooder = trader('flooder', 33);
    for (let n = 1; n <= 50; n++) book.cancel(cancelFromBlock(signCancel(flooder, n)));
    expect(book.add(ask)).toBe('cancelled');
    expect([...book.cancellations()].filter((c) => c.trader === toHex(flooder.publicKey)).map((c) => c.orderNumber)).toEqual([48, 49, 50]);
  });

  it('refuses an order of another pair', () => {
    const { book } = setup();
    expect(book.add(orderFromBlock(signOrder(trader('j', 10), 'ask', { quantity: MIB, price: 1n, pair: 'MBT/BTC' })))).toBe('wrong-pair');
  });
});

describe('OrderBook depth', () => {
  it('lists unreserved quantity per price level, best first, with cumulative totals', () => {
    const { book } = setup({ maxDepthLevels: 2 });
    place(book, alice, 'bid', 1n, 90n);
    place(book, bob, 'bid', 2n, 90n);
    place(book, carol, 'bid', 4n, 95n);
    place(book, dave, 'bid', 1n, 10n);
    place(book, alice, 'ask', 3n, 120n);
    expect(book.depth()).toEqual({
      bids: [
        { price: 95n, quantity: 4n * MIB, cumulative: 4n * MIB, orders: 1 },
        { price: 90n, quantity: 3n * MIB, cumulative: 7n * MIB, orders: 2 },
      ],
      asks: [{ price: 120n, quantity: 3n * MIB, cumulative: 3n * MIB, orders: 1 }],
    });
  });
});
