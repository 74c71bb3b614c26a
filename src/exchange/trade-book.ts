/**
 * My trades (browser glue over pure parts): a seller's trade-init proposed
 * and countersigned, a buyer's countersigned only for terms it agreed to in a
 * negotiation, the settlement of each driven by a TradeRunner, and the
 * ledger's countersigning policies that route the counterparty's transfers,
 * trade-payments and trade-done to the right runner. Every record is in the
 * TradeStore before anything that depends on it leaves the tab.
 */
import { fromHex, toHex } from '../codec/bytes.ts';
import { isAgreement, isProposal, type HalfBlock } from '../ledger/block.ts';
import type { LedgerService } from '../ledger/ledger-service.ts';
import type { IdbBlockStore } from '../ledger/idb-store.ts';
import { TRANSFER, transferType } from '../ledger/transactions/transfer.ts';
import { MBT_ETH, TRADE_ID_BYTES } from './constants.ts';
import { installmentLimit, maxTradeTokens, validateTerms } from './installments.ts';
import type { TradeView } from './market-api.ts';
import { orderIdOf, orderRefOf } from './market-wire.ts';
import type { AgreedTerms } from './negotiation.ts';
import type { MarketSeams } from './seams.ts';
import { DEFAULT_STEP_TIMEOUT_MS } from './settlement-constants.ts';
import { parseTransferReference } from './trade-records.ts';
import { TradeRunner, type TradeDeps, type TradeLedger, type TradeWallet } from './trade-runner.ts';
import type { StoredTrade, TradeStore } from './trade-store.ts';
import { TRADE_PAYMENT, tradePaymentType } from './tradechain/payment-tx.ts';
import { TRADE_DONE, TRADE_INIT, tradeDoneType, tradeInitType, type TradeInitTx } from './tradechain/trade-tx.ts';
import type { BrowserWallet } from './wallet/browser-wallet.ts';

/** Agreed terms awaiting the seller's trade-init: the seller signs at once, so a minute is ample. */
const AGREED_TTL_MS = 60_000;
/** A buyer's trade-init that was never countersigned (its agreement failed) is given up after this. */
const INITIATING_TTL_MS = 5 * 60_000;

/** What the market and its trade book both take from the app. */
export interface MarketCommonDeps {
  me: Uint8Array;
  ledger: LedgerService;
  blocks: Pick<IdbBlockStore, 'get' | 'agreementsFor'>;
  /** The counterparty's trusted standing in bytes (reputation), undefined while unknown. */
  standing(keyHex: string): bigint | undefined;
  openWallet(): Promise<BrowserWallet>;
  now(): number;
  randomBytes(n: number): Uint8Array;
  seams?: MarketSeams | undefined;
}

export interface TradeBookDeps extends MarketCommonDeps {
  store: TradeStore;
  /** Whether an order id is one of mine (a buyer countersigns only for its own bid). */
  isMine(orderId: string): boolean;
  /** A trade-init pair is signed and its settlement began (tell the matchmaker, close a filled order). */
  began(record: StoredTrade): Promise<void>;
  /** The buyer did not countersign my trade-init: the match is declined. */
  declined(matchId: string): void;
  /** There are trades to keep answering after a reload. */
  active(): void;
  changed(what?: { wallet: boolean }): void;
}

export class TradeBook {
  private readonly me: string;
  private readonly runners = new Map<string, TradeRunner>();
  /** Trades not settling: initiating or aborted (for taken quantities). */
  private readonly pendingTrades = new Map<string, StoredTrade>();
  /** Terms I agreed to as a buyer, awaiting the seller's trade-init. */
  private readonly agreed = new Map<string, { terms: AgreedTerms; at: number }>();

  constructor(private readonly deps: TradeBookDeps) {
    this.me = toHex(deps.me);
  }

  /** Resumes stored trades (each settlement asks its current step again) and installs the countersigning policies. */
  async load(): Promise<void> {
    for (const record of await this.deps.store.trades()) {
      if (record.snapshot !== undefined) this.runners.set(record.tradeId, TradeRunner.resume(record, this.tradeDeps()));
      else if (record.phase === 'initiating' && this.deps.now() - record.startedAt < INITIATING_TTL_MS) this.pendingTrades.set(record.tradeId, record);
    }
    const ledger = this.deps.ledger;
    ledger.setAcceptancePolicy(TRANSFER, ({ proposal }) => this.answerTransfer(proposal));
    ledger.setAcceptancePolicy(TRADE_INIT, ({ proposal }) => this.answerTradeInit(proposal));
    ledger.setAcceptancePolicy(TRADE_PAYMENT, ({ proposal }) => this.runnerFor(proposal, tradePaymentType.decode(proposal.transaction).tradeId)?.answerPayment(proposal) ?? 'no such trade of mine is running');
    ledger.setAcceptancePolicy(TRADE_DONE, ({ proposal }) => this.runnerFor(proposal, tradeDoneType.decode(proposal.transaction).tradeId)?.answerDone(proposal) ?? 'no such trade of mine');
  }

