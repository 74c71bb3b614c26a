/**
 * A matchmaker's order book for one pair (pure, clock injected).
 *
 * Precondition of every order and cancellation handed in: the caller verified
 * its block's signature and its place in the trader's chain (the ledger's
 * validation) and built it with orderFromBlock / cancelFromBlock. The book
 * then holds only what traders signed, and refuses what contradicts it:
 *   - an order id seen with another block (same trader and order number,
 *     other fields) is a 'conflict', the first one kept;
 *   - a cancelled id is remembered, so a late copy of the order is refused
 *     (up to MAX_CANCELLED_PER_TRADER per trader: a flood evicts only its own);
 *   - an order filled here is remembered (as many as cancellations), so a
 *     copy synced back from another matchmaker is not offered again;
 *   - an expired order is never added nor matched (checked against now(),
 *     whether or not expire() ran since).
 * Matching is price-time priority: the best price first (lowest ask, highest
 * bid), then the order that reached this book first. Arrival, not the block's
 * timestamp: a trader sets its own timestamps and could backdate one to jump
 * the queue. A trader is never matched with itself. A match reserves
 * the quantity on both orders, once per pair of orders at a time, at the
 * resting (maker) order's price, under an id of its own (deps.matchIdPrefix
 * and a serial: the matchmaker's prefix makes ids no other reservation, here
 * or in another book, ever had, since traders tell matches apart by id); the reservation is released on decline or
 * timeout, and consumed when the trade completes (partial fills leave the
 * rest on the book). Bounded: orders per trader, orders per book, remembered
 * cancellations, matches per call, depth levels (constants.ts).
 *
 * What a network layer calls: add() for each verified order block received,
 * cancel() for each verified cancel-order block, match() after an add (send
 * each Match to both traders with the other side's signed order block, which
 * each trader verifies itself: a matchmaker cannot alter an order unnoticed),
 * release() on a decline, complete() on a
 * MATCH_DONE with the trade-done pair, expire() on a timer, depth() for the
 * Market page, and orders()/cancellations() to answer book sync.
 */
import { MAX_BOOK_ORDERS, MAX_CANCELLED_PER_TRADER, MAX_CANCELLED_REMEMBERED, MAX_DEPTH_LEVELS, MAX_MATCHES_PER_CALL, MAX_ORDERS_PER_TRADER, RESERVATION_TIMEOUT_MS } from './constants.ts';
import { crosses, isExpired, type Order, type OrderCancel, type OrderId } from './order.ts';

export type AddOutcome = 'added' | 'known' | 'conflict' | 'expired' | 'cancelled' | 'filled' | 'wrong-pair' | 'trader-full' | 'book-full';
export type CancelOutcome = 'cancelled' | 'unknown-order';
export type CompleteOutcome = 'completed' | 'unknown' | 'over-reserved';

export interface OrderBookLimits {
  maxOrders: number;
  maxOrdersPerTrader: number;
  maxCancelledRemembered: number;
  maxCancelledPerTrader: number;
  maxMatchesPerCall: number;
  reservationTimeoutMs: number;
  maxDepthLevels: number;
}

export const DEFAULT_BOOK_LIMITS: OrderBookLimits = {
  maxOrders: MAX_BOOK_ORDERS,
  maxOrdersPerTrader: MAX_ORDERS_PER_TRADER,
  maxCancelledRemembered: MAX_CANCELLED_REMEMBERED,
  maxCancelledPerTrader: MAX_CANCELLED_PER_TRADER,
  maxMatchesPerCall: MAX_MATCHES_PER_CALL,
  reservationTimeoutMs: RESERVATION_TIMEOUT_MS,
  maxDepthLevels: MAX_DEPTH_LEVELS,
};

/** Quantity reserved between two orders while their traders negotiate. */
export interface Match {
  /** Unique to this reservation (deps.matchIdPrefix and a serial): a later reservation of the same pair gets another. */
  id: string;
  taker: Order;
  maker: Order;
  quantity: bigint;
  /** The maker's price, wei per MiB. */
  price: bigint;
  /** now() + the reservation timeout: released by expire() after this. */
  expiresAt: number;
}

