/**
 * Drives one trade's settlement (settlement.ts) with the ledger and the
 * wallet, from one side. The settlement decides; this does what its actions
 * ask, one action at a time, and stores the snapshot after every step
 * before anything that depends on it leaves the tab.
 *
 * Payments are pulled, not pushed: the payer signs its trade-payment
 * proposal and asks for the countersignature until it gets it; the
 * receiver's ledger policy (`answerPayment`) looks at the payment (the token
 * transfer pair in its store, or the Ether transaction's confirmations) and
 * countersigns only once the settlement says it has been seen. A refusal
 * ("not yet") is asked again after PAYMENT_RETRY_MS until the step's deadline.
 *
 * Dependencies are injected (TradeDeps), so the runner is tested without a
 * browser: the ledger, the wallet, the store and the clock.
 */
import { toHex } from '../codec/bytes.ts';
import type { HalfBlock } from '../ledger/block.ts';
import type { TokenAmounts } from '../ledger/transactions/registry.ts';
import { TRANSFER, transferProposal, transferType } from '../ledger/transactions/transfer.ts';
import type { InstallmentView, TradeView } from './market-api.ts';
import { Settlement, type SettlementAction, type SettlementConfig, type Step } from './settlement.ts';
import { assetOf, failureSentence, paymentIdOf, parseTransferReference, tokenPaymentId, tradeDoneTx, tradePaymentTx, transferReference } from './trade-records.ts';
import type { StoredTrade } from './trade-store.ts';
import { TRADE_PAYMENT, tradePaymentType, type TradePaymentTx } from './tradechain/payment-tx.ts';
import { TRADE_DONE, tradeDoneType, tradeInitType, type TradeDoneTx, type TradeInitTx } from './tradechain/trade-tx.ts';

/** A refused or unanswered request for a countersignature is asked again after this: a confirmation or a reply may be a moment away. */
export const PAYMENT_RETRY_MS = 500;
/** Attempts to have trade-done countersigned: it closes a trade already settled, so a few tries suffice; the proposal alone is the record. */
export const DONE_ATTEMPTS = 20;

export interface TradeLedger {
  /** My public key, hex. */
  me: string;
  /** Signs a proposal to the counterparty and stores it durably (not sent). */
  propose(counterpartyHex: string, type: string, transaction: (ownTotals: TokenAmounts | undefined) => Uint8Array): Promise<HalfBlock>;
  /** Asks the counterparty to countersign; throws when refused or unreachable. */
  requestAgreement(counterpartyHex: string, proposal: HalfBlock): Promise<HalfBlock>;
  /** My latest own proposal of `type` that `matches`, among my recent blocks (idempotence after a reload). */
  findOwnProposal(type: string, matches: (block: HalfBlock) => boolean): Promise<HalfBlock | undefined>;
  /** The payer's transfer proposal at (payer, seq), if it is stored and I countersigned it. */
  countersignedTransfer(payerHex: string, sequenceNumber: number): Promise<HalfBlock | undefined>;
}

export interface TradeWallet {
  /** My Ether address, lower-case 0x hex. */
  address: string;
  /** Signs a payment without sending it (checks the funds). */
  sign(to: string, wei: bigint): Promise<{ hash: string; raw: string }>;
  /** Sends signed bytes, again if need be; resolves with the transaction hash. */
  broadcast(raw: string): Promise<string>;
  payment(hash: string): Promise<{ to: string | undefined; value: bigint; confirmations: number } | undefined>;
}

/** Test builds only: hostile behaviour injected by test code. */
export interface TradeSeams {
  /** True: this side does not make this payment (it stops paying). */
  withholdPayment?(tradeId: string, index: number): boolean;
}

export interface TradeDeps {
  ledger: TradeLedger;
  wallet(): Promise<TradeWallet>;
  save(trade: StoredTrade): Promise<void>;
  now(): number;
  config?: Partial<SettlementConfig>;
  seams?: TradeSeams;
  /** Something the page shows changed. */
  changed(): void;
}

export class TradeRunner {
  private readonly init: TradeInitTx;
  private readonly settlement: Settlement;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  private constructor(
    private readonly record: StoredTrade,
    private readonly deps: TradeDeps,
    built: { settlement: Settlement; actions: SettlementAction[] },
  ) {
    this.init = tradeInitType.decode(record.init);
    this.settlement = built.settlement;
    this.enqueue(built.actions);
  }

  /** A trade whose trade-init pair was just signed. */
  static async begin(record: StoredTrade, deps: TradeDeps): Promise<TradeRunner> {
    const init = tradeInitType.decode(record.init);
    const built = Settlement.start({ tradeId: record.tradeId, role: record.role, terms: { tokens: init.quantity, wei: init.quoteAmount, installmentBytes: init.installmentBytes } }, { now: deps.now, config: deps.config ?? {} });
    record.phase = 'settling';
    record.snapshot = built.settlement.snapshot();
    await deps.save(record);
    return new TradeRunner(record, deps, built);
  }

