/**
 * Market figures, in three Chromium tabs (seller, buyer, matchmaker) in a
 * direct mesh against a real anvil: the time from a buyer's order to its
 * match, and a whole trade of 10 installment rounds next to what its parts
 * cost bare in the same run (one Ether transfer confirmed, one ledger pair).
 *
 * Times are taken in the tabs with Date.now() (one clock on one machine):
 * an order from just before placeOrder; its match when the trade shows in
 * the buyer's snapshot (trade-init signed by both, settlement begun); a trade
 * done when both sides say so. The `watchTrades` hook records each moment as
 * the market reports the change, so the harness's polling adds nothing.
 */
import type { Page } from '@playwright/test';
import { startAnvil, type Anvil } from '../e2e/support/anvil.ts';
import { directMesh, hooks, ledger } from '../e2e/support/ledger.ts';
import { PeerPage } from '../e2e/support/peer-page.ts';
import { waitFor } from '../e2e/support/processes.ts';
import { RESERVATION_TIMEOUT_MS } from '../src/exchange/constants.ts';
import { INSTALLMENT_FLOOR_BYTES } from '../src/exchange/settlement-constants.ts';
import { median, MiB, type BenchEnv, type Figure } from './env.ts';

const market = hooks('market');
const wallet = hooks('wallet');

/** Order → match is timed on this many trades, each with fresh orders. */
const MATCH_RUNS = 5;
/** One floor installment: a one-round trade that is over in seconds, so the next run starts soon. */
const MATCH_TRADE_BYTES = INSTALLMENT_FLOOR_BYTES;
/** The whole trade: 10 rounds at the floor installment, what an unknown buyer gets. */
const FULL_ROUNDS = 10;
const FULL_TRADE_BYTES = BigInt(FULL_ROUNDS) * INSTALLMENT_FLOOR_BYTES;
/** Ledger pairs in one round: the seller's transfer pair, and a trade-payment pair for each side's installment (the e2e counts them). */
const PAIRS_PER_ROUND = 3;
/** 0.001 ETH per MiB, as the e2e: the whole section moves 0.015 ETH of the buyer's 1. */
const PRICE = 10n ** 15n;
/**
 * Each trade a step cheaper than the one before: only the matchmaker of a
 * match hears its outcome, so other books may hold earlier orders until the
 * traders' cancellation of a filled order reaches them, and a cheaper bid
 * never crosses those older asks.
 */
const PRICE_STEP = PRICE / 100n;
const ETH = 10n ** 18n;
/** Enough for every ask of the section (5 + 10 MiB). */
const SELLER_TOKENS = 16n * BigInt(MiB);
/** Orders outlive the section. */
const ORDER_LIFETIME_MS = 10 * 60_000;
/** Bare Ether transfers and ledger pairs timed for the baseline. */
const BASELINE_RUNS = 3;
/** A one-round trade settles in seconds; a whole one in well under a minute on this machine. */
const TRADE_TIMEOUT_MS = 90_000;
/**
 * A new ask reaches the three books in a round trip or two; a match of it with
 * an older order is declined in another, or at worst released when its
 * reservation times out.
 */
const BOOK_TIMEOUT_MS = RESERVATION_TIMEOUT_MS + 10_000;

interface TradeTimes {
  askId: string;
  bidId: string;
  seenAt: number;
  statusAt: { running?: number; done?: number; failed?: number };
}
interface TradeView {
  tradeId: string;
  bidId: string;
  installments: unknown[];
}
interface Snapshot {
  book: { asks: { price: string; quantity: string }[]; bids: { price: string; quantity: string }[] };
  matchmaker: { orders: number; matchesInFlight: number };
  trades: TradeView[];
}

interface Traders {
  seller: PeerPage;
  buyer: PeerPage;
  matchmaker: PeerPage;
  matchmakerPeerId: string;
  sellerAddress: string;
}

