/**
 * The market of one tab (browser glue, loaded on first use through
 * lazy-market.ts): it runs a matchmaker (any peer with the market open is
 * one), places and cancels my orders as signed TradeChain blocks, handles
 * matches of my orders by negotiating with the counterparty, records
 * trade-init as a pair, and settles each trade in installments
 * (trade-runner.ts). Every decision is made by the pure parts (matchmaker.ts,
 * negotiation.ts, settlement.ts); this wires them to the network, the
 * ledger, the wallet and the store, and ticks them once a second.
 */
import type { Libp2p } from 'libp2p';
import { formatEther } from 'viem';
import { fromHex, toHex } from '../codec/bytes.ts';
import { formatBytes } from '../codec/units.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { decodeBlock, encodeBlock } from '../ledger/block-codec.ts';
import { ANY_COUNTERPARTY } from '../ledger/constants.ts';
import type { LedgerService } from '../ledger/ledger-service.ts';
import { PRICE_UNIT, MBT_ETH, MAX_ORDER_LIFETIME_MS, MAX_ORDER_QUANTITY, MAX_PRICE, MIN_ORDER_QUANTITY, MIN_PRICE, ORDER_CHECK_WAIT_MS } from './constants.ts';
import { installmentLimit, roundCount } from './installments.ts';
import { libp2pMarketChannel, type MarketChannel } from './market-channel.ts';
import { MarketError, type MarketHandle, type MarketSnapshot, type MyOrder, type OrderQuote, type OrderRequest, type WalletView } from './market-api.ts';
import { MAX_ORDER_TTL, orderIdOf, type MarketMessage } from './market-wire.ts';
import { Matchmaker, type MatchmakerAction } from './matchmaker.ts';
import { NegotiationError, Negotiations, type DeclineReason, type NegotiationAction } from './negotiation.ts';
import { costOf, orderFromBlock, type Order } from './order.ts';
import type { MarketSeams } from './seams.ts';
import { TradeStore, type StoredTrade } from './trade-store.ts';
import { TradeBook, type MarketCommonDeps } from './trade-book.ts';
import { TraderOrders } from './trader-orders.ts';
import { ASK, BID, askType, bidType, cancelOrderType, CANCEL_ORDER } from './tradechain/order-tx.ts';
import { tradeInitType } from './tradechain/trade-tx.ts';
import { loadWallet } from './wallet/lazy.ts';
import { MARKET_ACTIVE_KEY } from './lazy-market.ts';
import type { BrowserWallet } from './wallet/browser-wallet.ts';

/** The market's clock: deadlines of reservations, negotiations and installments are checked this often. */
export const MARKET_TICK_MS = 1_000;
/** Matchmakers a trader sends each order to directly: each passes it on (MAX_FORWARD, ttl), so a few suffice. */
export const ORDER_FANOUT = 8;
/** The wallet's balances are read again this often while the Market page watches: one cheap RPC call. */
export const WALLET_REFRESH_MS = 10_000;
/** Gas of a plain Ether transfer: what each installment of the buyer costs in fees. */
export const ETHER_TRANSFER_GAS = 21_000n;
/** Matches remembered with their matchmaker, to tell it the outcome: a negotiation ends within the reservation (30 s). */
const MAX_MATCHES_REMEMBERED = 1_000;
/** Problems reported by the matchmaker and the trader (for tests and a log), newest kept. */
const MAX_REJECTIONS = 100;

export interface MarketServiceDeps extends MarketCommonDeps {
  channel: MarketChannel;
  openStore(identityHex: string): Promise<TradeStore>;
  random(): number;
  /** ORDER_CHECK_WAIT_MS unless a test shortens it. */
  orderCheckWaitMs?: number;
}

export interface Rejection {
  from: string;
  reason: string;
  detail: string;
  at: number;
}

/** What the app hands the market of a running tab (market-runtime.ts). */
export interface MarketParts {
  me: Uint8Array;
  node: Libp2p;
  ledger: LedgerService;
  blocks: MarketServiceDeps['blocks'];
  standing(keyHex: string): bigint | undefined;
  seams?: MarketSeams | undefined;
}

