/**
 * Incremental settlement of one trade from one side's view (pure; clock injected,
 * no timers, state is plain data that survives a reload).
 *
 * The invariant: I countersign a payment of the counterparty only after I have
 * seen it, for exactly its scheduled amount (tokens: the transfer pair is signed
 * and stored; Ether: the transaction has the confirmations the settings ask
 * for), and I make my next payment only after my previous one is countersigned
 * and theirs before it is seen. So at most one round is open, and when the
 * counterparty stops, what I have given beyond what I received is at most the
 * installment I paid last (installments.ts; asserted when a trade fails).
 *
 * Payments go strictly in schedule order (installments.ts: round r's tokens at
 * index 2r, its Ether at 2r + 1). A claim for an index already settled, a second
 * claim for one index, or a payment id used before is ignored; a wrong amount
 * is refused and never countersigned. Each step has STEP_TIMEOUT: a counterparty
 * that neither pays nor countersigns by then fails the trade, with a record of
 * what each side paid and received and who owes what.
 *
 * For the network and wallet layer:
 *   in:  Settlement.start(init, deps) after trade-init; Settlement.resume(snapshot, deps) after a reload
 *        paid(index, paymentId)          my wallet sent the payment of a 'pay' action
 *        payFailed(index, why)           my wallet could not (no funds, no endpoint)
 *        countersigned(index)            the counterparty countersigned my trade-payment
 *        claimed(index, paymentId, amt)  the counterparty's trade-payment proposal
 *        seen(index, paymentId, amt, c)  my wallet/ledger sees that payment to me with c confirmations
 *        tick(now)                       every second or so (deadlines)
 *        snapshot()                      to store after every step
 *   out: 'pay'            make the payment; idempotent per (tradeId, index): after a reload it is asked again
 *        'record-payment' propose my trade-payment half (payment id as proof)
 *        'watch'          watch their payment and report `seen` as confirmations grow
 *        'countersign'    countersign their trade-payment half
 *        'done'           record trade-done (proposed by the seller, who receives the last payment; the buyer countersigns)
 *        'failed'         record the failure (TradeFailure: who stopped, what each paid, who owes what)
 * After a reload, `resume` re-issues the current step's actions and my last
 * countersignature; the layer must make each idempotent (same payment id, same
 * signed half). The snapshot keeps the payment ids accepted (at most one per
 * installment) so an old payment is never counted for a new installment.
 */
import { scaledExposure, scaledValue, validateTerms, type Asset, type Payment, type TradeTerms } from './installments.ts';
import { DEFAULT_ETHER_CONFIRMATIONS, DEFAULT_STEP_TIMEOUT_MS, INSTALLMENT_CAP_BYTES, TOKEN_CONFIRMATIONS } from './settlement-constants.ts';

/** Seller pays tokens, buyer pays Ether. */
export type Role = 'seller' | 'buyer';

export interface SettlementConfig {
  /** Confirmations an Ether payment needs before I countersign it (the settings). */
  confirmations: number;
  /** Time the counterparty has for one step; my wallet too, to send mine. */
  stepTimeoutMs: number;
}

export interface SettlementDeps {
  now(): number;
  config?: Partial<SettlementConfig>;
}

export interface SettlementInit {
  tradeId: string;
  role: Role;
  terms: TradeTerms;
}

export interface Totals {
  /** Bytes the seller paid, wei the buyer paid. */
  tokens: bigint;
  wei: bigint;
}

export type FailureReason = 'counterparty-silent' | 'my-payment-not-sent' | 'my-payment-failed';

/** Who owes what when a trade stops: the record on TradeChain. */
export interface TradeFailure {
  reason: FailureReason;
  /** The payment that was due. */
  atIndex: number;
  /** The side that did not do its step. */
  stalled: Role;
  /** Paid by each side, counting my payment sent but not yet countersigned. */
  paid: Totals;
  /** Wei the buyer owes for tokens paid; bytes the seller owes for Ether paid. */
  buyerOwes: bigint;
  sellerOwes: bigint;
  detail?: string;
}