  /** A trade stored before a reload: its current step is asked again (every action is idempotent). */
  static resume(record: StoredTrade, deps: TradeDeps): TradeRunner {
    const built = Settlement.resume(record.snapshot!, { now: deps.now, config: deps.config ?? {} });
    return new TradeRunner(record, deps, built);
  }

  get tradeId(): string {
    return this.record.tradeId;
  }

  get counterparty(): string {
    return this.record.counterparty;
  }

  get askId(): string {
    return this.record.askId;
  }

  get bidId(): string {
    return this.record.bidId;
  }

  /** Bytes of the orders this trade takes: all of it, unless it failed (then what was paid). */
  takenTokens(): bigint {
    const p = this.settlement.progress();
    return p.status === 'failed' ? (p.failure?.paid.tokens ?? 0n) : this.init.quantity;
  }

  get status(): 'running' | 'done' | 'failed' {
    return this.settlement.progress().status;
  }

  stop(): void {
    this.stopped = true;
  }

  tick(now: number): void {
    if (this.status === 'running') this.step(this.settlement.tick(now));
  }

  // ---- the receiver's answers (ledger acceptance policies) ---------------------

  /** A token transfer paying this trade: accepted when it is the installment due, for its amount. */
  answerTransfer(proposal: HalfBlock): true | string {
    const tx = transferType.decode(proposal.transaction);
    const ref = parseTransferReference(tx.reference);
    const due = this.dueFromThem();
    if (ref === undefined || ref.tradeId !== this.tradeId) return 'this transfer does not pay this trade';
    if (due === undefined || due.asset !== 'tokens' || ref.index !== due.index) return `installment ${ref.index + 1} is not the one due now`;
    return tx.down === due.amount ? true : `installment ${ref.index + 1} is ${due.amount} bytes, not ${tx.down}`;
  }

  /** The counterparty's trade-payment: countersigned only once its payment is seen (settlement.ts decides). */
  async answerPayment(proposal: HalfBlock): Promise<true | string> {
    const tx = tradePaymentType.decode(proposal.transaction);
    if (toHex(tx.tradeId) !== this.tradeId) return 'this payment is for another trade';
    const asset = assetOf(tx);
    const paymentId = paymentIdOf(tx.reference);
    const claim = this.settlement.claimed(tx.index, paymentId, tx.amount);
    if (claim.outcome === 'refused') return this.refusedStep(claim, `installment ${tx.index + 1} is not ${tx.amount}: refused`);
    const seen = await this.look(tx, asset, paymentId);
    if (seen === undefined) return `the payment of installment ${tx.index + 1} is not seen yet; ask again`;
    const step = this.settlement.seen(tx.index, paymentId, seen.amount, seen.confirmations);
    if (step.outcome === 'waiting') return `the payment of installment ${tx.index + 1} has ${seen.confirmations} confirmations, not enough yet; ask again`;
    if (step.outcome === 'refused') return this.refusedStep(step, `the payment seen for installment ${tx.index + 1} is not its amount`);
    if (step.outcome === 'ignored') return `installment ${tx.index + 1} is not the one due now`;
    // Stored before the countersignature leaves: a reload never forgets a payment it acknowledged.
    await this.persist();
    this.step(step);
    return true;
  }

  /** trade-done: countersigned when it says what my own settlement says. */
  answerDone(proposal: HalfBlock): true | string {
    const tx = tradeDoneType.decode(proposal.transaction);
    const progress = this.settlement.progress();
    if (tx.outcome === 'completed') {
      const all = tx.baseTransferred === this.init.quantity && tx.quoteTransferred === this.init.quoteAmount;
      return all && (progress.status === 'done' || progress.next >= progress.of - 1) ? true : 'my settlement of this trade is not complete';
    }
    const f = progress.failure;
    if (f === undefined) return 'my settlement of this trade has not failed (yet); ask again';
    return f.paid.tokens === tx.baseTransferred && f.paid.wei === tx.quoteTransferred ? true : 'my record of what was paid differs';
  }

  // ---- the view -------------------------------------------------------------------