/** The browser's dependencies: libp2p channel, IndexedDB store, the page's wallet, real clock and randomness. */
export function browserMarketDeps(parts: MarketParts): MarketServiceDeps {
  return {
    me: parts.me,
    ledger: parts.ledger,
    blocks: parts.blocks,
    channel: libp2pMarketChannel(parts.node),
    standing: parts.standing,
    openWallet: async () => (await loadWallet()).openBrowserWallet(),
    openStore: (hex) => TradeStore.open(hex),
    now: Date.now,
    random: Math.random,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    seams: parts.seams,
  };
}

export class MarketService implements MarketHandle {
  private readonly meHex: string;
  private readonly matchmaker: Matchmaker;
  private readonly orders: TraderOrders;
  private readonly negotiations: Negotiations;
  private readonly trades: TradeBook;
  private readonly matchmakerOf = new Map<string, string>();
  /** Matches in which I was proposed to: I am the buyer. */
  private readonly asBuyer = new Set<string>();
  /** Order frames being checked, by order id (at most MAX_PUSH_HANDLING per connection are handled at once). */
  private readonly verifying = new Map<string, Promise<void>>();
  private readonly listeners = new Set<() => void>();
  private readonly rejected: Rejection[] = [];
  private walletView: WalletView = { tokens: 0n, tokensCommitted: 0n, weiCommitted: 0n };
  private walletReadAt = -Infinity;
  private wallet: BrowserWallet | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private stopped = false;

  private constructor(
    private readonly deps: MarketServiceDeps,
    private readonly store: TradeStore,
  ) {
    this.meHex = toHex(deps.me);
    this.trades = new TradeBook({
      me: deps.me,
      ledger: deps.ledger,
      blocks: deps.blocks,
      store,
      standing: deps.standing,
      openWallet: () => this.openWallet(),
      now: deps.now,
      randomBytes: deps.randomBytes,
      seams: deps.seams,
      isMine: (id) => this.orders.isMine(id),
      began: (record) => this.began(record),
      declined: (matchId) => this.tellOutcome(matchId, { kind: 'declined', reason: 'protocol' }),
      active: () => this.markActive(),
      changed: (what) => {
        this.changed();
        if (what?.wallet === true) void this.refreshWallet();
      },
    });
    this.orders = new TraderOrders(this.meHex, deps.now, (id) => this.trades.takenOf(id));
    this.matchmaker = new Matchmaker({ me: deps.me, verifyOrderBlock: (b) => this.verify(b), random: deps.random });
    this.negotiations = new Negotiations({ now: deps.now, me: this.meHex, order: (id) => this.orders.view(id) });
  }

  static async start(deps: MarketServiceDeps): Promise<MarketService> {
    const store = await deps.openStore(toHex(deps.me));
    const market = new MarketService(deps, store);
    await market.load();
    market.listen();
    return market;
  }

  // ---- the page's API -------------------------------------------------------------