  stop(): void {
    for (const r of this.runners.values()) r.stop();
    for (const type of [TRANSFER, TRADE_INIT, TRADE_PAYMENT, TRADE_DONE]) this.deps.ledger.setAcceptancePolicy(type, undefined);
  }

  /** Buyer: terms agreed in a negotiation; the seller's trade-init for them is countersigned. */
  agree(terms: AgreedTerms): void {
    this.agreed.set(agreedKey(terms.askId, terms.bidId, terms.tokens, terms.price), { terms, at: this.deps.now() });
  }

  views(): TradeView[] {
    return [...this.runners.values()].map((r) => r.view()).sort((a, b) => b.startedAt - a.startedAt);
  }

  get running(): number {
    return this.runners.size;
  }

  /** Buyer: the seller withdrew terms I agreed to before starting the trade; my bid is free again. */
  withdrawAgreed(matchId: string): void {
    for (const [key, a] of this.agreed) if (a.terms.matchId === matchId) this.agreed.delete(key);
  }

  tick(now: number): void {
    for (const r of this.runners.values()) r.tick(now);
    for (const [key, a] of this.agreed) if (now - a.at > AGREED_TTL_MS) this.agreed.delete(key);
  }

  /** My countersignature of a trade-init is in my chain: the buyer's settlement starts. */
  onOwnBlock(block: HalfBlock): void {
    if (block.type !== TRADE_INIT || !isAgreement(block)) return;
    const tradeId = toHex(tradeInitType.decode(block.transaction).tradeId);
    const record = this.pendingTrades.get(tradeId);
    if (record === undefined || record.role !== 'buyer' || record.phase !== 'initiating') return;
    void this.beginSettlement(record);
  }


  /** Seller: trade-init, proposed by me and countersigned by the buyer; then the settlement starts. */
  async initiate(terms: AgreedTerms): Promise<void> {
    const wallet = await this.deps.openWallet();
    const limit = installmentLimit(this.deps.standing(terms.buyer));
    let installmentBytes = limit < terms.tokens ? limit : terms.tokens;
    // A trade too big for the installments it may take is settled in larger ones (never above the cap: validateTerms).
    while (terms.tokens > maxTradeTokens(installmentBytes)) installmentBytes *= 2n;
    const tradeId = this.deps.randomBytes(TRADE_ID_BYTES);
    const init: TradeInitTx = {
      tradeId,
      ask: orderRefOf(terms.askId),
      bid: orderRefOf(terms.bidId),
      pair: MBT_ETH,
      quantity: terms.tokens,
      price: terms.price,
      quoteAmount: terms.wei,
      installmentBytes,
      quoteAddress: fromHex(wallet.wallet.address.slice(2).toLowerCase()),
    };
    const record: StoredTrade = { tradeId: toHex(tradeId), role: 'seller', counterparty: terms.buyer, init: tradeInitType.encode(init), askId: terms.askId, bidId: terms.bidId, startedAt: this.deps.now(), matchId: terms.matchId, phase: 'initiating', etherSent: {}, recorded: false };
    this.pendingTrades.set(record.tradeId, record);
    await this.deps.store.putTrade(record);
    try {
      const proposal = await this.deps.ledger.signProposal(this.peerRef(terms.buyer), TRADE_INIT, () => record.init);
      await this.deps.ledger.requestAgreement(this.peerRef(terms.buyer), proposal);
    } catch (err) {
      record.phase = 'aborted';
      record.problem = `The buyer did not countersign the trade: ${(err as Error).message}`;
      this.pendingTrades.set(record.tradeId, record);
      await this.deps.store.putTrade(record);
      this.deps.declined(terms.matchId);
      this.deps.changed();
      return;
    }
    await this.beginSettlement(record);
  }

  /** Buyer: countersigns a trade-init only for terms it agreed to in a negotiation. */
  private async answerTradeInit(proposal: HalfBlock): Promise<true | string> {
    const tx = tradeInitType.decode(proposal.transaction);
    const askId = orderIdOf(tx.ask);
    const bidId = orderIdOf(tx.bid);
    const key = agreedKey(askId, bidId, tx.quantity, tx.price);
    const agreed = this.agreed.get(key);
    if (agreed === undefined || toHex(proposal.publicKey) !== agreed.terms.seller || !this.deps.isMine(bidId)) return 'I agreed to no such trade';
    const check = validateTerms({ tokens: tx.quantity, wei: tx.quoteAmount, installmentBytes: tx.installmentBytes });
    if (!check.ok) return `these trade terms are not acceptable (${check.problem})`;
    this.agreed.delete(key);
    const record: StoredTrade = { tradeId: toHex(tx.tradeId), role: 'buyer', counterparty: agreed.terms.seller, init: proposal.transaction, askId, bidId, startedAt: this.deps.now(), matchId: agreed.terms.matchId, phase: 'initiating', etherSent: {}, recorded: false };
    this.pendingTrades.set(record.tradeId, record);
    await this.deps.store.putTrade(record);
    return true;
  }