  view(): TradeView {
    const p = this.settlement.progress();
    const mine = this.record.role === 'seller' ? 'tokens' : 'ether';
    const snap = this.settlement.snapshot();
    const installments: InstallmentView[] = this.settlement.schedule().map((pay) => {
      let state: InstallmentView['state'];
      if (pay.index < p.next) state = 'settled';
      else if (p.status === 'failed') state = pay.index === p.next && pay.asset === mine && snap.sent !== undefined ? 'in-flight' : 'unpaid';
      else if (pay.index === p.next) state = snap.sent !== undefined || snap.claim?.index === pay.index ? 'in-flight' : 'due';
      else state = 'waiting';
      return { index: pay.index, round: pay.round, asset: pay.asset, amount: pay.amount, state, payer: pay.asset === mine ? 'me' : 'them' };
    });
    const f = p.failure;
    return {
      tradeId: this.tradeId,
      role: this.record.role,
      counterparty: this.record.counterparty,
      askId: this.record.askId,
      bidId: this.record.bidId,
      tokens: this.init.quantity,
      wei: this.init.quoteAmount,
      price: this.init.price,
      installmentBytes: this.init.installmentBytes,
      status: p.status,
      startedAt: this.record.startedAt,
      installments,
      ...(f === undefined
        ? {}
        : { failure: { reason: f.reason, stalled: f.stalled, buyerOwes: f.buyerOwes, sellerOwes: f.sellerOwes, paidTokens: f.paid.tokens, paidWei: f.paid.wei, detail: f.detail ?? failureSentence(f) } }),
      ...(this.record.problem === undefined ? {} : { problem: this.record.problem }),
    };
  }

  /** What I still owe in running trades: tokens (seller) or wei (buyer). */
  committed(): { tokens: bigint; wei: bigint } {
    const p = this.settlement.progress();
    if (p.status !== 'running') return { tokens: 0n, wei: 0n };
    let tokens = 0n;
    let wei = 0n;
    for (const pay of this.settlement.schedule().slice(p.next)) {
      if (pay.asset === 'tokens' && this.record.role === 'seller') tokens += pay.amount;
      if (pay.asset === 'ether' && this.record.role === 'buyer') wei += pay.amount;
    }
    return { tokens, wei };
  }

  // ---- doing the actions ------------------------------------------------------------

  private step(step: Step): void {
    this.deps.changed();
    if (step.actions.length === 0) {
      void this.persist();
      return;
    }
    this.enqueue(step.actions);
  }

  private refusedStep(step: Step, message: string): string {
    this.step(step);
    return message;
  }

  private enqueue(actions: SettlementAction[]): void {
    this.queue = this.queue
      .then(async () => {
        await this.persist();
        for (const a of actions) if (!this.stopped) await this.act(a);
      })
      .catch((err: unknown) => {
        this.record.problem = (err as Error).message;
        this.deps.changed();
      });
  }

  private async persist(): Promise<void> {
    this.record.snapshot = this.settlement.snapshot();
    const status = this.settlement.progress().status;
    if (status !== 'running' && this.record.phase === 'settling') this.record.phase = 'closed';
    await this.deps.save(this.record);
  }

  private async act(a: SettlementAction): Promise<void> {
    switch (a.type) {
      case 'pay':
        return a.asset === 'tokens' ? this.payTokens(a.index, a.amount) : this.payEther(a.index, a.amount);
      case 'record-payment':
        return this.recordPayment(a.index, a.asset, a.amount, a.paymentId);
      case 'done':
        if (this.record.role === 'seller') await this.recordDone(tradeDoneTx(this.init, { paid: a.paid }));
        return;
      case 'failed':
        // The side that kept its word proposes the record; the other's own view is kept in its store.
        if (a.failure.stalled !== this.record.role) await this.recordDone(tradeDoneTx(this.init, { failure: a.failure }));
        return;
      case 'watch':
      case 'countersign':
        // Pulled: the counterparty asks, answerPayment looks and countersigns.
        return;
    }
  }

  private withheld(index: number): boolean {
    return this.deps.seams?.withholdPayment?.(this.tradeId, index) === true;
  }

  private async payTokens(index: number, amount: bigint): Promise<void> {
    if (this.withheld(index)) return;
    const reference = transferReference(this.init.tradeId, index);
    const same = (b: HalfBlock): boolean => b.type === TRANSFER && equalBytes(transferType.decode(b.transaction).reference, reference);
    // Once signed, a transfer is a debit whether or not it is countersigned: after a reload it is asked for again, never signed twice.
    const proposal = (await this.deps.ledger.findOwnProposal(TRANSFER, same)) ?? (await this.deps.ledger.propose(this.counterparty, TRANSFER, (totals) => transferType.encode(transferProposal(totals, amount, reference))));
    if (!(await this.untilAgreed(proposal))) return;
    this.step(this.settlement.paid(index, tokenPaymentId(this.deps.ledger.me, proposal.sequenceNumber)));
  }