  snapshot(): MarketSnapshot {
    const depth = this.matchmaker.book.depth();
    return {
      pair: MBT_ETH,
      book: { bids: depth.bids, asks: depth.asks },
      myOrders: this.orders.myOrders(),
      trades: this.trades.views(),
      wallet: { ...this.walletView, ...this.trades.committed() },
      matchmaker: { orders: [...this.matchmaker.book.orders()].length, matchesInFlight: this.matchmaker.matchesInFlight, peers: this.deps.channel.peers().length },
      pending: { checking: this.verifying.size, negotiations: this.negotiations.statuses() },
    };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  quote(request: Pick<OrderRequest, 'side' | 'quantity' | 'price'>): OrderQuote {
    const quantity = request.quantity > 0n ? request.quantity : 0n;
    const installments = quantity === 0n ? 0 : roundCount({ tokens: quantity, wei: 1n, installmentBytes: installmentLimit(undefined) });
    return { wei: costOf(quantity, request.price), installments, etherTransactions: installments, gasPerTransaction: ETHER_TRANSFER_GAS, marketFee: 0n };
  }

  async placeOrder(request: OrderRequest): Promise<MyOrder> {
    this.assertRunning();
    const { side, quantity, price, lifetimeMs } = request;
    if (quantity < MIN_ORDER_QUANTITY || quantity > MAX_ORDER_QUANTITY) throw new MarketError('bad-order', `An order is for 1 MiB to 1 TiB of tokens; ${quantity} bytes is outside that.`);
    if (price < MIN_PRICE || price > MAX_PRICE) throw new MarketError('bad-order', 'The price must be at least 1 wei per MiB and at most 1 ETH per MiB.');
    if (!(lifetimeMs > 0) || lifetimeMs > MAX_ORDER_LIFETIME_MS) throw new MarketError('bad-order', 'An order lives from a moment up to a week; choose a lifetime in that range.');
    const wallet = await this.openWallet();
    if (wallet.endpoint === undefined) {
      throw new MarketError('no-endpoint', wallet.endpointError?.message ?? 'No Ethereum endpoint is set, so Ether cannot be paid or seen. Set one in Settings (or open the app with ?eth=<url>) and reload.');
    }
    await this.refreshWallet();
    if (side === ASK) {
      const free = this.walletView.tokens - this.trades.committed().tokensCommitted - this.openAsks();
      if (quantity > free) throw new MarketError('no-funds', `You have ${formatBytes(Number(free > 0n ? free : 0n))} of tokens free to sell, less than the ${formatBytes(Number(quantity))} this order offers. Earn tokens by seeding, or sell less.`);
    } else {
      const available = this.walletView.ether?.available ?? 0n;
      const cost = costOf(quantity, price) + this.trades.committed().weiCommitted + this.openBidsWei();
      if (cost > available) throw new MarketError('no-funds', `This order and your open ones need ${formatEther(cost)} ETH, and your wallet has ${formatEther(available)} ETH. Fund your wallet's address or buy less.`);
    }
    const now = this.deps.now();
    const tx = { orderNumber: this.orders.nextOrderNumber(), pair: MBT_ETH, quantity, price, expiry: now + lifetimeMs };
    const type = side === ASK ? askType : bidType;
    const block = await this.deps.ledger.signProposal({ id: 'any', publicKey: ANY_COUNTERPARTY }, side, () => type.encode(tx));
    const order = orderFromBlock(block);
    await this.store.putOrder({ id: order.id, block: encodeBlock(block), cancelled: false });
    this.orders.addMine(order);
    this.markActive();
    await this.feedOwnMatchmaker(block);
    await this.sendOrder(block);
    this.changed();
    return this.orders.myOrders().find((o) => o.id === order.id)!;
  }

  async cancelOrder(id: string): Promise<void> {
    this.assertRunning();
    const order = this.orders.mineById(id);
    if (order === undefined) throw new MarketError('unknown-order', 'This order is not one of yours in this browser; reload the page.');
    const block = await this.deps.ledger.signProposal({ id: 'any', publicKey: ANY_COUNTERPARTY }, CANCEL_ORDER, () => cancelOrderType.encode({ orderNumber: order.orderNumber }));
    this.orders.cancelMine(id);
    await this.store.putOrder({ id, block: encodeBlock(order.block), cancelled: true });
    await this.feedOwnMatchmaker(block);
    await this.sendOrder(block);
    this.changed();
  }

  async refreshWallet(): Promise<void> {
    this.walletReadAt = this.deps.now();
    const balance = await this.deps.ledger.verifiedBalance(this.deps.me);
    const view: WalletView = { tokens: balance.net, tokensCommitted: 0n, weiCommitted: 0n };
    try {
      const wallet = await this.openWallet();
      if (wallet.endpoint === undefined) {
        view.etherError = wallet.endpointError?.message ?? 'No Ethereum endpoint is set: set one in Settings (or open the app with ?eth=<url>) to trade for Ether.';
        view.ether = { address: wallet.wallet.address.toLowerCase(), available: 0n, pending: 0n };
      } else {
        view.endpoint = wallet.endpoint.url;
        const b = await wallet.wallet.balance();
        view.ether = { address: wallet.wallet.address.toLowerCase(), available: b.available, pending: b.pending };
      }
    } catch (err) {
      view.etherError = (err as Error).message;
    }
    this.walletView = view;
    this.changed();
  }

  /** What the matchmaker and the trader refused lately (tests, logs). */
  rejections(): Rejection[] {
    return [...this.rejected];
  }

  /** The signed block of an order this peer's book or trader holds (to pass on, or for tests). */
  heldOrder(id: string): HalfBlock | undefined {
    return (this.matchmaker.book.get(id) ?? this.orders.mineById(id) ?? this.orders.knownById(id))?.block;
  }

  /** The raw channel (test hooks only send hand-made frames over it). */
  get channel(): MarketChannel {
    return this.deps.channel;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const u of this.unsubscribe) u();
    this.trades.stop();
    this.deps.channel.stop();
    this.store.close();
  }

