/**
 * The matchmaker role (pure state machine; clock, randomness and block
 * verification injected; no timers). Any peer may run one: it keeps an
 * OrderBook of the orders traders signed, passes new ones on, matches them,
 * and reconciles its book with peer matchmakers by book sync.
 *
 * Invariants:
 *   - an order or cancellation enters the book only after the injected
 *     verifier (signature and chain rules: the ledger's validation) said
 *     'valid' and orderFromBlock / cancelFromBlock accepted it;
 *   - a block is passed on only when it was new to this book (an order
 *     'added', a cancellation not yet known), to at most MAX_FORWARD peers,
 *     never back to its sender or its trader, with ttl - 1 and never at ttl 0:
 *     a flood ends however the matchmakers are wired;
 *   - a match-outcome counts only from one of that match's two traders, and a
 *     trade fills the orders only when both report it alike;
 *   - a pair declined for a passing reason (PASSING_DECLINES) or whose
 *     reservation timed out is offered again after REMATCH_AFTER_MS, doubled
 *     per attempt, at most MAX_REMATCHES times: matching runs when an order
 *     arrives, so without this two crossing orders whose first match fell
 *     through (each trader busy with another matchmaker's match of the same
 *     orders) would rest side by side until a new order came;
 *   - every CROSSING_SWEEP_MS, crossing orders that rest unmatched are matched
 *     again (SWEEP_TAKERS of them as takers a sweep, in turns from the
 *     oldest, each by price-time priority, so no flood of newer orders nor
 *     set of old ones keeps the places), except pairs awaiting a rematch
 *     and pairs resting: PAIR_REST_MS after their rematches ran out,
 *     DECLINED_PAIR_REST_MS after a decline for their terms. So no pair of
 *     crossing orders rests for good, and a trader that keeps declining is
 *     offered a pair a bounded number of times an hour;
 *   - everything held is bounded: the book (constants.ts), verifications in
 *     flight, matches in flight, one sync awaited at a time, and per-peer rates
 *     (token buckets) in a table of at most MAX_RATED_PEERS peers.
 *
 * A match id is "<this matchmaker's key hex>.<random>-<serial>": unique to one
 * offer, so a trader tells apart the same pair offered by two matchmakers, or
 * by one again after an offer fell through (it remembers finished negotiations
 * by id, and would ignore a reused one), and no matchmaker can take another's
 * ids: a trader accepts a match only under its sender's key.
 *
 * Peers are named by their public key hex, as the glue authenticates them on
 * the connection (the same naming as Negotiations): a trader is the peer whose
 * key signed its orders, so a match is sent to `order.trader`.
 *
 * For the glue (MarketService):
 *   in:  receive(fromKeyHex, message, now)  each decoded `order`, `sync-request`,
 *                                           `sync-answer`, `match-outcome` frame
 *        tick(now)                          every second or so (expiry, reservation
 *                                           timeouts, a sync round every SYNC_EVERY_MS)
 *        peersChanged(keys)                 the connected market peers
 *   out: 'send'     encode (market-wire.ts) and send the message to that peer,
 *                   in order (an `order` frame before its `match`)
 *        'dropped'   a frame refused, with a reason: for logs and the reputation
 *                   of a peer that keeps sending invalid blocks
 *   deps: verifyOrderBlock (ledger validation of a source block in its trader's
 *         chain), random() in [0, 1), me (this peer's key).
 */
import { toHex } from '../codec/bytes.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { blockHash } from '../ledger/block-codec.ts';
import { answerSync, syncRequest } from './book-sync.ts';
import {
  CROSSING_SWEEP_MS,
  DECLINED_PAIR_REST_MS,
  MAX_FORWARD,
  MAX_MATCHES_IN_FLIGHT,
  MAX_PENDING_REMATCHES,
  MAX_REMATCHES,
  MAX_PENDING_VERIFICATIONS,
  MAX_RATED_PEERS,
  MAX_RESTING_PAIRS,
  MBT_ETH,
  PAIR_REST_MS,
  PEER_ORDER_BURST,
  PEER_ORDERS_PER_SECOND,
  PEER_SYNC_REQUESTS_PER_ROUND,
  REMATCH_AFTER_MS,
  SYNC_ANSWER_TIMEOUT_MS,
  SWEEP_TAKERS,
  SYNC_EVERY_MS,
} from './constants.ts';
import { MAX_ORDER_TTL, matchMessage, type MarketMessage } from './market-wire.ts';
import { cancelFromBlock, isExpired, orderFromBlock, OrderError, type Order, type OrderCancel, type OrderId } from './order.ts';
import type { DeclineReason } from './negotiation.ts';
import { OrderBook, pairKeyOf, type Match, type OrderBookLimits } from './order-book.ts';
import { CANCEL_ORDER } from './tradechain/order-tx.ts';

