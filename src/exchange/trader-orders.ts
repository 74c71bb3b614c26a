/**
 * The orders a trader holds (pure): its own (signed here, with what trades
 * took of them) and the counterparties' orders it verified itself, bounded.
 * Negotiations look orders up here, never in what a matchmaker says.
 */
import type { MyOrder } from './market-api.ts';
import type { OrderView } from './negotiation.ts';
import { isExpired, type Order } from './order.ts';

/** Counterparty orders remembered (verified): a match names two orders, one of which is mine; far more than one book's crossing orders. */
export const MAX_KNOWN_ORDERS = 2_000;

export type KnownOutcome = 'kept' | 'known' | 'conflict';

export class TraderOrders {
  private readonly mine = new Map<string, { order: Order; cancelled: boolean }>();
  /** Oldest first: the first is forgotten when full. */
  private readonly known = new Map<string, Order>();

  constructor(
    private readonly me: string,
    private readonly now: () => number,
    /** Bytes of my order taken by trades (agreed, running, done; a failed one counts what was paid). */
    private readonly taken: (orderId: string) => bigint,
  ) {}

  addMine(order: Order, cancelled = false): void {
    this.mine.set(order.id, { order, cancelled });
  }

  cancelMine(id: string): boolean {
    const entry = this.mine.get(id);
    if (entry === undefined) return false;
    entry.cancelled = true;
    return true;
  }

  /** A counterparty order whose block I verified. Another block for a known id is a conflict and is not kept. */
  addKnown(order: Order): KnownOutcome {
    if (order.trader === this.me) return 'known';
    const held = this.known.get(order.id);
    if (held !== undefined) return held.blockHash === order.blockHash ? 'known' : 'conflict';
    if (this.known.size >= MAX_KNOWN_ORDERS) this.known.delete(this.known.keys().next().value!);
    this.known.set(order.id, order);
    return 'kept';
  }

  isMine(id: string): boolean {
    return this.mine.has(id);
  }

  /** My order, open or not. */
  mineById(id: string): Order | undefined {
    return this.mine.get(id)?.order;
  }

  knownById(id: string): Order | undefined {
    return this.known.get(id);
  }

  /** Same hash as what I hold for that id (so a copy is not verified twice). */
  holds(order: Pick<Order, 'id' | 'blockHash'>): boolean {
    const held = this.mine.get(order.id)?.order ?? this.known.get(order.id);
    return held?.blockHash === order.blockHash;
  }

  nextOrderNumber(): number {
    let max = 0;
    for (const { order } of this.mine.values()) max = Math.max(max, order.orderNumber);
    return max + 1;
  }

  /** An order as a negotiation checks it: mine with what is left, a counterparty's as signed; undefined if unknown, cancelled or not open. */
  view(id: string): OrderView | undefined {
    const entry = this.mine.get(id);
    if (entry !== undefined) {
      if (entry.cancelled) return undefined;
      return this.toView(entry.order, this.remaining(entry.order));
    }
    const order = this.known.get(id);
    return order === undefined ? undefined : this.toView(order, order.quantity);
  }

  /** My orders for the page, newest first. */
  myOrders(): MyOrder[] {
    const now = this.now();
    return [...this.mine.values()]
      .map(({ order, cancelled }) => {
        const remaining = this.remaining(order);
        const status: MyOrder['status'] = remaining === 0n ? 'filled' : cancelled ? 'cancelled' : isExpired(order, now) ? 'expired' : 'open';
        return { id: order.id, side: order.side, quantity: order.quantity, remaining, price: order.price, createdAt: order.createdAt, expiresAt: order.expiry, status };
      })
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /** My orders still worth sending to matchmakers. */
  openOrders(): Order[] {
    return this.myOrders()
      .filter((o) => o.status === 'open')
      .map((o) => this.mine.get(o.id)!.order);
  }

  private remaining(order: Order): bigint {
    const left = order.quantity - this.taken(order.id);
    return left > 0n ? left : 0n;
  }

  private toView(order: Order, remaining: bigint): OrderView {
    return { id: order.id, trader: order.trader, side: order.side, price: order.price, remaining, expiresAt: order.expiry };
  }
}
