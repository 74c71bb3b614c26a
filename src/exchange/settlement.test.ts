import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scaledExposure, scaledValue, schedule, tradeWei, validateTerms, type TradeTerms } from './installments.ts';
import { DEFAULT_STEP_TIMEOUT_MS, INSTALLMENT_FLOOR_BYTES } from './settlement-constants.ts';
import { Settlement, SettlementError, type Role, type SettlementAction, type SettlementSnapshot, type Step } from './settlement.ts';

const MiB = 1n << 20n;
const T0 = 1_800_000_000_000;
/** 10 MiB at 1000 wei per MiB in 2 MiB installments: 5 rounds, 10 payments. */
const TERMS: TradeTerms = { tokens: 10n * MiB, wei: tradeWei(10n * MiB, 1000n), installmentBytes: 2n * MiB };

interface Fault {
  /** The side stops doing anything (paying, countersigning) from this payment index on. */
  stopAt?: { role: Role; index: number };
  /** Ether transactions start with this many confirmations. */
  confirmations?: number;
}

/** Two sides, a wallet per side and a chain, wired honestly unless a fault says otherwise. */
function trade(terms: TradeTerms = TERMS, fault: Fault = {}, config: { confirmations?: number } = {}) {
  const clock = { t: T0 };
  const deps = { now: () => clock.t, config };
  const opened = (['seller', 'buyer'] as const).map((role) => Settlement.start({ tradeId: 't1', role, terms }, deps));
  const sides: Record<Role, Settlement> = { seller: opened[0]!.settlement, buyer: opened[1]!.settlement };
  const chain = new Map<string, { amount: bigint; confirmations: number; to: Role }>();
  const walletPaid = new Map<string, string>();
  const watched = new Map<string, { role: Role; index: number }>();
  const log: string[] = [];
  const outcomes: Step['outcome'][] = [];
  const queue: [Role, SettlementAction][] = [];
  const other = (r: Role): Role => (r === 'seller' ? 'buyer' : 'seller');
  const stopped = (r: Role, index: number) => fault.stopAt?.role === r && index >= fault.stopAt.index;
  const push = (r: Role, actions: SettlementAction[]) => actions.forEach((a) => queue.push([r, a]));
  const step = (r: Role, s: Step) => {
    outcomes.push(s.outcome);
    push(r, s.actions);
  };
  /** Performs queued actions, at most `limit` of them (a page that dies mid-trade). */
  const pump = (limit = Infinity) => {
    for (let a = queue.shift(); a !== undefined; a = limit-- > 1 ? queue.shift() : undefined) {
      const [r, action] = a;
      const side = sides[r];
      const peer = sides[other(r)];
      log.push(`${r}:${action.type}${'index' in action ? `:${action.index}` : ''}`);
      if (action.type === 'pay') {
        if (stopped(r, action.index)) continue;
        // The wallet is idempotent per (trade, index): asked again after a reload, it does not pay twice.
        const key = `${r}:${action.index}`;
        let id = walletPaid.get(key);
        if (id === undefined) {
          id = `${action.asset}-${action.index}`;
          walletPaid.set(key, id);
          chain.set(id, { amount: action.amount, confirmations: action.asset === 'ether' ? (fault.confirmations ?? 1) : 1, to: other(r) });
        }
        step(r, side.paid(action.index, id));
      } else if (action.type === 'record-payment') {
        if (stopped(r, action.index)) continue;
        step(other(r), peer.claimed(action.index, action.paymentId, action.amount));
      } else if (action.type === 'watch') {
        if (stopped(r, action.index)) continue;
        watched.set(action.paymentId, { role: r, index: action.index });
        const seen = chain.get(action.paymentId);
        if (seen !== undefined && seen.to === r) step(r, side.seen(action.index, action.paymentId, seen.amount, seen.confirmations));
      } else if (action.type === 'countersign') {
        if (stopped(r, action.index)) continue;
        step(other(r), peer.countersigned(action.index));
      }
    }
  };
  /** A new block: every watched Ether payment gains a confirmation and is reported again. */
  const mine = () => {
    for (const [id, w] of watched) {
      const tx = chain.get(id)!;
      tx.confirmations++;
      step(w.role, sides[w.role].seen(w.index, id, tx.amount, tx.confirmations));
    }
    pump();
  };
  const tick = (ms: number) => {
    clock.t += ms;
    step('seller', sides.seller.tick(clock.t));
    step('buyer', sides.buyer.tick(clock.t));
    pump();
  };
  /** Performs the trade-init actions and what follows (at most `limit` actions). */
  const start = (limit = Infinity) => {
    push('seller', opened[0]!.actions);
    push('buyer', opened[1]!.actions);
    pump(limit);
  };
  /** Reloads a side: JSON round trip of its snapshot, resumed, its re-issued actions performed. */
  const reload = (role: Role) => {
    const stored = JSON.parse(JSON.stringify(sides[role].snapshot())) as SettlementSnapshot;
    const { settlement, actions } = Settlement.resume(stored, deps);
    sides[role] = settlement;
    push(role, actions);
    pump();
  };
  return { clock, sides, chain, log, outcomes, queue, pump, mine, tick, start, reload, step };
}