/** A peer's public key, hex. */
export type PeerKey = string;

export interface MatchmakerDeps {
  /** This peer's public key: named in every match it makes. */
  me: Uint8Array;
  /** The ledger's validation of an ask, bid or cancel-order block: signature and place in its trader's chain. A throw (the ledger failing, not the block) propagates out of receive(). */
  verifyOrderBlock(block: HalfBlock): Promise<'valid' | 'invalid'>;
  /** Uniform in [0, 1): which peers get a forward, which peer a sync request, the filter's salt. */
  random(): number;
  pair?: string;
  bookLimits?: Partial<OrderBookLimits>;
}

export type DropReason =
  | 'rate' // the peer is over its rate
  | 'busy' // too many verifications in flight
  | 'pending' // the same block is being verified
  | 'malformed' // not an order or cancellation the market can use
  | 'invalid' // the verifier refused it
  | 'conflict' // another block for this order id is held
  | 'expired'
  | 'cancelled'
  | 'filled'
  | 'wrong-pair'
  | 'trader-full'
  | 'book-full'
  | 'unsolicited' // a sync answer nobody asked this peer for
  | 'not-a-trader' // a match-outcome from outside the match
  | 'unknown-match'
  | 'over-reserved'
  | 'unexpected'; // a message a matchmaker does not take

export type MatchmakerAction = { kind: 'send'; to: PeerKey; message: MarketMessage } | { kind: 'dropped'; from: PeerKey; reason: DropReason; detail: string };