export type SettlementAction =
  | { type: 'pay'; tradeId: string; index: number; asset: Asset; amount: bigint }
  | { type: 'record-payment'; tradeId: string; index: number; asset: Asset; amount: bigint; paymentId: string }
  | { type: 'watch'; tradeId: string; index: number; asset: Asset; amount: bigint; paymentId: string }
  | { type: 'countersign'; tradeId: string; index: number; asset: Asset; amount: bigint; paymentId: string }
  | { type: 'done'; tradeId: string; paid: Totals }
  | { type: 'failed'; tradeId: string; failure: TradeFailure };

/** 'waiting': accepted, more is needed (confirmations); 'refused': a wrong amount, never countersigned; 'ignored': a replay, a duplicate or out of turn. */
export type StepOutcome = 'progressed' | 'waiting' | 'refused' | 'ignored' | 'done' | 'failed';

export interface Step {
  outcome: StepOutcome;
  actions: SettlementAction[];
}

export type SettlementStatus = 'running' | 'done' | 'failed';

/** The state, as plain JSON-safe data (amounts as decimal strings). */
export interface SettlementSnapshot {
  version: 1;
  tradeId: string;
  role: Role;
  terms: { tokens: string; wei: string; installmentBytes: string };
  status: SettlementStatus;
  next: number;
  deadline: number;
  /** Payment id of my payment at `next`, once sent. */
  sent?: string;
  /** The counterparty's claim for its next payment (at `next` or just after). */
  claim?: { index: number; paymentId: string };
  /** Payment ids of their payments I accepted: one id is never counted twice. */
  accepted: string[];
  failure?: { reason: FailureReason; atIndex: number; stalled: Role; paid: { tokens: string; wei: string }; buyerOwes: string; sellerOwes: string; detail?: string };
}

export class SettlementError extends Error {
  override name = 'SettlementError';
  constructor(
    readonly code: 'bad-terms' | 'bad-snapshot' | 'invariant',
    message: string,
  ) {
    super(message);
  }
}

const ASSET_OF: Record<Role, Asset> = { seller: 'tokens', buyer: 'ether' };

export class Settlement {
  private readonly payments: Payment[];
  private readonly config: SettlementConfig;
  private readonly accepted: Set<string>;
  private status: SettlementStatus;
  private next: number;
  private deadline: number;
  private sent: string | undefined;
  private claim: { index: number; paymentId: string } | undefined;
  private failure: TradeFailure | undefined;

  private constructor(
    private readonly init: SettlementInit,
    private readonly deps: SettlementDeps,
    state: Pick<SettlementSnapshot, 'status' | 'next' | 'deadline' | 'sent' | 'claim' | 'accepted'> & { failure?: TradeFailure },
  ) {
    const check = validateTerms(init.terms);
    if (!check.ok) throw new SettlementError('bad-terms', `These trade terms are invalid (${check.problem}); the trade cannot start.`);
    this.payments = check.schedule;
    this.config = { confirmations: DEFAULT_ETHER_CONFIRMATIONS, stepTimeoutMs: DEFAULT_STEP_TIMEOUT_MS, ...deps.config };
    this.status = state.status;
    this.next = state.next;
    this.deadline = state.deadline;
    this.sent = state.sent;
    this.claim = state.claim;
    this.accepted = new Set(state.accepted);
    this.failure = state.failure;
  }

  /** After trade-init: the seller is asked to pay the first installment, the buyer waits for it. */
  static start(init: SettlementInit, deps: SettlementDeps): { settlement: Settlement; actions: SettlementAction[] } {
    const settlement = new Settlement(init, deps, { status: 'running', next: 0, deadline: 0, accepted: [] });
    return { settlement, actions: settlement.begin() };
  }