/** Three tabs with the market open and trades watched; the seller holds SELLER_TOKENS, the buyer 1 ETH. */
async function traders(env: BenchEnv, anvil: Anvil): Promise<Traders> {
  const url = `${env.server.url}/?relay=${encodeURIComponent(env.relay.multiaddr)}&tracker=${encodeURIComponent(env.relay.trackerUrl)}&eth=${encodeURIComponent(anvil.url)}`;
  const open = async (): Promise<PeerPage> => {
    const context = await env.browser.newContext();
    return new PeerPage(await context.newPage(), context, url).open();
  };
  const [seller, buyer, matchmaker] = await Promise.all([open(), open(), open()]);
  const ids = await directMesh([seller, buyer, matchmaker]);
  await ledger(matchmaker.page, 'acceptAll');
  await ledger(seller.page, 'pay', ids[2], Number(SELLER_TOKENS));
  for (const p of [seller, buyer, matchmaker]) {
    await market(p.page, 'start');
    await market(p.page, 'watchTrades');
  }
  const [sellerAddress, buyerAddress] = await Promise.all([wallet<string>(seller.page, 'address'), wallet<string>(buyer.page, 'address')]);
  await anvil.fund(buyerAddress, ETH);
  return { seller, buyer, matchmaker, matchmakerPeerId: ids[2]!, sellerAddress };
}

/** Places an order; returns its id and the tab's clock just before the call. */
function placeOrderTimed(page: Page, side: 'ask' | 'bid', bytes: bigint, price: bigint): Promise<{ id: string; placedAt: number }> {
  return page.evaluate(
    async ([s, q, p, life]) => {
      const hooks = (globalThis as unknown as { __trustmesh: { market: { placeOrder(...a: unknown[]): Promise<string> } } }).__trustmesh.market;
      const placedAt = Date.now();
      return { id: await hooks.placeOrder(s, q, p, life), placedAt };
    },
    [side, String(bytes), String(price), ORDER_LIFETIME_MS] as const,
  );
}

/** Waits until every tab's book holds `bytes` unreserved at the ask price `price` (the seller's fresh ask, no match pending on it); on timeout, says what each book held. */
async function askInEveryBook(t: Traders, price: bigint, bytes: bigint): Promise<void> {
  let books: Snapshot[] = [];
  try {
    await waitFor(
      `the ask at ${price} wei/MiB in every book`,
      async () => {
        books = await Promise.all([t.seller, t.buyer, t.matchmaker].map((p) => market<Snapshot>(p.page, 'snapshot')));
        return books.every((b) => b.book.asks.some((l) => l.price === String(price) && BigInt(l.quantity) >= bytes)) ? true : undefined;
      },
      BOOK_TIMEOUT_MS,
    );
  } catch (err) {
    const held = books.map((b, i) => `${['seller', 'buyer', 'matchmaker'][i]}: ${JSON.stringify({ book: b.book, matchmaker: b.matchmaker })}`);
    throw new Error(`${(err as Error).message}\n${held.join('\n')}`);
  }
}

interface TimedTrade {
  /** Buyer's placeOrder → the trade in the buyer's snapshot. */
  matchMs: number;
  /** Buyer's placeOrder → both sides done. */
  totalMs: number;
  /** The trade in the buyer's snapshot → both sides done. */
  settleMs: number;
  rounds: number;
}

/** One trade of `bytes` at `price`: the seller's ask in every book first, then the buyer's crossing bid, timed to match and to done on both sides. */
async function timedTrade(t: Traders, bytes: bigint, price: bigint): Promise<TimedTrade> {
  await placeOrderTimed(t.seller.page, 'ask', bytes, price);
  await askInEveryBook(t, price, bytes);
  const bid = await placeOrderTimed(t.buyer.page, 'bid', bytes, price);
  const [tradeId, bought] = await waitFor(
    `the trade of bid ${bid.id} done on the buyer's side`,
    async () => {
      const times = Object.entries(await market<Record<string, TradeTimes>>(t.buyer.page, 'tradeTimes')).find(([, v]) => v.bidId === bid.id);
      if (times?.[1].statusAt.failed !== undefined) throw new Error(`the trade of bid ${bid.id} failed`);
      return times?.[1].statusAt.done === undefined ? undefined : times;
    },
    TRADE_TIMEOUT_MS,
  );
  const sold = await waitFor(
    `trade ${tradeId} done on the seller's side`,
    async () => (await market<Record<string, TradeTimes>>(t.seller.page, 'tradeTimes'))[tradeId]?.statusAt.done,
    TRADE_TIMEOUT_MS,
  );
  const view = (await market<Snapshot>(t.buyer.page, 'snapshot')).trades.find((v) => v.tradeId === tradeId)!;
  const doneAt = Math.max(bought.statusAt.done!, sold);
  return { matchMs: bought.seenAt - bid.placedAt, totalMs: doneAt - bid.placedAt, settleMs: doneAt - bought.seenAt, rounds: view.installments.length / 2 };
}

