/**
 * The market e2e's shared setup: three traders (seller, buyer, matchmaker) in
 * a direct mesh with the market started, the seller holding tokens and the
 * buyer 1 ETH on a real anvil, and the reads the specs check them by.
 */
import type { Page } from '@playwright/test';
import type { Anvil } from './anvil.ts';
import { expect } from './fixtures.ts';
import { directMesh, hooks, ledger } from './ledger.ts';
import type { PeerPage } from './peer-page.ts';

export const market = hooks('market');
export const wallet = hooks('wallet');
export const MIB = 1n << 20n;
export const ETH = 10n ** 18n;
/** 0.001 ETH per MiB: a 4 MiB trade moves 0.004 ETH, in installments of 1 MiB (the floor for an unknown buyer). */
export const PRICE = 10n ** 15n;
export const MINUTE = 60_000;

export interface TradeSnapshot {
  tradeId: string;
  askId: string;
  status: string;
  tokens: string;
  wei: string;
  installments: { index: number; state: string }[];
  failure?: { stalled: string; buyerOwes: string; sellerOwes: string; paidTokens: string; paidWei: string };
}
export interface Snapshot {
  trades: TradeSnapshot[];
  myOrders: { id: string; status: string }[];
  book: { asks: { price: string; quantity: string }[]; bids: { price: string }[] };
  wallet: { tokens: string; ether?: { available: string } };
  matchmaker: { orders: number; matchesInFlight: number; peers: number };
  pending: { checking: number; negotiations: string[] };
}

export const snapshot = (page: Page) => market<Snapshot>(page, 'snapshot');

/** The first trade of `page` once it has (one of) `status`. */
export async function tradeOf(page: Page, status: string | string[]): Promise<TradeSnapshot> {
  const wanted = ([] as string[]).concat(status);
  // Polls where the trade stands, so a failure shows the status and installments it stopped at.
  const where = async () => {
    const s = await snapshot(page);
    const t = s.trades[0];
    if (t !== undefined) return `${t.status}: ${t.installments.map((i) => i.state).join(' ')}`;
    // No trade yet: say how far the orders got (ours, and the book as this tab sees it).
    const m = s.matchmaker;
    const refused = (await market<{ reason: string }[]>(page, 'rejections')).slice(-6).map((r) => r.reason);
    return `no trade; my orders: ${s.myOrders.map((o) => o.status).join(' ') || 'none'}; book: ${s.book.asks.length} asks, ${s.book.bids.length} bids; matching here: ${m.orders} orders, ${m.matchesInFlight} in flight, ${m.peers} market peers; checking ${s.pending.checking} orders; negotiations: ${s.pending.negotiations.join(' ') || 'none'}; refused lately: ${refused.join(', ') || 'nothing'}`;
  };
  // A step may take DEFAULT_STEP_TIMEOUT_MS (2 min) before the trade gives up; a loaded machine runs well inside that.
  await expect.poll(where, { timeout: 90_000 }).toMatch(new RegExp(`^(${wanted.join('|')}):`));
  return (await snapshot(page)).trades[0]!;
}

export interface Traders {
  seller: PeerPage;
  buyer: PeerPage;
  matchmaker: PeerPage;
  keys: { seller: string; buyer: string; matchmaker: string };
  sellerAddress: string;
  buyerAddress: string;
}

/** Three peers in a direct mesh with the market open; the seller holds `sellerTokens`, the buyer 1 ETH. */
export async function traders(openPeer: (o: { query: string }) => Promise<PeerPage>, relay: string, anvil: Anvil, sellerTokens: bigint): Promise<Traders> {
  const query = `relay=${encodeURIComponent(relay)}&eth=${encodeURIComponent(anvil.url)}`;
  const [seller, buyer, matchmaker] = await Promise.all([openPeer({ query }), openPeer({ query }), openPeer({ query })]);
  const ids = await directMesh([seller, buyer, matchmaker]);
  await ledger(matchmaker.page, 'acceptAll');
  await ledger(seller.page, 'pay', ids[2], Number(sellerTokens));
  const [sellerKey, buyerKey, matchmakerKey] = await Promise.all([seller, buyer, matchmaker].map((p) => market<string>(p.page, 'start')));
  const [sellerAddress, buyerAddress] = await Promise.all([wallet<string>(seller.page, 'address'), wallet<string>(buyer.page, 'address')]);
  await anvil.fund(buyerAddress, ETH);
  return { seller, buyer, matchmaker, keys: { seller: sellerKey!, buyer: buyerKey!, matchmaker: matchmakerKey! }, sellerAddress, buyerAddress };
}

export async function etherOf(anvil: Anvil, address: string): Promise<bigint> {
  return BigInt(await anvil.rpc<string>('eth_getBalance', [address, 'latest']));
}