export interface DepthLevel {
  price: bigint;
  /** Unreserved quantity at this price. */
  quantity: bigint;
  /** This level and every better one. */
  cumulative: bigint;
  orders: number;
}

export interface Depth {
  /** Highest price first. */
  bids: DepthLevel[];
  /** Lowest price first. */
  asks: DepthLevel[];
}

interface Entry {
  order: Order;
  /** Arrival rank in this book: the time in price-time priority. */
  arrival: number;
  filled: bigint;
  reserved: bigint;
}

export class OrderBook {
  private readonly entries = new Map<OrderId, Entry>();
  private readonly perTrader = new Map<string, number>();
  /** Cancelled ids, oldest first, with the block that cancelled them (passed on by book sync). */
  private readonly cancelled = new Map<OrderId, OrderCancel>();
  /** The same ids per trader, oldest first: a trader's flood of cancellations evicts its own. */
  private readonly cancelledOf = new Map<string, OrderId[]>();
  /** Ids of orders filled here, oldest first: a copy synced back from another matchmaker is not offered again. */
  private readonly filled = new Set<OrderId>();
  private readonly reservations = new Map<string, Match>();
  /** Pairs of orders holding a reservation (pairKeyOf): one per pair at a time. */
  private readonly reservedPairs = new Set<string>();
  private reservationsMade = 0;
  private readonly limits: OrderBookLimits;
  private arrivals = 0;

  constructor(
    readonly pair: string,
    /** matchIdPrefix: each reservation's id is this and a serial ("m" by default: unique within this book only). */
    private readonly deps: { now: () => number; matchIdPrefix?: string },
    limits: Partial<OrderBookLimits> = {},
  ) {
    this.limits = { ...DEFAULT_BOOK_LIMITS, ...limits };
  }

  get size(): number {
    return this.entries.size;
  }

  /** Precondition: `order` comes from a block whose signature and chain position the caller verified. */
  add(order: Order): AddOutcome {
    if (order.pair !== this.pair) return 'wrong-pair';
    if (this.cancelled.has(order.id)) return 'cancelled';
    if (this.filled.has(order.id)) return 'filled';
    const held = this.entries.get(order.id);
    if (held !== undefined) return held.order.blockHash === order.blockHash ? 'known' : 'conflict';
    if (isExpired(order, this.deps.now())) return 'expired';
    if ((this.perTrader.get(order.trader) ?? 0) >= this.limits.maxOrdersPerTrader) return 'trader-full';
    if (this.entries.size >= this.limits.maxOrders) return 'book-full';
    this.entries.set(order.id, { order, arrival: this.arrivals++, filled: 0n, reserved: 0n });
    this.perTrader.set(order.trader, (this.perTrader.get(order.trader) ?? 0) + 1);
    return 'added';
  }

  /** Precondition as for add(). An order not (yet) held is remembered as cancelled all the same. */
  cancel(cancel: OrderCancel): CancelOutcome {
    if (!this.cancelled.has(cancel.id)) {
      const own = this.cancelledOf.get(cancel.trader) ?? [];
      if (own.length >= this.limits.maxCancelledPerTrader) this.forgetCancel(own[0]!);
      if (this.cancelled.size >= this.limits.maxCancelledRemembered) this.forgetCancel(this.cancelled.keys().next().value!);
      this.cancelled.set(cancel.id, cancel);
      this.cancelledOf.set(cancel.trader, [...(this.cancelledOf.get(cancel.trader) ?? []), cancel.id]);
    }
    return this.remove(cancel.id) ? 'cancelled' : 'unknown-order';
  }

  get(id: OrderId): Order | undefined {
    return this.entries.get(id)?.order;
  }

  /** Quantity of an order neither filled nor reserved (0 for an order not held). */
  available(id: OrderId): bigint {
    const e = this.entries.get(id);
    return e === undefined ? 0n : e.order.quantity - e.filled - e.reserved;
  }

  isCancelled(id: OrderId): boolean {
    return this.cancelled.has(id);
  }

  orders(): IterableIterator<Order> {
    return Array.from(this.entries.values(), (e) => e.order).values();
  }

  cancellations(): IterableIterator<OrderCancel> {
    return this.cancelled.values();
  }

  reservation(id: string): Match | undefined {
    return this.reservations.get(id);
  }