  /** After a reload: the state, and the actions that may have been lost with the page (all idempotent). */
  static resume(snapshot: SettlementSnapshot, deps: SettlementDeps): { settlement: Settlement; actions: SettlementAction[] } {
    const [init, state] = parseSnapshot(snapshot);
    const settlement = new Settlement(init, deps, state);
    return { settlement, actions: [...settlement.lastCountersign(), ...settlement.pending()] };
  }

  snapshot(): SettlementSnapshot {
    const f = this.failure;
    return {
      version: 1,
      tradeId: this.init.tradeId,
      role: this.init.role,
      terms: { tokens: String(this.init.terms.tokens), wei: String(this.init.terms.wei), installmentBytes: String(this.init.terms.installmentBytes) },
      status: this.status,
      next: this.next,
      deadline: this.deadline,
      ...(this.sent === undefined ? {} : { sent: this.sent }),
      ...(this.claim === undefined ? {} : { claim: { ...this.claim } }),
      accepted: [...this.accepted],
      ...(f === undefined
        ? {}
        : {
            failure: {
              reason: f.reason,
              atIndex: f.atIndex,
              stalled: f.stalled,
              paid: { tokens: String(f.paid.tokens), wei: String(f.paid.wei) },
              buyerOwes: String(f.buyerOwes),
              sellerOwes: String(f.sellerOwes),
              ...(f.detail === undefined ? {} : { detail: f.detail }),
            },
          }),
    };
  }

  /** For the UI: where the trade is. */
  progress(): { status: SettlementStatus; next: number; of: number; failure?: TradeFailure } {
    return { status: this.status, next: this.next, of: this.payments.length, ...(this.failure === undefined ? {} : { failure: this.failure }) };
  }

  schedule(): readonly Payment[] {
    return this.payments;
  }

  paid(index: number, paymentId: string): Step {
    if (!this.myTurnAt(index) || this.sent !== undefined) return ignored();
    this.sent = paymentId;
    // From now the counterparty has a step's time to see it and countersign.
    this.deadline = this.deps.now() + this.config.stepTimeoutMs;
    return { outcome: 'progressed', actions: [{ type: 'record-payment', tradeId: this.init.tradeId, ...this.due(), paymentId }] };
  }

  payFailed(index: number, why: string): Step {
    if (!this.myTurnAt(index) || this.sent !== undefined) return ignored();
    return this.fail('my-payment-failed', why);
  }

  countersigned(index: number): Step {
    if (!this.myTurnAt(index) || this.sent === undefined) return ignored();
    return this.advance([]);
  }

  claimed(index: number, paymentId: string, amount: bigint): Step {
    if (this.status !== 'running' || this.claim?.index === index || this.accepted.has(paymentId)) return ignored();
    // Their next payment: at `next` when it is theirs, or just after my current one (it may overtake my countersignature).
    const theirNext = this.isMine(this.next) ? this.next + 1 : this.next;
    if (index !== theirNext || index >= this.payments.length || this.claim !== undefined) return ignored();
    if (amount !== this.payments[index]!.amount) return refused();
    this.claim = { index, paymentId };
    return { outcome: 'progressed', actions: index === this.next ? [this.watch()] : [] };
  }

  seen(index: number, paymentId: string, amount: bigint, confirmations: number): Step {
    if (this.status !== 'running' || index !== this.next || this.claim?.index !== index || this.claim.paymentId !== paymentId) return ignored();
    const p = this.payments[index]!;
    // The claim had the right amount; what the chain shows must too.
    if (amount !== p.amount) return refused();
    const needed = p.asset === 'tokens' ? TOKEN_CONFIRMATIONS : Math.max(1, this.config.confirmations);
    if (confirmations < needed) return { outcome: 'waiting', actions: [] };
    this.accepted.add(paymentId);
    this.claim = undefined;
    return this.advance([{ type: 'countersign', tradeId: this.init.tradeId, index, asset: p.asset, amount: p.amount, paymentId }]);
  }