  /** Both traders tell the match's matchmaker: it fills the orders in its book only when both did. */
  private async beginSettlement(record: StoredTrade): Promise<void> {
    this.pendingTrades.delete(record.tradeId);
    const runner = await TradeRunner.begin(record, this.tradeDeps());
    this.runners.set(record.tradeId, runner);
    this.deps.active();
    this.deps.changed();
    await this.deps.began(record);
  }

  private answerTransfer(proposal: HalfBlock): true | string {
    const ref = parseTransferReference(transferType.decode(proposal.transaction).reference);
    const runner = ref === undefined ? undefined : this.runners.get(ref.tradeId);
    if (runner === undefined || runner.counterparty !== toHex(proposal.publicKey)) return 'I countersign transfers only for my running trades';
    return runner.answerTransfer(proposal);
  }

  private runnerFor(proposal: HalfBlock, tradeId: Uint8Array): TradeRunner | undefined {
    const runner = this.runners.get(toHex(tradeId));
    return runner !== undefined && runner.counterparty === toHex(proposal.publicKey) ? runner : undefined;
  }

  private tradeDeps(): TradeDeps {
    return {
      ledger: this.tradeLedger(),
      wallet: async () => this.tradeWallet(),
      save: (t) => this.deps.store.putTrade(t),
      now: this.deps.now,
      config: { stepTimeoutMs: DEFAULT_STEP_TIMEOUT_MS, ...this.deps.seams?.settlement },
      ...(this.deps.seams === undefined ? {} : { seams: this.deps.seams }),
      changed: () => this.deps.changed({ wallet: true }),
    };
  }

  private tradeLedger(): TradeLedger {
    const ledger = this.deps.ledger;
    return {
      me: this.me,
      propose: (to, type, tx) => ledger.signProposal(this.peerRef(to), type, tx),
      requestAgreement: async (to, proposal) => {
        const peer = ledger.directPeer(fromHex(to));
        if (peer === undefined) throw new Error('the counterparty is not connected');
        return (await ledger.requestAgreement(peer, proposal)).agreement;
      },
      findOwnProposal: async (type, matches) => (await ledger.ownChain(200)).find((b) => b.type === type && isProposal(b) && matches(b)),
      countersignedTransfer: async (payerHex, seq) => {
        const payer = fromHex(payerHex);
        const block = await this.deps.blocks.get(payer, seq);
        if (block === undefined || block.type !== TRANSFER || !isProposal(block)) return undefined;
        const mine = (await this.deps.blocks.agreementsFor(payer, seq)).some((a) => toHex(a.publicKey) === this.me);
        return mine ? block : undefined;
      },
    };
  }

  private async tradeWallet(): Promise<TradeWallet> {
    const { wallet } = await this.deps.openWallet();
    return {
      address: wallet.address.toLowerCase(),
      sign: (to, wei) => wallet.sign(to, wei),
      broadcast: (raw) => wallet.broadcast(raw as `0x${string}`),
      payment: (hash) => wallet.payment(hash as `0x${string}`),
    };
  }

  private peerRef(keyHex: string): { id: string; publicKey: Uint8Array } {
    const publicKey = fromHex(keyHex);
    return this.deps.ledger.directPeer(publicKey) ?? { id: keyHex, publicKey };
  }

  /** Bytes of my order taken by trades: agreed, initiating, running or done in full; a failed one counts what was paid. */
  takenOf(orderId: string): bigint {
    let taken = 0n;
    for (const r of this.runners.values()) if (r.askId === orderId || r.bidId === orderId) taken += r.takenTokens();
    for (const t of this.pendingTrades.values()) if (t.phase === 'initiating' && (t.askId === orderId || t.bidId === orderId)) taken += tradeInitType.decode(t.init).quantity;
    for (const a of this.agreed.values()) if (a.terms.askId === orderId || a.terms.bidId === orderId) taken += a.terms.tokens;
    return taken;
  }

  committed(): { tokensCommitted: bigint; weiCommitted: bigint } {
    let tokens = 0n;
    let wei = 0n;
    for (const r of this.runners.values()) {
      const c = r.committed();
      tokens += c.tokens;
      wei += c.wei;
    }
    return { tokensCommitted: tokens, weiCommitted: wei };
  }

}

function agreedKey(askId: string, bidId: string, tokens: bigint, price: bigint): string {
  return `${askId}|${bidId}|${tokens}|${price}`;
}