  // ---- start-up ----------------------------------------------------------------------

  private async load(): Promise<void> {
    for (const stored of await this.store.orders()) {
      try {
        this.orders.addMine(orderFromBlock(decodeBlock(stored.block)), stored.cancelled);
      } catch {
        // A record this version cannot read is skipped, not fatal.
      }
    }
    await this.trades.load();
    for (const o of this.orders.openOrders()) await this.feedOwnMatchmaker(o.block);
  }

  private listen(): void {
    this.deps.channel.serve((from, message) => this.onMessage(from, message));
    this.unsubscribe.push(this.deps.channel.onPeersChanged(() => this.peersChanged()));
    this.unsubscribe.push(this.deps.ledger.subscribe((e) => void (e.type === 'own-chain' && this.trades.onOwnBlock(e.block))));
    this.peersChanged();
    this.timer = setInterval(() => this.tick(), MARKET_TICK_MS);
    void this.refreshWallet();
  }

  // ---- the network ------------------------------------------------------------------

  private async onMessage(from: string, message: MarketMessage): Promise<void> {
    if (this.stopped) return;
    switch (message.type) {
      case 'order':
        await this.onOrderFrame(from, message);
        return;
      case 'match':
        await this.arrived(orderIdOf(message.ask), orderIdOf(message.bid));
        this.onMatch(from, message);
        return;
      case 'propose':
        // Negotiations checks that the bid proposed against is mine: here I am the buyer.
        this.asBuyer.add(message.matchId);
        if (this.asBuyer.size > MAX_MATCHES_REMEMBERED) this.asBuyer.delete(this.asBuyer.values().next().value!);
        await this.arrived(message.askId, message.bidId);
        this.runNegotiation(this.negotiations.receive(from, message).actions);
        return;
      case 'counter':
      case 'accept':
      case 'decline':
        this.runNegotiation(this.negotiations.receive(from, message).actions);
        return;
      case 'sync-request':
      case 'sync-answer':
      case 'match-outcome':
        await this.runMatchmaker(await this.matchmaker.receive(from, message, this.deps.now()));
        return;
      default:
        return;
    }
  }

  /** An order frame feeds my matchmaker, and a counterparty's order is kept for my negotiations. */
  private async onOrderFrame(from: string, message: Extract<MarketMessage, { type: 'order' }>): Promise<void> {
    let order: Order | undefined;
    try {
      order = message.block.type === CANCEL_ORDER ? undefined : orderFromBlock(message.block);
    } catch {
      order = undefined;
    }
    // A match or proposal naming this order waits for its checks: frames are handled a few at once, so the match sent right after it can overtake them.
    const release = order === undefined || this.verifying.has(order.id) ? undefined : this.holdChecks(order.id);
    let actions: MatchmakerAction[];
    try {
      actions = await this.matchmaker.receive(from, message, this.deps.now());
      if (order !== undefined) await this.keepCounterOrder(from, message.block, order, actions);
    } finally {
      release?.();
    }
    // After the checks are released: my own matchmaker's match of this order is among these actions, and waits for them.
    await this.runMatchmaker(actions);
  }