  private async payEther(index: number, amount: bigint): Promise<void> {
    if (this.withheld(index)) return;
    let hash: string;
    try {
      const wallet = await this.deps.wallet();
      let signed = this.record.etherSent[index];
      if (signed === undefined) {
        const fresh = await wallet.sign(`0x${toHex(this.init.quoteAddress)}`, amount);
        signed = { hash: fresh.hash.toLowerCase(), raw: fresh.raw };
        // Stored before it leaves: after a crash the same signed bytes are sent again (one nonce, one payment).
        this.record.etherSent[index] = signed;
        await this.persist();
      }
      hash = (await wallet.broadcast(signed.raw)).toLowerCase();
    } catch (err) {
      this.record.problem = (err as Error).message;
      return this.step(this.settlement.payFailed(index, (err as Error).message));
    }
    delete this.record.problem;
    await this.persist();
    this.step(this.settlement.paid(index, hash));
  }

  private async recordPayment(index: number, asset: 'tokens' | 'ether', amount: bigint, paymentId: string): Promise<void> {
    const same = (b: HalfBlock): boolean => {
      const tx = tradePaymentType.decode(b.transaction);
      return equalBytes(tx.tradeId, this.init.tradeId) && tx.index === index;
    };
    const proposal =
      (await this.deps.ledger.findOwnProposal(TRADE_PAYMENT, same)) ??
      (await this.deps.ledger.propose(this.counterparty, TRADE_PAYMENT, () => tradePaymentType.encode(tradePaymentTx(this.init.tradeId, index, asset, amount, paymentId))));
    if (!(await this.untilAgreed(proposal))) return;
    this.step(this.settlement.countersigned(index));
  }

  private async recordDone(tx: TradeDoneTx): Promise<void> {
    const same = (b: HalfBlock): boolean => equalBytes(tradeDoneType.decode(b.transaction).tradeId, this.init.tradeId);
    const proposal = (await this.deps.ledger.findOwnProposal(TRADE_DONE, same)) ?? (await this.deps.ledger.propose(this.counterparty, TRADE_DONE, () => tradeDoneType.encode(tx)));
    this.record.recorded = true;
    await this.persist();
    this.deps.changed();
    // Countersigned if the counterparty agrees; the proposal alone already states it in my chain.
    for (let i = 0; i < DONE_ATTEMPTS && !this.stopped; i++) {
      try {
        await this.deps.ledger.requestAgreement(this.counterparty, proposal);
        return;
      } catch {
        await delay(PAYMENT_RETRY_MS * 2);
      }
    }
  }

  /** Asks for the countersignature until it comes, the trade stops or the runner does. */
  private async untilAgreed(proposal: HalfBlock): Promise<boolean> {
    while (!this.stopped && this.status === 'running') {
      try {
        await this.deps.ledger.requestAgreement(this.counterparty, proposal);
        if (this.record.problem !== undefined) {
          delete this.record.problem;
          this.deps.changed();
        }
        return true;
      } catch (err) {
        // Shown while it lasts: "not seen yet" is normal for a moment; a lasting one tells the user what is wrong.
        this.record.problem = `Waiting for the counterparty: ${(err as Error).message}`;
        await delay(PAYMENT_RETRY_MS);
      }
    }
    return false;
  }

  /** Their payment as I can see it, or undefined while I cannot. */
  private async look(tx: TradePaymentTx, asset: 'tokens' | 'ether', paymentId: string): Promise<{ amount: bigint; confirmations: number } | undefined> {
    if (asset === 'tokens') {
      if (tx.reference.kind !== 'token-transfer' || toHex(tx.reference.publicKey) !== this.counterparty) return undefined;
      const transfer = await this.deps.ledger.countersignedTransfer(this.counterparty, tx.reference.sequenceNumber);
      if (transfer === undefined) return undefined;
      const t = transferType.decode(transfer.transaction);
      const ref = parseTransferReference(t.reference);
      if (ref?.tradeId !== this.tradeId || ref.index !== tx.index) return undefined;
      return { amount: t.down, confirmations: 1 };
    }
    const wallet = await this.deps.wallet();
    const seen = await wallet.payment(paymentId);
    if (seen === undefined || seen.to !== `0x${toHex(this.init.quoteAddress)}`) return undefined;
    return { amount: seen.value, confirmations: seen.confirmations };
  }

  /** The payment the counterparty owes next, if it is theirs. */
  private dueFromThem(): { index: number; asset: 'tokens' | 'ether'; amount: bigint } | undefined {
    const p = this.settlement.progress();
    if (p.status !== 'running') return undefined;
    const theirs = this.record.role === 'seller' ? 'ether' : 'tokens';
    const next = this.settlement.schedule()[p.next]!;
    if (next.asset === theirs) return next;
    // Theirs after mine only once mine is sent: they may be a moment ahead of my countersignature, never ahead of my payment.
    return this.settlement.snapshot().sent === undefined ? undefined : this.settlement.schedule()[p.next + 1];
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