  /**
   * Reserve counter orders for order `id` by price-time priority, until its
   * quantity is covered or maxMatchesPerCall is reached. Each Match goes to
   * both traders; none is made for an expired, cancelled or unknown order,
   * nor for a pair `skip` names (by pairKey).
   */
  match(id: OrderId, skip?: (pairKey: string) => boolean): Match[] {
    const now = this.deps.now();
    const taker = this.entries.get(id);
    if (taker === undefined || isExpired(taker.order, now)) return [];
    const counters = [...this.entries.values()].filter((e) => this.canPair(taker, e, now) && skip?.(pairKey(id, e.order.id)) !== true);
    counters.sort(priority);
    const matches: Match[] = [];
    for (const maker of counters) {
      if (available(taker) === 0n || matches.length >= this.limits.maxMatchesPerCall) break;
      matches.push(this.reserve(taker, maker, now));
    }
    return matches;
  }

  /**
   * Orders with quantity free that cross the best unexpired opposite order
   * with quantity free, oldest first: the takers a sweep tries. Oldest
   * first, and each matched by price-time priority, so a flood of newer
   * orders at the same price never jumps an older order's turn.
   */
  crossingOrders(): OrderId[] {
    const now = this.deps.now();
    const live = [...this.entries.values()].filter((e) => available(e) > 0n && !isExpired(e.order, now));
    let bestBid: bigint | undefined;
    let bestAsk: bigint | undefined;
    for (const { order: o } of live) {
      if (o.side === 'bid' && (bestBid === undefined || o.price > bestBid)) bestBid = o.price;
      if (o.side === 'ask' && (bestAsk === undefined || o.price < bestAsk)) bestAsk = o.price;
    }
    if (bestBid === undefined || bestAsk === undefined || !crosses(bestBid, bestAsk)) return [];
    const out: OrderId[] = [];
    for (let i = 0; i < live.length; i++) {
      const o = live[i]!.order;
      if (o.side === 'bid' ? crosses(o.price, bestAsk) : crosses(bestBid, o.price)) out.push(o.id);
    }
    return out;
  }

  /** Reserve between these two orders alone (a pair offered again after a passing decline); undefined if they cannot be matched now. */
  matchPair(takerId: OrderId, makerId: OrderId): Match | undefined {
    const now = this.deps.now();
    const taker = this.entries.get(takerId);
    const maker = this.entries.get(makerId);
    if (taker === undefined || maker === undefined || isExpired(taker.order, now) || !this.canPair(taker, maker, now)) return undefined;
    return this.reserve(taker, maker, now);
  }

  /** Whether `e` can be reserved against `taker` now: opposite sides, other traders, both unexpired with quantity free, no reservation between them, prices crossing. */
  private canPair(taker: Entry, e: Entry, now: number): boolean {
    const t = taker.order;
    return (
      e.order.side !== t.side &&
      e.order.trader !== t.trader &&
      !isExpired(e.order, now) &&
      !this.reservedPairs.has(pairKey(t.id, e.order.id)) &&
      available(taker) > 0n &&
      available(e) > 0n &&
      (t.side === 'bid' ? crosses(t.price, e.order.price) : crosses(e.order.price, t.price))
    );
  }

  /** Reserves what both have free, at the maker's price. Precondition: canPair(taker, maker). */
  private reserve(taker: Entry, maker: Entry, now: number): Match {
    const want = available(taker);
    const quantity = want < available(maker) ? want : available(maker);
    const id = `${this.deps.matchIdPrefix ?? 'm'}${(this.reservationsMade++).toString(36)}`;
    const m: Match = { id, taker: taker.order, maker: maker.order, quantity, price: maker.order.price, expiresAt: now + this.limits.reservationTimeoutMs };
    taker.reserved += quantity;
    maker.reserved += quantity;
    this.reservations.set(m.id, m);
    this.reservedPairs.add(pairKeyOf(m));
    return m;
  }

  /** The traders declined, or it timed out: the quantity is available again. */
  release(matchId: string): boolean {
    const m = this.reservations.get(matchId);
    if (m === undefined) return false;
    this.reservations.delete(matchId);
    this.reservedPairs.delete(pairKeyOf(m));
    for (const oid of [m.taker.id, m.maker.id]) {
      const e = this.entries.get(oid);
      if (e !== undefined) e.reserved -= m.quantity;
    }
    return true;
  }