/** A token bucket: `capacity` at most, refilled at `perMs`. */
class Bucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.at) * this.perMs);
    this.at = Math.max(this.at, now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface PeerRates {
  orders: Bucket;
  syncs: Bucket;
}

/**
 * Declines that say "not now" rather than "not these terms": the trader was
 * negotiating other matches of the order ('busy', 'quantity' promised to
 * another match), had not verified the counter order yet ('order-unknown':
 * the match can outrun it), or did not answer in time. Price, funds, trust,
 * expiry and protocol faults would be declined again.
 */
const PASSING_DECLINES: ReadonlySet<DeclineReason> = new Set<DeclineReason>(['busy', 'quantity', 'order-unknown', 'timeout']);

/** A pair to offer again: due `at` (Infinity while its offer is in flight), after `attempts` offers that fell through. */
interface Rematch {
  taker: OrderId;
  maker: OrderId;
  attempts: number;
  at: number;
}

const drop = (from: PeerKey, reason: DropReason, detail: string): MatchmakerAction => ({ kind: 'dropped', from, reason, detail });

export class Matchmaker {
  readonly book: OrderBook;
  private readonly meHex: string;
  private now = 0;
  private peers: PeerKey[] = [];
  /** Least recently seen first: the first is forgotten when the table is full. */
  private readonly rates = new Map<PeerKey, PeerRates>();
  /** Hashes of blocks being verified: a copy arriving meanwhile is not verified twice. */
  private readonly pending = new Set<string>();
  /** Matches reserved and not yet resolved, by id (pruned against the book). */
  private readonly inFlight = new Map<string, Match>();
  /** Pairs whose offer fell through for a passing reason, by pairKey, oldest first. */
  private readonly rematches = new Map<string, Rematch>();
  /** Pairs a sweep leaves alone until the time given, by pairKey, oldest first. */
  private readonly resting = new Map<string, number>();
  private nextSweepAt = -Infinity;
  /** Where the next sweep starts in the list of crossing orders: each sweep takes the next SWEEP_TAKERS. */
  private sweepCursor = 0;
  /** The first trader's 'traded' report of a match, awaiting the other's (bounded by inFlight). */
  private readonly tradedReports = new Map<string, { from: PeerKey; tradeId: string; quantity: bigint }>();
  private awaitedSync: { peer: PeerKey; sentAt: number } | undefined;
  /** The sync answer last taken: its copies (one per connection to that peer) are not refusals. */
  private lastSync: { peer: PeerKey; at: number } | undefined;
  private nextSyncAt = -Infinity;

  constructor(private readonly deps: MatchmakerDeps) {
    this.meHex = toHex(deps.me);
    // The random part keeps ids unique across reloads (a trader remembers them NEGOTIATION_MEMORY_MS), the book's serial within one run.
    const matchIdPrefix = `${this.meHex}.${Math.floor(deps.random() * 2 ** 40).toString(36)}-`;
    this.book = new OrderBook(deps.pair ?? MBT_ETH, { now: () => this.now, matchIdPrefix }, deps.bookLimits);
  }

  peersChanged(peers: Iterable<PeerKey>): void {
    this.peers = [...new Set(peers)].filter((p) => p !== this.meHex);
  }

  async receive(from: PeerKey, message: MarketMessage, now: number): Promise<MatchmakerAction[]> {
    this.now = Math.max(this.now, now);
    switch (message.type) {
      case 'order':
        if (!this.ratesOf(from).orders.take(now)) return [drop(from, 'rate', 'too many orders from this peer; slow down')];
        return this.onBlock(from, message.block, Math.min(message.ttl, MAX_ORDER_TTL));
      case 'sync-request':
        if (!this.ratesOf(from).syncs.take(now)) return [drop(from, 'rate', 'too many sync requests from this peer')];
        return [{ kind: 'send', to: from, message: answerSync(message, this.book, now) }];
      case 'sync-answer':
        return this.onSyncAnswer(from, message.pair, message.blocks, now);
      case 'match-outcome':
        return this.onOutcome(from, message.matchId, message.outcome);
      default:
        return [drop(from, 'unexpected', `a matchmaker does not take ${message.type} messages`)];
    }
  }

  /** Expiry, reservation timeouts, pairs due to be offered again, and a sync request to one peer every SYNC_EVERY_MS. */
  tick(now: number): MatchmakerAction[] {
    this.now = Math.max(this.now, now);
    this.book.expire();
    this.pruneInFlight();
    const actions = [...this.rematchDue(), ...this.sweepDue()];
    if (this.awaitedSync !== undefined && now - this.awaitedSync.sentAt >= SYNC_ANSWER_TIMEOUT_MS) this.awaitedSync = undefined;
    if (now < this.nextSyncAt || this.peers.length === 0) return actions;
    this.nextSyncAt = now + SYNC_EVERY_MS;
    const peer = this.peers[Math.floor(this.deps.random() * this.peers.length)]!;
    this.awaitedSync = { peer, sentAt: now };
    const salt = Math.floor(this.deps.random() * 0x1_0000_0000);
    return [...actions, { kind: 'send', to: peer, message: syncRequest(this.book, salt) }];
  }

  /** Matches awaiting their traders' outcome. */
  get matchesInFlight(): number {
    this.pruneInFlight();
    return this.inFlight.size;
  }

  private async onSyncAnswer(from: PeerKey, pair: string, blocks: HalfBlock[], now: number): Promise<MatchmakerAction[]> {
    const awaited = this.awaitedSync;
    if (awaited === undefined && this.lastSync?.peer === from && now - this.lastSync.at < SYNC_ANSWER_TIMEOUT_MS) return [];
    if (awaited === undefined || awaited.peer !== from || now - awaited.sentAt >= SYNC_ANSWER_TIMEOUT_MS || pair !== this.book.pair) {
      return [drop(from, 'unsolicited', 'a sync answer this matchmaker did not ask this peer for')];
    }
    this.awaitedSync = undefined;
    this.lastSync = { peer: from, at: now };
    const actions: MatchmakerAction[] = [];
    // One at a time: an answer of MAX_SYNC_ANSWER_BLOCKS never takes every verification slot. Ttl 0: synced blocks are not flooded.
    for (const b of blocks) actions.push(...(await this.onBlock(from, b, 0)));
    return actions;
  }

  private async onBlock(from: PeerKey, block: HalfBlock, ttl: number): Promise<MatchmakerAction[]> {
    let item: { order: Order } | { cancel: OrderCancel };
    try {
      item = block.type === CANCEL_ORDER ? { cancel: cancelFromBlock(block) } : { order: orderFromBlock(block) };
    } catch (err) {
      if (err instanceof OrderError) return [drop(from, 'malformed', err.message)];
      throw err;
    }
    // Cheap checks before the signature check: a flood of copies, conflicts and stale orders costs no verification.
    const early = 'order' in item ? this.precheckOrder(from, item.order) : this.book.isCancelled(item.cancel.id) ? [] : undefined;
    if (early !== undefined) return early;
    const hash = 'order' in item ? item.order.blockHash : toHex(blockHash(block));
    if (this.pending.has(hash)) return [];
    if (this.pending.size >= MAX_PENDING_VERIFICATIONS) return [drop(from, 'busy', 'too many orders awaiting verification; send it again later')];
    this.pending.add(hash);
    let verdict: 'valid' | 'invalid';
    try {
      verdict = await this.deps.verifyOrderBlock(block);
    } finally {
      this.pending.delete(hash);
    }
    if (verdict !== 'valid') return [drop(from, 'invalid', `the ${block.type} block fails signature or chain checks`)];
    if ('cancel' in item) {
      const isNew = !this.book.isCancelled(item.cancel.id);
      this.book.cancel(item.cancel);
      this.pruneInFlight();
      return isNew ? this.forward(from, item.cancel.trader, block, ttl) : [];
    }
    const outcome = this.book.add(item.order);
    if (outcome === 'known') return [];
    if (outcome !== 'added') return [drop(from, outcome, `order ${item.order.id} was not booked: ${outcome}`)];
    return [...this.forward(from, item.order.trader, block, ttl), ...this.matchNew(item.order)];
  }

  /** What the book would refuse anyway, decided without verifying; undefined to go on. */
  private precheckOrder(from: PeerKey, order: Order): MatchmakerAction[] | undefined {
    const held = this.book.get(order.id);
    if (held !== undefined) return held.blockHash === order.blockHash ? [] : [drop(from, 'conflict', `order ${order.id} is held with other terms`)];
    if (order.pair !== this.book.pair) return [drop(from, 'wrong-pair', `this book trades ${this.book.pair}, not ${order.pair}`)];
    if (this.book.isCancelled(order.id)) return [drop(from, 'cancelled', `order ${order.id} was cancelled`)];
    if (isExpired(order, this.now)) return [drop(from, 'expired', `order ${order.id} has expired`)];
    return undefined;
  }

  private forward(from: PeerKey, trader: string, block: HalfBlock, ttl: number): MatchmakerAction[] {
    if (ttl <= 0) return [];
    const candidates = this.peers.filter((p) => p !== from && p !== trader);
    // Partial Fisher-Yates: MAX_FORWARD peers drawn uniformly.
    for (let i = 0; i < Math.min(MAX_FORWARD, candidates.length); i++) {
      const j = i + Math.floor(this.deps.random() * (candidates.length - i));
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    return candidates.slice(0, MAX_FORWARD).map((to) => ({ kind: 'send', to, message: { type: 'order', ttl: ttl - 1, block } }));
  }

  /** Each match goes to both traders, each preceded by the counterparty's signed order (ttl 0) so the trader verifies it itself. */
  private matchNew(order: Order): MatchmakerAction[] {
    this.pruneInFlight();
    if (this.inFlight.size >= MAX_MATCHES_IN_FLIGHT) return [];
    return this.book.match(order.id).flatMap((m) => this.offer(m));
  }

  private offer(m: Match): MatchmakerAction[] {
    this.inFlight.set(m.id, m);
    const match = matchMessage(m, this.deps.me);
    return (
      [
        [m.taker.trader, m.maker],
        [m.maker.trader, m.taker],
      ] as const
    ).flatMap(([to, counter]): MatchmakerAction[] => [
      { kind: 'send', to, message: { type: 'order', ttl: 0, block: counter.block } },
      { kind: 'send', to, message: match },
    ]);
  }

  /** Offers again each pair whose time came, if both orders are still held; a pair that cannot be matched now waits another round. */
  private rematchDue(): MatchmakerAction[] {
    const actions: MatchmakerAction[] = [];
    for (const [key, r] of this.rematches) {
      if (r.at > this.now) continue;
      if (this.book.get(r.taker) === undefined || this.book.get(r.maker) === undefined) {
        this.rematches.delete(key);
        continue;
      }
      if (this.inFlight.size >= MAX_MATCHES_IN_FLIGHT) break;
      const m = this.book.matchPair(r.taker, r.maker);
      r.at = m === undefined ? this.now + REMATCH_AFTER_MS : Infinity;
      if (m !== undefined) actions.push(...this.offer(m));
    }
    return actions;
  }

  /** Matches crossing orders that rest unmatched, every CROSSING_SWEEP_MS (see the invariants). */
  private sweepDue(): MatchmakerAction[] {
    if (this.now < this.nextSweepAt) return [];
    this.nextSweepAt = this.now + CROSSING_SWEEP_MS;
    for (const [key, until] of this.resting) if (until <= this.now) this.resting.delete(key);
    const skip = (key: string): boolean => this.rematches.has(key) || this.resting.has(key);
    const actions: MatchmakerAction[] = [];
    // In turns: crossing orders whose pairs all rest (a ring declining its offers) cannot hold every place of every sweep.
    const crossing = this.book.crossingOrders();
    // A window of them, in turns, each taking in arrival order: an older order still acts before newer ones.
    const start = crossing.length === 0 ? 0 : this.sweepCursor % crossing.length;
    const takers = crossing.filter((_, i) => (i - start + crossing.length) % crossing.length < SWEEP_TAKERS);
    this.sweepCursor = start + takers.length;
    for (const id of takers) {
      if (this.inFlight.size >= MAX_MATCHES_IN_FLIGHT) break;
      for (const m of this.book.match(id, skip)) actions.push(...this.offer(m));
    }
    return actions;
  }

  /** Leaves the pair of `m` out of sweeps for `ms`. */
  private rest(m: Match, ms: number): void {
    const key = pairKeyOf(m);
    this.resting.delete(key);
    if (this.resting.size >= MAX_RESTING_PAIRS) this.resting.delete(this.resting.keys().next().value!);
    this.resting.set(key, this.now + ms);
  }

  /** The offer of `m` fell through for a passing reason: offer it again later, up to MAX_REMATCHES times, then let it rest. */
  private scheduleRematch(m: Match): void {
    const key = pairKeyOf(m);
    const r = this.rematches.get(key) ?? { taker: m.taker.id, maker: m.maker.id, attempts: 0, at: Infinity };
    this.rematches.delete(key);
    r.attempts++;
    if (r.attempts > MAX_REMATCHES) return this.rest(m, PAIR_REST_MS);
    r.at = this.now + REMATCH_AFTER_MS * 2 ** (r.attempts - 1);
    if (this.rematches.size >= MAX_PENDING_REMATCHES) this.rematches.delete(this.rematches.keys().next().value!);
    this.rematches.set(key, r);
  }

  /**
   * A decline from either trader releases the reservation. A trade fills the
   * orders only when BOTH traders report it, with the same trade id and
   * quantity: one trader alone cannot fill the other's order in this book
   * (a lone report is kept until the reservation times out, then released).
   */
  private onOutcome(from: PeerKey, matchId: string, outcome: Extract<MarketMessage, { type: 'match-outcome' }>['outcome']): MatchmakerAction[] {
    const m = this.book.reservation(matchId);
    if (m === undefined) return [drop(from, 'unknown-match', `no reservation ${matchId} is held`)];
    if (from !== m.taker.trader && from !== m.maker.trader) return [drop(from, 'not-a-trader', `only the traders of ${matchId} settle it`)];
    if (outcome.kind === 'declined') {
      this.book.release(matchId);
      this.resolved(matchId);
      if (PASSING_DECLINES.has(outcome.reason)) this.scheduleRematch(m);
      else {
        this.rematches.delete(pairKeyOf(m));
        this.rest(m, DECLINED_PAIR_REST_MS);
      }
      return [];
    }
    const report = { from, tradeId: toHex(outcome.tradeId), quantity: outcome.quantity };
    const first = this.tradedReports.get(matchId);
    if (first === undefined || first.from === from) {
      this.tradedReports.set(matchId, report);
      return [];
    }
    if (first.tradeId !== report.tradeId || first.quantity !== report.quantity) {
      this.book.release(matchId);
      this.resolved(matchId);
      return [drop(from, 'conflict', `the traders of ${matchId} report different trades`)];
    }
    const completed = this.book.complete(matchId, outcome.quantity);
    this.resolved(matchId);
    this.rematches.delete(pairKeyOf(m));
    return completed === 'over-reserved' ? [drop(from, 'over-reserved', `${outcome.quantity} is more than match ${matchId} reserved`)] : [];
  }

  private resolved(matchId: string): void {
    this.inFlight.delete(matchId);
    this.tradedReports.delete(matchId);
  }

  private ratesOf(peer: PeerKey): PeerRates {
    let r = this.rates.get(peer);
    if (r === undefined) {
      if (this.rates.size >= MAX_RATED_PEERS) this.rates.delete(this.rates.keys().next().value!);
      r = { orders: new Bucket(PEER_ORDER_BURST, PEER_ORDERS_PER_SECOND / 1000, this.now), syncs: new Bucket(PEER_SYNC_REQUESTS_PER_ROUND, PEER_SYNC_REQUESTS_PER_ROUND / SYNC_EVERY_MS, this.now) };
    } else this.rates.delete(peer);
    this.rates.set(peer, r);
    return r;
  }

  /** Reservations the book released without an outcome timed out (or lost an order, which rematchDue then forgets). */
  private pruneInFlight(): void {
    for (const [id, m] of this.inFlight) {
      if (this.book.reservation(id) !== undefined) continue;
      this.resolved(id);
      this.scheduleRematch(m);
    }
  }
}
