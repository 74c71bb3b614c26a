/**
 * What the Market page sees of the market (types only, so the page's chunk
 * and the app's first load carry no market code). The MarketService
 * (market-service.ts, loaded on first use through lazy-market.ts) implements it.
 * Amounts are bigint: bytes for tokens, wei for Ether; prices wei per MiB.
 */
import type { DepthLevel } from './order-book.ts';
import type { FailureReason, Role } from './settlement.ts';

export type { DepthLevel };

export type MyOrderStatus = 'open' | 'filled' | 'expired' | 'cancelled';

export interface MyOrder {
  /** "<my key hex>:<order number>". */
  id: string;
  side: 'ask' | 'bid';
  quantity: bigint;
  /** Not yet traded nor being traded. */
  remaining: bigint;
  price: bigint;
  createdAt: number;
  expiresAt: number;
  status: MyOrderStatus;
}

export type InstallmentState = 'settled' | 'in-flight' | 'due' | 'waiting' | 'unpaid';

export interface InstallmentView {
  index: number;
  round: number;
  asset: 'tokens' | 'ether';
  amount: bigint;
  /** 'settled': paid and countersigned; 'in-flight': paid, awaiting the receiver; 'due': the next step; 'waiting': later; 'unpaid': the trade stopped before it. */
  state: InstallmentState;
  /** Who pays it. */
  payer: 'me' | 'them';
}

export interface TradeView {
  tradeId: string;
  role: Role;
  /** The counterparty's key, hex. */
  counterparty: string;
  /** The two orders the trade fills. */
  askId: string;
  bidId: string;
  tokens: bigint;
  wei: bigint;
  price: bigint;
  installmentBytes: bigint;
  status: 'running' | 'done' | 'failed';
  startedAt: number;
  installments: InstallmentView[];
  /** Set once a trade failed: who stopped and who owes what. */
  failure?: {
    reason: FailureReason;
    stalled: Role;
    buyerOwes: bigint;
    sellerOwes: bigint;
    /** Bytes the seller paid and wei the buyer paid before it stopped. */
    paidTokens: bigint;
    paidWei: bigint;
    detail?: string;
  };
  /** A sentence for the page when something needs the user (e.g. no funds). */
  problem?: string;
}

export interface WalletView {
  /** My verified token balance (bytes). */
  tokens: bigint;
  /** Tokens promised to running trades and not yet paid. */
  tokensCommitted: bigint;
  ether?: {
    address: string;
    available: bigint;
    pending: bigint;
  };
  /** Wei promised to running trades and not yet paid. */
  weiCommitted: bigint;
  /** The chain endpoint in use, if any. */
  endpoint?: string;
  /** What is wrong with the Ether side, said for the user (no endpoint, unreachable). */
  etherError?: string;
}

export interface MarketSnapshot {
  pair: string;
  book: { bids: DepthLevel[]; asks: DepthLevel[] };
  myOrders: MyOrder[];
  trades: TradeView[];
  wallet: WalletView;
  matchmaker: { orders: number; matchesInFlight: number; peers: number };
  /** What this tab is in the middle of: order frames being checked, and where its negotiations stand. */
  pending: { checking: number; negotiations: string[] };
}

export interface OrderRequest {
  side: 'ask' | 'bid';
  /** Bytes, at least 1 MiB. */
  quantity: bigint;
  /** Wei per MiB. */
  price: bigint;
  /** How long the order stays in books. */
  lifetimeMs: number;
}

export interface OrderQuote {
  /** Wei the whole quantity costs at the price. */
  wei: bigint;
  /** Installments the trade would take with an unknown counterparty (the floor size). */
  installments: number;
  /** Ether transactions the buyer sends (one per installment) and the gas each costs. */
  etherTransactions: number;
  gasPerTransaction: bigint;
  /** The market takes no fee; the chain's fee is the gas. */
  marketFee: bigint;
}

export interface MarketApi {
  snapshot(): MarketSnapshot;
  /** Called on every change (coalesced by the page). */
  subscribe(listener: () => void): () => void;
  quote(request: Pick<OrderRequest, 'side' | 'quantity' | 'price'>): OrderQuote;
  /** Signs the order on TradeChain and sends it to matchmakers. Throws MarketError with a message for the user. */
  placeOrder(request: OrderRequest): Promise<MyOrder>;
  /** Signs a cancel-order block and sends it on. */
  cancelOrder(id: string): Promise<void>;
  /** Re-reads the wallet balances now. */
  refreshWallet(): Promise<void>;
}

/** What the app holds: the page's API and the means to stop it with the peer. */
export interface MarketHandle extends MarketApi {
  stop(): void;
}

/** A market operation the user asked for could not be done; the message says why and what to do. */
export class MarketError extends Error {
  override name = 'MarketError';
  constructor(
    readonly code: 'no-endpoint' | 'no-funds' | 'bad-order' | 'unknown-order' | 'not-running' | 'chain',
    message: string,
  ) {
    super(message);
  }
}