  tick(now: number): Step {
    if (this.status !== 'running' || now < this.deadline) return { outcome: 'waiting', actions: [] };
    if (this.isMine(this.next) && this.sent === undefined) return this.fail('my-payment-not-sent');
    return this.fail('counterparty-silent');
  }

  private begin(): SettlementAction[] {
    this.deadline = this.deps.now() + this.config.stepTimeoutMs;
    return this.pending();
  }

  /** What the current step asks of the wallet or the network (repeated safely after a reload). */
  private pending(): SettlementAction[] {
    if (this.status === 'done') return [{ type: 'done', tradeId: this.init.tradeId, paid: this.totals(this.payments.length) }];
    if (this.status === 'failed') return [{ type: 'failed', tradeId: this.init.tradeId, failure: this.failure! }];
    if (this.isMine(this.next)) {
      if (this.sent === undefined) return [{ type: 'pay', tradeId: this.init.tradeId, ...this.due() }];
      return [{ type: 'record-payment', tradeId: this.init.tradeId, ...this.due(), paymentId: this.sent }];
    }
    return this.claim?.index === this.next ? [this.watch()] : [];
  }

  /** My countersignature of their last payment, again (after the last one too): it may have been lost with the page, and the counterparty waits on it. */
  private lastCountersign(): SettlementAction[] {
    const p = this.payments[this.next - 1];
    const paymentId = [...this.accepted].at(-1);
    if (this.status === 'failed' || p === undefined || this.isMine(p.index) || paymentId === undefined) return [];
    return [{ type: 'countersign', tradeId: this.init.tradeId, index: p.index, asset: p.asset, amount: p.amount, paymentId }];
  }

  private advance(actions: SettlementAction[]): Step {
    this.next++;
    this.sent = undefined;
    if (this.next === this.payments.length) {
      this.status = 'done';
      return { outcome: 'done', actions: [...actions, ...this.pending()] };
    }
    return { outcome: 'progressed', actions: [...actions, ...this.begin()] };
  }

  private fail(reason: FailureReason, detail?: string): Step {
    const atIndex = this.next;
    const mineSent = this.isMine(atIndex) && this.sent !== undefined;
    const paidCount = atIndex + (mineSent ? 1 : 0);
    const paid = this.totals(paidCount);
    const round = this.payments[atIndex]!.round;
    const before = this.totals(2 * round);
    // Only the open round is unbalanced: earlier rounds were paid in full by both.
    const buyerOwes = paid.tokens > before.tokens ? this.payments[2 * round + 1]!.amount - (paid.wei - before.wei) : 0n;
    const sellerOwes = paid.wei > before.wei && paid.tokens === before.tokens ? this.payments[2 * round]!.amount : 0n;
    this.assertLossBound(paid, paidCount);
    const stalled: Role = this.isMine(atIndex) && !mineSent ? this.init.role : other(this.init.role);
    this.failure = { reason, atIndex, stalled, paid, buyerOwes, sellerOwes, ...(detail === undefined ? {} : { detail }) };
    this.status = 'failed';
    return { outcome: 'failed', actions: this.pending() };
  }

  /** My loss is at most the installment I paid last: the promise of incremental settlement, checked, not assumed. */
  private assertLossBound(paid: Totals, paidCount: number): void {
    const terms = this.init.terms;
    const mine = ASSET_OF[this.init.role];
    const myLast = this.payments.slice(0, paidCount).reverse().find((p) => p.asset === mine);
    const bound = myLast === undefined ? 0n : scaledValue(terms, myLast);
    const cap = scaledValue(terms, { asset: 'tokens', amount: INSTALLMENT_CAP_BYTES });
    const exposure = scaledExposure(terms, mine, paid);
    if (exposure > bound || exposure > cap) throw new SettlementError('invariant', `Trade ${this.init.tradeId}: my loss exceeds one installment; this is a bug.`);
  }

  private totals(count: number): Totals {
    const t = { tokens: 0n, wei: 0n };
    for (const p of this.payments.slice(0, count)) {
      if (p.asset === 'tokens') t.tokens += p.amount;
      else t.wei += p.amount;
    }
    return t;
  }