describe('settlement', () => {
  it('settles a trade in alternating installments, each countersigned after it was seen, and ends done on both sides', () => {
    const t = trade();
    t.start();
    expect(t.sides.seller.progress().status).toBe('done');
    expect(t.sides.buyer.progress().status).toBe('done');
    expect(t.log.filter((l) => l.endsWith(':done'))).toEqual(['seller:done', 'buyer:done']);
    // Round by round: the seller pays, the buyer countersigns that, then pays; the seller countersigns, then pays the next.
    expect(t.log.filter((l) => /pay:|countersign/.test(l)).slice(0, 6)).toEqual(['seller:pay:0', 'buyer:countersign:0', 'buyer:pay:1', 'seller:countersign:1', 'seller:pay:2', 'buyer:countersign:2']);
    expect(t.log.filter((l) => l.includes(':pay:')).length).toBe(10);
  });

  it('waits for the confirmations the settings ask for before countersigning Ether', () => {
    const t = trade(TERMS, { confirmations: 0 }, { confirmations: 3 });
    t.start();
    expect(t.sides.seller.progress().next).toBe(1);
    t.mine();
    t.mine();
    expect(t.log).not.toContain('seller:countersign:1');
    t.mine();
    expect(t.log).toContain('seller:countersign:1');
    expect(t.sides.seller.progress().next).toBe(3);
  });

  it('never countersigns a payment that is claimed but not seen, and fails the trade at the deadline', () => {
    const t = trade(TERMS, { stopAt: { role: 'buyer', index: 1 } });
    t.start();
    // The buyer claims a payment it never made.
    t.step('seller', t.sides.seller.claimed(1, 'ether-fake', schedule(TERMS)[1]!.amount));
    t.pump();
    expect(t.log).toContain('seller:watch:1');
    expect(t.sides.seller.seen(1, 'ether-fake', schedule(TERMS)[1]!.amount, 0).outcome).toBe('waiting');
    expect(t.log).not.toContain('seller:countersign:1');
    t.tick(DEFAULT_STEP_TIMEOUT_MS);
    expect(t.sides.seller.progress()).toMatchObject({ status: 'failed', failure: { reason: 'counterparty-silent', stalled: 'buyer', atIndex: 1 } });
    expect(t.log).not.toContain('seller:countersign:1');
  });

  it('refuses a payment smaller than its installment, claimed or seen, and never countersigns it', () => {
    const t = trade(TERMS, { stopAt: { role: 'buyer', index: 1 } });
    t.start();
    const due = schedule(TERMS)[1]!.amount;
    expect(t.sides.seller.claimed(1, 'short', due - 1n).outcome).toBe('refused');
    expect(t.sides.seller.claimed(1, 'tx-1', due).outcome).toBe('progressed');
    // The claim said the right amount; the chain shows less.
    expect(t.sides.seller.seen(1, 'tx-1', due - 1n, 5).outcome).toBe('refused');
    expect(t.sides.seller.progress().next).toBe(1);
    expect(t.sides.buyer.countersigned(0).outcome).toBe('ignored');
  });

  it('ignores a second payment for one installment, a replayed old index, and an old payment id reused', () => {
    const t = trade(TERMS, { stopAt: { role: 'buyer', index: 3 } });
    t.start();
    const s = t.sides.seller;
    const p = schedule(TERMS);
    expect(s.progress().next).toBe(3);
    // Round 1 is paid by the seller (index 2) and countersigned; the buyer's index 3 is due.
    expect(s.claimed(1, 'ether-1', p[1]!.amount).outcome).toBe('ignored');
    expect(s.claimed(3, 'ether-1', p[3]!.amount).outcome).toBe('ignored');
    expect(s.seen(1, 'ether-1', p[1]!.amount, 9).outcome).toBe('ignored');
    expect(s.claimed(3, 'tx-3', p[3]!.amount).outcome).toBe('progressed');
    expect(s.claimed(3, 'tx-3b', p[3]!.amount).outcome).toBe('ignored');
    expect(s.claimed(5, 'tx-5', p[5]!.amount).outcome).toBe('ignored');
    expect(s.seen(3, 'tx-3b', p[3]!.amount, 9).outcome).toBe('ignored');
    expect(s.countersigned(2).outcome).toBe('ignored');
    expect(s.paid(2, 'again').outcome).toBe('ignored');
    expect(s.progress().next).toBe(3);
  });

  it('fails the trade with the exact amounts owed when the buyer stops after k installments, the seller losing at most one', () => {
    const p = schedule(TERMS);
    for (let k = 0; k < 5; k++) {
      const t = trade(TERMS, { stopAt: { role: 'buyer', index: 2 * k + 1 } });
      t.start();
      t.tick(DEFAULT_STEP_TIMEOUT_MS - 1);
      expect(t.sides.seller.progress().status).toBe('running');
      t.tick(1);
      const tokensPaid = p.slice(0, 2 * k + 1).reduce((a, x) => (x.asset === 'tokens' ? a + x.amount : a), 0n);
      const weiPaid = p.slice(0, 2 * k).reduce((a, x) => (x.asset === 'ether' ? a + x.amount : a), 0n);
      const failure = { atIndex: 2 * k + 1, stalled: 'buyer', paid: { tokens: tokensPaid, wei: weiPaid }, buyerOwes: p[2 * k + 1]!.amount, sellerOwes: 0n };
      expect(t.sides.seller.progress().failure).toEqual({ reason: 'counterparty-silent', ...failure });
      // The buyer's own machine, whose wallet never paid, records the same debts.
      expect(t.sides.buyer.progress().failure).toMatchObject({ ...failure, reason: 'my-payment-not-sent' });
      expect(t.log.filter((l) => l.endsWith(':failed'))).toEqual(['seller:failed', 'buyer:failed']);
      expect(scaledExposure(TERMS, 'tokens', failure.paid) <= scaledValue(TERMS, p[2 * k]!)).toBe(true);
    }
  });

  it('bounds the loss of the side that keeps paying to one installment, whoever stops and wherever (random)', () => {
    const terms = fc
      .record({ installment: fc.bigInt({ min: INSTALLMENT_FLOOR_BYTES, max: 8n * MiB }), tokens: fc.bigInt({ min: 1n, max: 40n * MiB }), price: fc.bigInt({ min: 1n, max: 10n ** 15n }) })
      .map(({ installment, tokens, price }): TradeTerms => ({ tokens, wei: tradeWei(tokens, price), installmentBytes: installment }))
      .filter((x) => validateTerms(x).ok);
    fc.assert(
      fc.property(terms, fc.constantFrom<Role>('seller', 'buyer'), fc.nat(), (terms, who, at) => {
        const payments = schedule(terms);
        const index = at % payments.length;
        const t = trade(terms, { stopAt: { role: who, index } });
        t.start();
        t.tick(DEFAULT_STEP_TIMEOUT_MS);
        const honest = who === 'seller' ? 'buyer' : 'seller';
        const failure = t.sides[honest].progress().failure;
        // Every index needs the stopping side: its own payment, or its countersignature of the other's.
        expect(failure).toBeDefined();
        const paid = failure!.paid;
        const myAsset = honest === 'seller' ? 'tokens' : 'ether';
        // The honest side paid every installment of its own up to the stop, the one at the stop included.
        const lastMine = payments.slice(0, index + 1).filter((p) => p.asset === myAsset).at(-1);
        const bound = lastMine === undefined ? 0n : scaledValue(terms, lastMine);
        expect(scaledExposure(terms, myAsset, paid) <= bound).toBe(true);
        expect(failure!.atIndex).toBe(index);
        expect(failure!.stalled).toBe(who);
        const round = payments[index]!.round;
        expect(failure!.buyerOwes).toBe(who === 'buyer' ? payments[2 * round + 1]!.amount : 0n);
        expect(failure!.sellerOwes).toBe(0n);
      }),
      { numRuns: 60 },
    );
  });

  it('resumes after a reload at any point, with the state as plain JSON, and pays nothing twice', () => {
    const actionsInFullTrade = (() => {
      const full = trade();
      full.start();
      return full.log.length;
    })();
    for (let at = 1; at < actionsInFullTrade; at++) {
      const t = trade();
      t.start(at);
      // The page died: actions in flight are lost, each side resumes from what it stored.
      t.queue.length = 0;
      t.reload('seller');
      t.reload('buyer');
      expect(t.sides.seller.progress().status).toBe('done');
      expect(t.sides.buyer.progress().status).toBe('done');
      // Each installment was paid once: the chain holds one transaction per payment.
      expect(t.chain.size).toBe(10);
    }
  });

  it('keeps a failed trade failed across a reload, and refuses a damaged snapshot', () => {
    const t = trade(TERMS, { stopAt: { role: 'buyer', index: 3 } });
    t.start();
    t.tick(DEFAULT_STEP_TIMEOUT_MS);
    const before = t.sides.seller.progress();
    t.reload('seller');
    expect(t.sides.seller.progress()).toEqual(before);
    const snap = t.sides.seller.snapshot();
    const deps = { now: () => T0 };
    expect(() => Settlement.resume({ ...snap, version: 2 } as unknown as SettlementSnapshot, deps)).toThrow(SettlementError);
    expect(() => Settlement.resume({ ...snap, terms: { ...snap.terms, wei: '-1' } }, deps)).toThrow(SettlementError);
    expect(() => Settlement.resume({ ...snap, status: 'running', failure: undefined, next: 99 } as SettlementSnapshot, deps)).toThrow(SettlementError);
  });

  it('fails the trade when my own wallet cannot pay, naming me as the side that stopped', () => {
    const t = trade(TERMS, { stopAt: { role: 'seller', index: 0 } });
    t.start();
    const s = t.sides.seller.payFailed(0, 'insufficient funds');
    expect(s.outcome).toBe('failed');
    expect(t.sides.seller.progress().failure).toEqual({ reason: 'my-payment-failed', atIndex: 0, stalled: 'seller', paid: { tokens: 0n, wei: 0n }, buyerOwes: 0n, sellerOwes: 0n, detail: 'insufficient funds' });
    expect(() => Settlement.start({ tradeId: 'bad', role: 'seller', terms: { ...TERMS, installmentBytes: 1n } }, { now: () => T0 })).toThrow(SettlementError);
  });
});