/** One Ether transfer from the buyer's tab to anvil, sent and seen with one confirmation, as a trade's installment is. */
function etherTransferMs(page: Page, to: string, wei: bigint): Promise<number> {
  return page.evaluate(
    async ([address, amount]) => {
      const w = (globalThis as unknown as { __trustmesh: { wallet: { send(to: string, wei: string): Promise<string>; waitConfirmations(h: string, n: number): Promise<number> } } }).__trustmesh.wallet;
      const start = Date.now();
      await w.waitConfirmations(await w.send(address, amount), 1);
      return Date.now() - start;
    },
    [to, String(wei)] as const,
  );
}

/** One ledger pair: proposed, countersigned by the peer, both halves stored. */
function ledgerPairMs(page: Page, peerId: string): Promise<number> {
  return page.evaluate(async (id) => {
    const l = (globalThis as unknown as { __trustmesh: { ledger: { pay(peerId: string, bytes: number): Promise<unknown> } } }).__trustmesh.ledger;
    const start = Date.now();
    await l.pay(id, 1);
    return Date.now() - start;
  }, peerId);
}

const list = (ms: number[]): string => ms.map((v) => v.toFixed(0)).join(', ');

export async function benchMarket(env: BenchEnv): Promise<Figure[]> {
  const anvil = await startAnvil();
  let t: Traders | undefined;
  try {
    t = await traders(env, anvil);
    let price = PRICE;

    const matches: number[] = [];
    for (let i = 0; i < MATCH_RUNS; i++) {
      matches.push((await timedTrade(t, MATCH_TRADE_BYTES, price)).matchMs);
      price -= PRICE_STEP;
    }

    const ether: number[] = [];
    const pairs: number[] = [];
    for (let i = 0; i < BASELINE_RUNS; i++) {
      ether.push(await etherTransferMs(t.buyer.page, t.sellerAddress, PRICE));
      pairs.push(await ledgerPairMs(t.seller.page, t.matchmakerPeerId));
    }

    const full = await timedTrade(t, FULL_TRADE_BYTES, price);
    if (full.rounds !== FULL_ROUNDS) throw new Error(`the whole trade took ${full.rounds} rounds, not ${FULL_ROUNDS}: the installment was not the floor`);
    const etherMs = median(ether);
    const pairMs = median(pairs);
    const roundParts = etherMs + PAIRS_PER_ROUND * pairMs;
    const mib = Number(FULL_TRADE_BYTES) / MiB;
    return [
      { section: 'market', name: `order → match, ${Number(MATCH_TRADE_BYTES) / MiB} MiB trades (median of ${matches.length})`, value: median(matches), unit: 'ms', note: `max ${Math.max(...matches).toFixed(0)} ms; runs: ${list(matches)} ms` },
      { section: 'market', name: 'bare Ether transfer, sent → 1 confirmation (baseline)', value: etherMs, unit: 'ms', note: `runs: ${list(ether)} ms` },
      { section: 'market', name: 'bare ledger pair, proposed → countersigned (baseline)', value: pairMs, unit: 'ms', note: `runs: ${list(pairs)} ms` },
      {
        section: 'market',
        name: `whole trade, ${mib} MiB in ${full.rounds} rounds, order → done on both sides`,
        value: full.totalMs / 1000,
        unit: 's',
        note: `${(full.totalMs / (full.rounds * roundParts)).toFixed(2)} × ${full.rounds} bare rounds; order → match ${full.matchMs.toFixed(0)} ms, settlement ${(full.settleMs / 1000).toFixed(2)} s`,
      },
      {
        section: 'market',
        name: 'settlement per installment round (1 MiB tokens + its Ether)',
        value: full.settleMs / full.rounds,
        unit: 'ms',
        note: `${(full.settleMs / (full.rounds * roundParts)).toFixed(2)} × bare round (1 Ether transfer + ${PAIRS_PER_ROUND} ledger pairs = ${roundParts.toFixed(0)} ms)`,
      },
    ];
  } finally {
    for (const p of [t?.seller, t?.buyer, t?.matchmaker]) await p?.context.close();
    await anvil.stop();
  }
}