  /** The traders traded `traded` (at most what was reserved): consumed from both orders, the rest released; filled orders leave. */
  complete(matchId: string, traded: bigint): CompleteOutcome {
    const m = this.reservations.get(matchId);
    if (m === undefined) return 'unknown';
    if (traded < 0n || traded > m.quantity) return 'over-reserved';
    this.release(matchId);
    for (const oid of [m.taker.id, m.maker.id]) {
      const e = this.entries.get(oid);
      if (e === undefined) continue;
      e.filled += traded;
      if (e.filled < e.order.quantity) continue;
      this.remove(oid);
      this.filled.add(oid);
      if (this.filled.size > this.limits.maxCancelledRemembered) this.filled.delete(this.filled.values().next().value!);
    }
    return 'completed';
  }

  /** Drop expired orders (with their reservations) and time out stale reservations; returns what went. */
  expire(): { orders: OrderId[]; reservations: string[] } {
    const now = this.deps.now();
    const orders: OrderId[] = [];
    for (const [id, e] of this.entries) if (isExpired(e.order, now)) orders.push(id);
    const releasedByOrders = orders.flatMap((id) => this.remove(id) ?? []);
    const timedOut = [...this.reservations.values()].filter((m) => m.expiresAt <= now).map((m) => m.id);
    for (const id of timedOut) this.release(id);
    return { orders, reservations: [...releasedByOrders, ...timedOut] };
  }

  /** Price levels of unreserved, unexpired quantity, best first, with cumulative quantity (for a depth chart). */
  depth(): Depth {
    const now = this.deps.now();
    const levels = (side: 'bid' | 'ask'): DepthLevel[] => {
      const byPrice = new Map<bigint, DepthLevel>();
      for (const e of this.entries.values()) {
        const q = available(e);
        if (e.order.side !== side || q === 0n || isExpired(e.order, now)) continue;
        const level = byPrice.get(e.order.price) ?? { price: e.order.price, quantity: 0n, cumulative: 0n, orders: 0 };
        level.quantity += q;
        level.orders += 1;
        byPrice.set(e.order.price, level);
      }
      const sorted = [...byPrice.values()].sort((a, b) => (side === 'bid' ? cmp(b.price, a.price) : cmp(a.price, b.price))).slice(0, this.limits.maxDepthLevels);
      let total = 0n;
      for (const l of sorted) l.cumulative = total += l.quantity;
      return sorted;
    };
    return { bids: levels('bid'), asks: levels('ask') };
  }

  private forgetCancel(id: OrderId): void {
    const c = this.cancelled.get(id);
    if (c === undefined) return;
    this.cancelled.delete(id);
    const rest = (this.cancelledOf.get(c.trader) ?? []).filter((x) => x !== id);
    if (rest.length === 0) this.cancelledOf.delete(c.trader);
    else this.cancelledOf.set(c.trader, rest);
  }

  /** Removes an order and its reservations; returns the released reservation ids, undefined if not held. */
  private remove(id: OrderId): string[] | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    const released = [...this.reservations.values()].filter((m) => m.taker.id === id || m.maker.id === id).map((m) => m.id);
    for (const r of released) this.release(r);
    this.entries.delete(id);
    const n = (this.perTrader.get(e.order.trader) ?? 1) - 1;
    if (n === 0) this.perTrader.delete(e.order.trader);
    else this.perTrader.set(e.order.trader, n);
    return released;
  }
}

/** The same key whichever order took: one reservation between two orders at a time. */
export function pairKey(a: OrderId, b: OrderId): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** The pair of orders a match reserves between. */
export function pairKeyOf(m: Match): string {
  return pairKey(m.taker.id, m.maker.id);
}

function available(e: Entry): bigint {
  return e.order.quantity - e.filled - e.reserved;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Price-time priority among counter orders of one side: best price, then first arrived. */
function priority(a: Entry, b: Entry): number {
  const byPrice = a.order.side === 'ask' ? cmp(a.order.price, b.order.price) : cmp(b.order.price, a.order.price);
  return byPrice !== 0 ? byPrice : a.arrival - b.arrival;
}