  /** A counterparty's order verified by my matchmaker (or here) is kept for my negotiations; a refusal for invalidity is mine too. */
  private async keepCounterOrder(from: string, block: HalfBlock, order: Order, actions: MatchmakerAction[]): Promise<void> {
    const invalid = actions.some((a) => a.kind === 'dropped' && (a.reason === 'invalid' || a.reason === 'malformed'));
    if (invalid || this.orders.holds(order)) return;
    if (this.matchmaker.book.get(order.id)?.blockHash === order.blockHash || (await this.verify(block)) === 'valid') {
      if (this.orders.addKnown(order) === 'conflict') this.reject(from, 'conflict', `another block for order ${order.id} is held`);
    }
  }

  /** Marks order `id` as being checked until the returned function is called. */
  private holdChecks(id: string): () => void {
    let done!: () => void;
    const check = new Promise<void>((resolve) => (done = resolve));
    this.verifying.set(id, check);
    return () => {
      // A check given up as late (arrived) may have been replaced by a newer one: leave that one be.
      if (this.verifying.get(id) === check) this.verifying.delete(id);
      done();
    };
  }

  /** Resolves once no order frame for these ids is being checked, or after ORDER_CHECK_WAIT_MS: a check that never ends must not hold the match (and a handling slot) for good. */
  private async arrived(...ids: string[]): Promise<void> {
    const held = ids.flatMap((id) => {
      const check = this.verifying.get(id);
      return check === undefined ? [] : [{ id, check }];
    });
    const checks = held.map((h) => h.check);
    if (checks.length === 0) return;
    const waitMs = this.deps.orderCheckWaitMs ?? ORDER_CHECK_WAIT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), waitMs)));
    const outcome = await Promise.race([Promise.all(checks), late]);
    clearTimeout(timer);
    if (outcome !== 'late') return;
    this.reject(this.meHex, 'check-slow', `the checks of order ${ids.join(' or ')} took over ${waitMs} ms`);
    // Given up: later matches naming the order must not wait for this check again, nor the snapshot count it.
    for (const { id, check } of held) if (this.verifying.get(id) === check) this.verifying.delete(id);
  }

  private onMatch(from: string, m: Extract<MarketMessage, { type: 'match' }>): void {
    const askId = orderIdOf(m.ask);
    const bidId = orderIdOf(m.bid);
    if (toHex(m.matchmaker) !== from) return this.reject(from, 'protocol', 'a match names another matchmaker than its sender');
    // Ids are the matchmaker's own (matchmaker.ts): none can take another's, whose match would then be refused as a duplicate.
    if (!m.matchId.startsWith(`${from}.`)) return this.reject(from, 'protocol', `match ${m.matchId} is not under its matchmaker's key`);
    if (!this.orders.isMine(askId) && !this.orders.isMine(bidId)) return;
    // A copy of a match being negotiated (it comes once per connection to its matchmaker): the first one stands.
    if (this.negotiations.status(m.matchId) !== undefined) return;
    this.rememberMatch(m.matchId, from);
    // The buyer waits for the seller's proposal; only the seller acts on a match.
    if (!this.orders.isMine(askId)) return;
    const ask = this.orders.view(askId);
    const bid = this.orders.view(bidId);
    if (ask === undefined || bid === undefined) {
      this.reject(from, 'order-unknown', `match ${m.matchId} names an order I do not hold verified`);
      return this.tellOutcome(m.matchId, { kind: 'declined', reason: 'order-unknown' });
    }
    try {
      this.runNegotiation(this.negotiations.start({ matchId: m.matchId, ask, bid, offer: { quantity: m.quantity, price: m.price } }));
    } catch (err) {
      if (!(err instanceof NegotiationError)) throw err;
      const reason: DeclineReason = isDeclineReason(err.code) ? err.code : 'protocol';
      this.reject(from, reason, err.message);
      this.tellOutcome(m.matchId, { kind: 'declined', reason });
    }
  }

  private runNegotiation(actions: NegotiationAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          void this.send(a.to, a.message);
          break;
        case 'answer-needed':
          this.answerOffer(a.matchId, a.offer.quantity, a.offer.price);
          break;
        case 'agreed':
          if (a.terms.seller === this.meHex) void this.trades.initiate(a.terms);
          else this.trades.agree(a.terms);
          this.changed();
          break;
        case 'declined':
          // Kept with the other refusals: a trade that never starts shows why (the e2e failure message reads them).
          this.reject(a.peer, a.by === 'me' ? `declined ${a.reason}` : `they declined ${a.reason}`, `match ${a.matchId}`);
          this.trades.withdrawAgreed(a.matchId);
          this.tellOutcome(a.matchId, { kind: 'declined', reason: a.reason });
          break;
      }
    }
  }

  /** The policy: accept what I can pay (Ether for a buyer; a seller's tokens were checked when it placed the order). */
  private answerOffer(matchId: string, quantity: bigint, price: bigint): void {
    try {
      const free = (this.walletView.ether?.available ?? 0n) - this.trades.committed().weiCommitted;
      if (this.asBuyer.has(matchId) && costOf(quantity, price) > free) {
        // Less than offered, if what I can pay is still an order's worth: a counter, else a decline.
        const affordable = free > 0n ? (free * PRICE_UNIT) / price : 0n;
        this.runNegotiation(affordable < MIN_ORDER_QUANTITY ? this.negotiations.decline(matchId, 'no-funds') : this.negotiations.counter(matchId, affordable));
      } else this.runNegotiation(this.negotiations.accept(matchId));
    } catch (err) {
      if (!(err instanceof NegotiationError)) throw err;
      this.runNegotiation(this.negotiations.decline(matchId, isDeclineReason(err.code) ? err.code : 'protocol'));
    }
  }

  /** A trade's settlement began: both traders tell the match's matchmaker (it fills the orders only when both did), and a filled order is closed. */
  private async began(record: StoredTrade): Promise<void> {
    if (record.matchId !== undefined) this.tellOutcome(record.matchId, { kind: 'traded', tradeId: fromHex(record.tradeId), quantity: tradeInitType.decode(record.init).quantity });
    await this.closeIfFilled(record.role === 'seller' ? record.askId : record.bidId);
  }

  /**
   * A filled order is cancelled by a signed block: books whose matchmaker did
   * not make its match still hold it, and would keep matching it first.
   */
  private async closeIfFilled(id: string): Promise<void> {
    if (this.orders.myOrders().find((o) => o.id === id)?.status !== 'filled') return;
    try {
      await this.cancelOrder(id);
    } catch {
      // The order stays in others' books until it expires; matches of it are declined ('quantity').
    }
  }

  // ---- the matchmaker -----------------------------------------------------------------

  private async feedOwnMatchmaker(block: HalfBlock): Promise<void> {
    await this.runMatchmaker(await this.matchmaker.receive(this.meHex, { type: 'order', ttl: 0, block }, this.deps.now()));
  }

  private async runMatchmaker(actions: MatchmakerAction[]): Promise<void> {
    for (const a of actions) {
      if (a.kind === 'dropped') this.reject(a.from, a.reason, a.detail);
      else if (a.to === this.meHex) await this.onMessage(this.meHex, a.message);
      else await this.send(a.to, a.message);
    }
    if (actions.length > 0) this.changed();
  }

  private async sendOrder(block: HalfBlock): Promise<void> {
    const peers = this.deps.channel.peers().slice(0, ORDER_FANOUT);
    await Promise.all(peers.map((p) => this.send(p, { type: 'order', ttl: MAX_ORDER_TTL, block })));
  }

  private peersChanged(): void {
    const peers = this.deps.channel.peers();
    const before = new Set(this.knownPeers);
    this.knownPeers = peers;
    this.matchmaker.peersChanged(peers);
    // A new peer hears my open orders (its book may be the one that matches them).
    for (const p of peers.filter((q) => !before.has(q))) for (const o of this.orders.openOrders()) void this.send(p, { type: 'order', ttl: MAX_ORDER_TTL, block: o.block });
  }

  private knownPeers: string[] = [];

  private tick(): void {
    const now = this.deps.now();
    void this.runMatchmaker(this.matchmaker.tick(now));
    this.runNegotiation(this.negotiations.tick(now));
    this.trades.tick(now);
    // Ether can arrive from outside the market: a page that watches sees it within WALLET_REFRESH_MS.
    if (this.listeners.size > 0 && now - this.walletReadAt >= WALLET_REFRESH_MS) void this.refreshWallet();
    if (this.trades.running === 0 && this.orders.openOrders().length === 0) this.clearActive();
  }

  // ---- helpers ------------------------------------------------------------------------

  private async openWallet(): Promise<BrowserWallet> {
    this.wallet ??= await this.deps.openWallet();
    return this.wallet;
  }

  private async verify(block: HalfBlock): Promise<'valid' | 'invalid'> {
    const result = await this.deps.ledger.ingestBlocks([block]);
    const outcome = result.validated.find((v) => v.block === block)?.result.outcome;
    return outcome === undefined || outcome === 'invalid' ? 'invalid' : 'valid';
  }

  private async send(to: string, message: MarketMessage): Promise<void> {
    try {
      await this.deps.channel.send(to, message);
    } catch {
      // A peer that left misses this message; orders reach it again by sync or when it reconnects.
    }
  }

  private tellOutcome(matchId: string, outcome: Extract<MarketMessage, { type: 'match-outcome' }>['outcome']): void {
    const matchmaker = this.matchmakerOf.get(matchId);
    if (matchmaker === undefined || matchmaker === '') return;
    const message: MarketMessage = { type: 'match-outcome', matchId, outcome };
    if (matchmaker === this.meHex) void this.matchmaker.receive(this.meHex, message, this.deps.now()).then((actions) => this.runMatchmaker(actions));
    else void this.send(matchmaker, message);
  }

  private rememberMatch(matchId: string, matchmaker: string): void {
    if (this.matchmakerOf.size >= MAX_MATCHES_REMEMBERED) this.matchmakerOf.delete(this.matchmakerOf.keys().next().value!);
    this.matchmakerOf.set(matchId, matchmaker);
  }

  private reject(from: string, reason: string, detail: string): void {
    this.rejected.push({ from, reason, detail, at: this.deps.now() });
    if (this.rejected.length > MAX_REJECTIONS) this.rejected.shift();
  }

  private openAsks(): bigint {
    return this.orders
      .myOrders()
      .filter((o) => o.status === 'open' && o.side === ASK)
      .reduce((sum, o) => sum + o.remaining, 0n);
  }

  private openBidsWei(): bigint {
    return this.orders
      .myOrders()
      .filter((o) => o.status === 'open' && o.side === BID)
      .reduce((sum, o) => sum + costOf(o.remaining, o.price), 0n);
  }

  private assertRunning(): void {
    if (this.stopped) throw new MarketError('not-running', 'The market stopped with the peer in this tab; reload the page.');
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** A reload starts the market at once while I have open orders or running trades (they must keep being answered). */
  private markActive(): void {
    try {
      localStorage.setItem(MARKET_ACTIVE_KEY, '1');
    } catch {
      // Storage may be unavailable (private mode): the market then starts when the page opens.
    }
  }

  private clearActive(): void {
    try {
      localStorage.removeItem(MARKET_ACTIVE_KEY);
    } catch {
      // See markActive.
    }
  }
}

const DECLINE_REASONS: ReadonlySet<string> = new Set<DeclineReason>(['price', 'quantity', 'order-unknown', 'order-expired', 'self-trade', 'no-funds', 'untrusted', 'busy', 'timeout', 'stalled', 'protocol']);

function isDeclineReason(code: string): code is DeclineReason {
  return DECLINE_REASONS.has(code);
}