  private due(): { index: number; asset: Asset; amount: bigint } {
    const p = this.payments[this.next]!;
    return { index: p.index, asset: p.asset, amount: p.amount };
  }

  private watch(): SettlementAction {
    return { type: 'watch', tradeId: this.init.tradeId, ...this.due(), paymentId: this.claim!.paymentId };
  }

  private isMine(index: number): boolean {
    return this.payments[index]?.asset === ASSET_OF[this.init.role];
  }

  private myTurnAt(index: number): boolean {
    return this.status === 'running' && index === this.next && this.isMine(index);
  }
}

function other(role: Role): Role {
  return role === 'seller' ? 'buyer' : 'seller';
}

function ignored(): Step {
  return { outcome: 'ignored', actions: [] };
}

function refused(): Step {
  return { outcome: 'refused', actions: [] };
}

/** Reads a stored snapshot back, checking its shape (storage may hold an older or damaged copy). */
function parseSnapshot(s: SettlementSnapshot): [SettlementInit, Pick<SettlementSnapshot, 'status' | 'next' | 'deadline' | 'sent' | 'claim' | 'accepted'> & { failure?: TradeFailure }] {
  const bad = (what: string) => new SettlementError('bad-snapshot', `The stored state of this trade is damaged (${what}); its record on TradeChain is what counts.`);
  if (s?.version !== 1) throw bad('version');
  const int = (v: unknown, what: string): bigint => {
    if (typeof v !== 'string' || !/^\d{1,40}$/.test(v)) throw bad(what);
    return BigInt(v);
  };
  if (s.role !== 'seller' && s.role !== 'buyer') throw bad('role');
  if (s.status !== 'running' && s.status !== 'done' && s.status !== 'failed') throw bad('status');
  if (!Number.isSafeInteger(s.next) || s.next < 0 || !Number.isFinite(s.deadline) || !Array.isArray(s.accepted)) throw bad('position');
  const terms = { tokens: int(s.terms?.tokens, 'tokens'), wei: int(s.terms?.wei, 'wei'), installmentBytes: int(s.terms?.installmentBytes, 'installment') };
  const f = s.failure;
  const reasons: readonly string[] = ['counterparty-silent', 'my-payment-not-sent', 'my-payment-failed'];
  if (f !== undefined && (!reasons.includes(f.reason) || (f.stalled !== 'seller' && f.stalled !== 'buyer') || !Number.isSafeInteger(f.atIndex))) throw bad('failure');
  if (typeof s.tradeId !== 'string' || (s.claim !== undefined && !Number.isSafeInteger(s.claim.index))) throw bad('ids');
  const failure: TradeFailure | undefined =
    f === undefined
      ? undefined
      : { reason: f.reason, atIndex: f.atIndex, stalled: f.stalled, paid: { tokens: int(f.paid?.tokens, 'paid'), wei: int(f.paid?.wei, 'paid') }, buyerOwes: int(f.buyerOwes, 'owed'), sellerOwes: int(f.sellerOwes, 'owed'), ...(f.detail === undefined ? {} : { detail: f.detail }) };
  if ((s.status === 'failed') !== (failure !== undefined)) throw bad('failure');
  const rounds = Number((terms.tokens + terms.installmentBytes - 1n) / (terms.installmentBytes || 1n));
  if (s.next > 2 * rounds || (s.status === 'running' && s.next === 2 * rounds)) throw bad('position');
  return [
    { tradeId: s.tradeId, role: s.role, terms },
    {
      status: s.status,
      next: s.next,
      deadline: s.deadline,
      ...(s.sent === undefined ? {} : { sent: String(s.sent) }),
      ...(s.claim === undefined ? {} : { claim: { index: Number(s.claim.index), paymentId: String(s.claim.paymentId) } }),
      accepted: s.accepted.map(String),
      ...(failure === undefined ? {} : { failure }),
    },
  ];
}
