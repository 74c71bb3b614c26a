/**
 * A relay's payments (pure; clock, randomness and the ledger's pay injected):
 * what each neighbour owes us over all its circuits, the payouts neighbours
 * announce on circuit links and the proposals that follow, and passing each
 * payment on, hop by hop, toward whom it is for. The relay core (circuit-node.ts)
 * counts bytes through `charge` and cuts what this says is unpaid.
 */
import { toHex } from '../codec/bytes.ts';
import type { DestroyReason, LinkFrame, RelayCommand } from './cell-wire.ts';
import type { CircuitNodeOptions } from './circuit-node-options.ts';
import { FRONTED_TOKENS_PER_BYTE, MAX_IN_FLIGHT_CREDIT_BYTES, MAX_PENDING_PAYOUTS, MAX_RELAY_DEBTORS, PASS_ON_DELAY_MAX_MS, PAYMENT_RETRIES, PAYMENT_RETRY_MS, PAYMENTS_IN_FLIGHT, PAYOUT_ANNOUNCE_WAIT_MS, PAYOUT_IN_FLIGHT_MS, PAYOUT_STEP_MAX_BYTES, RELAY_LIABLE_AFTER_MS, RELAY_UNPAID_WINDOW_BYTES, UNANNOUNCED_PAYOUT_MIN_TOKENS } from './constants.ts';
import { RelayDebts } from './relay-debt.ts';
import { signReceipt } from './receipt-wire.ts';
import { unpaidOn, type Announced, type AnnouncedTarget, type Hop, type PaymentFlow, type Relayed } from './relayed.ts';

const WINDOW = BigInt(RELAY_UNPAID_WINDOW_BYTES);
const STEP = BigInt(PAYOUT_STEP_MAX_BYTES);
const CREDIT = BigInt(MAX_IN_FLIGHT_CREDIT_BYTES);
const UNANNOUNCED_MIN = BigInt(UNANNOUNCED_PAYOUT_MIN_TOKENS);

/** Tokens we passed on for `r` (paid, or on their way) beyond what its previous hop paid us less our share. */
function frontedOn(r: Relayed): bigint {
  const f = r.paidOut + r.forwardFlow.inFlight + BigInt(Math.min(r.bytes, r.covered)) - r.paidIn;
  return f > 0n ? f : 0n;
}

/** What the payments need of the relay core. */
export interface PaymentHost {
  /** Relayed circuits open now. */
  open(): Iterable<Relayed>;
  /** Relayed circuits closed lately, whose final payment may still come. */
  closing(): Iterable<Relayed>;
  /** Cuts a circuit (both ways). */
  cut(r: Relayed, reason: DestroyReason): void;
  sendFrame(hop: Hop, f: LinkFrame): Promise<void>;
  /** Sends our receipt back to the circuit's originator, not counted as carried (see sendReceipt). */
  sendReceipt?(r: Relayed, c: RelayCommand): void;
}

type PaymentOptions = Pick<CircuitNodeOptions, 'now' | 'random' | 'pay' | 'debts' | 'seams' | 'passOnDelayMaxMs' | 'liableAfterMs' | 'onRelayEvent' | 'sign'> & Partial<Pick<CircuitNodeOptions, 'publicKey'>>;

export class RelayPayments {
  /** Payments announced by each neighbour (by key), waiting for their TrustChain proposal. */
  private readonly announced = new Map<string, Announced[]>();
  /** Payout proposals that arrived before their announcement. */
  private readonly announceWaiters = new Set<{ key: string; amount: bigint; wake(): void }>();
  /** What each neighbour owes us over all its circuits (relay-debt.ts). */
  private readonly debts: RelayDebts;
  /** Keys (hex) that announced a payout and let it lapse: their announcements count for nothing until they pay it. */
  private readonly lapsed = new Set<string>();

  constructor(
    private readonly o: PaymentOptions,
    private readonly host: PaymentHost,
  ) {
    this.debts = o.debts ?? RelayDebts.empty(o.now);
  }

  /**
   * Charges `bytes` carried on `r` to its previous hop. A circuit whose
   * previous hop lets its unpaid bytes pass the window is cut. When the
   * previous hop's key owes more than its window over all its circuits, its
   * circuits more than a payment step behind are cut, and it may build no
   * more until it pays; those within a step stay (a relay's honest traffic,
   * while a free rider it carries, now cut, costs it its window until it
   * settles). Returns whether `r` goes on.
   */
  charge(r: Relayed, bytes: number): boolean {
    if (this.o.pay === undefined) return true;
    this.debts.add(r.debtor, BigInt(bytes));
    let cut: Relayed[];
    let overKeyWindow = false;
    // Cheap checks first: the announcements are walked only for a circuit or key already past its limit.
    if (unpaidOn(r) > WINDOW && unpaidOn(r) - this.inFlight(r.debtor, r) > WINDOW) cut = [r];
    else if ((overKeyWindow = this.overWindow(r.debtor))) cut = [...this.host.open()].filter((c) => c.debtor === r.debtor && unpaidOn(c) > STEP && unpaidOn(c) - this.inFlight(c.debtor, c) > STEP);
    else return true;
    for (const c of cut) {
      this.o.onRelayEvent?.({ type: 'unpaid', id: c.id, carried: c.bytes, paidIn: c.paidIn, paidOut: c.paidOut, inFlight: this.inFlight(c.debtor, c), debt: this.debts.of(c.debtor), overKeyWindow, lapsed: this.lapsed.has(c.debtor) });
      this.host.cut(c, 'unpaid');
    }
    // A cut is stored at once, not with the next batch: a reload right after must not forgive it.
    if (cut.length > 0) void this.debts.flush();
    return !cut.includes(r);
  }


  /**
   * Takes back a charge for cells that never left for the originator (queued toward it when the circuit closed):
   * it counts cells as they reach it, so it would never pay for these, and its key would carry them as debt.
   */
  uncharge(r: Relayed, bytes: number): void {
    if (this.o.pay === undefined || bytes <= 0) return;
    // Never below nothing owed: an uncharge is no credit.
    const owed = this.debts.of(r.debtor);
    if (owed <= 0n) return;
    this.debts.add(r.debtor, -(BigInt(bytes) < owed ? BigInt(bytes) : owed));
  }

  /**
   * Whether the key owes more than it may: RELAY_UNPAID_WINDOW_BYTES, plus a
   * payment step for each of its circuits that may still be paying (open, or
   * closed lately, not for debt, and awaiting its final payment); see constants.ts.
   */
  overWindow(debtor: string): boolean {
    const debt = this.debts.of(debtor);
    if (debt <= WINDOW) return false; // the common case, without walking the circuits
    const now = this.o.now();
    const paying = new Set<Relayed>();
    for (const r of this.host.open()) if (r.debtor === debtor) paying.add(r);
    for (const r of this.host.closing()) if (r.debtor === debtor && r.excusedUntil > now) paying.add(r);
    return debt - this.inFlight(debtor) > WINDOW + STEP * BigInt(paying.size);
  }

  /**
   * Tokens `debtor` announced on its links (for circuit `r` only, if given)
   * whose proposals are on their way: counted as paid for PAYOUT_IN_FLIGHT_MS.
   * A key that let one lapse gets none. One that payments announced after it
   * on its circuit cover counts for nothing and never lapses: an honest payer
   * whose payment failed pays its tokens with the next (whose amount holds
   * them); one that announces and pays less lapses. What we passed on ahead of
   * them is ours to lose, so they count up to that plus
   * MAX_IN_FLIGHT_CREDIT_BYTES: a payer's unpaid bytes beyond its window are
   * bounded by that whatever it announces.
   */
  private inFlight(debtor: string, r?: Relayed): bigint {
    if (this.lapsed.has(debtor)) return 0n;
    const now = this.o.now();
    let sum = 0n;
    for (const a of this.announced.get(debtor) ?? []) {
      if (a.forward === undefined || (r !== undefined && a.forward !== r)) continue;
      if (a.coveredBy >= a.amount) continue;
      if (this.overdue(a, now)) {
        if (this.lapsed.size >= MAX_RELAY_DEBTORS) this.lapsed.delete(this.lapsed.values().next().value!);
        this.lapsed.add(debtor);
        return 0n;
      }
      sum += a.amount;
    }
    if (sum === 0n) return 0n;
    const cap = CREDIT + (r !== undefined ? frontedOn(r) : this.frontedBy(debtor));
    return sum < cap ? sum : cap;
  }

  /** An announced payout that travelled longer than it may, and that no later one covers. */
  private overdue(a: Announced, now = this.o.now()): boolean {
    return a.forward !== undefined && a.coveredBy < a.amount && now - a.at > PAYOUT_IN_FLIGHT_MS;
  }

  /** Tokens we passed on ahead over all of `debtor`'s circuits, open or closing. */
  private frontedBy(debtor: string): bigint {
    let sum = 0n;
    for (const c of this.host.open()) if (c.debtor === debtor) sum += frontedOn(c);
    for (const c of this.host.closing()) if (c.debtor === debtor && !c.open) sum += frontedOn(c);
    return sum;
  }

  /** What the neighbour with this key owes us for relaying, over all its circuits (diagnostics, tests). */
  owedBy(key: Uint8Array): bigint {
    return this.debts.of(toHex(key));
  }

  /** Writes what neighbours owe to storage now (before the tab goes). */
  flush(): Promise<void> {
    return this.debts.flush();
  }

  /**
   * The ledger asks whether to countersign a payout of `amount` from the
   * neighbour with this key: yes if that neighbour announced it for a circuit
   * it runs through us. The payment is credited to that circuit. One whose
   * announcement never came is taken against what the key owes us (see
   * acceptUnannounced).
   */
  async acceptPayout(fromKey: Uint8Array, amount: bigint): Promise<boolean> {
    const key = toHex(fromKey);
    // The announcement travels on the circuit link, the proposal on a ledger stream: it may come second.
    if (!this.announced.get(key)?.some((a) => a.amount === amount)) await this.announcement(key, amount);
    const list = this.announced.get(key);
    const i = list?.findIndex((a) => a.amount === amount) ?? -1;
    if (list === undefined || i < 0) return this.acceptUnannounced(key, amount);
    const [entry] = list.splice(i, 1) as [Announced];
    // Its tokens pay for what was announced before it on its circuit too: an honest payer's retry holds a failed payment's.
    if (entry.forward !== undefined) for (const a of list.slice(0, i)) if (a.forward === entry.forward) a.coveredBy += amount;
    entry.credit(amount, entry.bytesAt);
    // A late payment, not a broken promise: once nothing it announced is overdue and unpaid, its announcements count again.
    if (this.lapsed.has(key) && !list.some((a) => this.overdue(a))) this.lapsed.delete(key);
    return true;
  }

  /**
   * A payout with no announcement: its circuit's link went before the frame
   * crossed it, or the payer learnt of the close late and paid after
   * PAYOUT_GRACE_MS (a relay that refused it was never paid for what it
   * carried, and its payer's retries were refused alike). Taken only from a
   * key that owes us, as a payment of that debt (what we relayed for it is
   * closed, so nothing is passed on), and only of at least
   * UNANNOUNCED_PAYOUT_MIN_TOKENS or all it owes: each costs us a countersigned
   * block, so a debtor cannot fill our chain with dust; a key that owes us
   * nothing has no business paying us unannounced.
   */
  private acceptUnannounced(key: string, amount: bigint): boolean {
    const owed = this.debts.of(key);
    const least = owed < UNANNOUNCED_MIN ? owed : UNANNOUNCED_MIN;
    if (owed <= 0n || amount < least) {
      this.o.onRelayEvent?.({ type: 'payout-refused', from: key, amount, owed });
      return false;
    }
    // Written with the next batch, as an announced payment's credit is.
    this.debts.add(key, -amount);
    return true;
  }

  /**
   * A neighbour (key, hex) announced a payout of `amount` for `target`, which
   * brings what it paid there to `total`: count it as in flight, wake its
   * proposal, and pass our next hop's part of it on at once (see passOn).
   */
  announce(key: string, target: AnnouncedTarget, amount: bigint, total: bigint): void {
    const list = this.announced.get(key) ?? [];
    if (list.length >= MAX_PENDING_PAYOUTS) list.shift();
    const r = target.forward;
    list.push({ ...target, amount: amount, at: this.o.now(), bytesAt: r?.bytes ?? 0, coveredBy: 0n });
    this.announced.set(key, list);
    for (const w of [...this.announceWaiters]) if (w.key === key && w.amount === amount) w.wake();
    if (r !== undefined && total > r.promisedIn) {
      r.promisedIn = total;
      r.promisedAt = r.bytes;
      void this.passOn(r);
    }
  }

  /**
   * Tokens the previous hop announced for `r` beyond what it paid so far: we
   * pass our next hop's part of them on ahead, while the payments travel.
   * Nothing for a key that let an announcement lapse, and at most
   * FRONTED_TOKENS_PER_BYTE for each of our bytes no payment covers yet.
   */
  private ahead(r: Relayed): bigint {
    if (this.lapsed.has(r.debtor) || r.promisedIn <= r.paidIn) return 0n;
    const gap = r.promisedIn - r.paidIn;
    const uncovered = r.bytes > r.covered ? BigInt(r.bytes - r.covered) : 0n;
    const most = uncovered * BigInt(FRONTED_TOKENS_PER_BYTE);
    return gap < most ? gap : most;
  }

  /** How a payment announced for relayed circuit `r` is credited: from its originator's side (`forward`) or passed back. */
  targetOf(r: Relayed, forward: boolean): AnnouncedTarget {
    return {
      ...(forward ? { forward: r } : {}),
      live: () => r.open || [...this.host.closing()].includes(r),
      credit: (amount, bytesAt) => {
        if (forward) {
          r.paidIn += amount;
          if (bytesAt > r.covered) r.covered = bytesAt;
          this.debts.add(r.debtor, -amount);
          void this.sendReceipt(r);
        } else r.backIn += amount;
        this.o.onRelayEvent?.({ type: 'paid', id: r.id, amount, direction: 'in' });
        void (forward ? this.passOn(r) : this.passBack(r));
      },
    };
  }

  /**
   * Signs the originator a receipt of what the previous hop paid us on `r` so far
   * (payment-receipts.ts): one per payment credited, while it can still travel back.
   * We do not count it as carried: it is ours, and it most often crosses the close
   * (payments cluster there), where the originator never sees it, so never pays it.
   */
  private async sendReceipt(r: Relayed): Promise<void> {
    const { sign, publicKey } = this.o;
    if (sign === undefined || publicKey === undefined || this.host.sendReceipt === undefined || !r.open) return;
    const receipt = await signReceipt({ binding: r.binding, hop: publicKey, payer: r.prev.link.remoteKey, received: r.paidIn }, sign);
    if (r.open) this.host.sendReceipt(r, { command: 'receipt', receipt });
  }

  /** `r` closed: pass on what it was paid, and after a while what we owe its next hop (see passOn). */
  closed(r: Relayed): void {
    void this.passOn(r);
    if (r.next !== undefined && this.o.pay !== undefined) {
      setTimeout(() => {
        r.liable = true;
        void this.passOn(r);
      }, this.o.liableAfterMs ?? RELAY_LIABLE_AFTER_MS);
    }
  }

  /** Forgets announcements nothing can be paid for any more; call periodically. */
  sweep(): void {
    for (const [k, list] of this.announced) {
      const live = list.filter((a) => a.live());
      if (live.length === 0) this.announced.delete(k);
      else this.announced.set(k, live);
    }
  }

  /** Resolves when `key` announces a payout of `amount`, or after PAYOUT_ANNOUNCE_WAIT_MS. */
  private announcement(key: string, amount: bigint): Promise<void> {
    return new Promise((resolve) => {
      const waiter = {
        key,
        amount,
        wake: () => {
          clearTimeout(timer);
          this.announceWaiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, PAYOUT_ANNOUNCE_WAIT_MS);
      this.announceWaiters.add(waiter);
    });
  }

  /**
   * Pays the next hop what the previous one paid beyond our own share (one
   * token per byte we carried): the originator pays for its whole path at
   * the first hop and each relay passes the rest on. At a rendezvous point
   * the rest goes to the spliced circuit, back toward the other end. The
   * aggregation is the originator's: it pays in jittered steps.
   *
   * What the previous hop announced counts as paid here (`ahead`): each
   * payment is passed on as soon as it is announced, so the next hop hears of
   * it at the speed of the cells, not one ledger round trip later per hop
   * (which let a 1-hop circuit's far end fall a window behind under load and
   * cut an honest payer). A relay fronts at most FRONTED_TOKENS_PER_BYTE per
   * byte no payment covers yet (see ahead), and is liable for what it carried anyway.
   *
   * Debt is hop by hop: the next hop holds us to what we handed it, whoever
   * built the circuit. So a while after a circuit we extended closed (its
   * final payment had its time), we pay the next hop at least one token per
   * byte we carried on it, from our own tokens if the previous hop paid too
   * little: what a non-paying originator costs stays with its first hop
   * (bounded by that key's window) and never marks an honest relay down the
   * path as a debtor.
   */
  passOn(r: Relayed): Promise<void> {
    const owed = (): bigint => {
      // Our share is what the payments cover of our bytes, not what we carried since: that is paid with the next step.
      const ahead = this.ahead(r);
      const rest = r.paidIn + ahead - r.paidOut - BigInt(Math.min(r.bytes, ahead > 0n ? Math.max(r.covered, r.promisedAt) : r.covered));
      const liable = r.liable && r.next !== undefined ? BigInt(r.bytes) - r.paidOut : 0n;
      return rest > liable ? rest : liable;
    };
    return this.passPayment(r, r.forwardFlow, r.next ?? r.spliced?.prev, owed, () => r.paidOut, (a) => {
      r.paidOut += a;
      // It was the next hop's, not ours: it no longer pays off the previous hop's debt.
      this.debts.add(r.debtor, a);
    });
  }

  /** Passes a payment from the far side on toward the originator, whole. */
  private passBack(r: Relayed): Promise<void> {
    return this.passPayment(r, r.backFlow, r.prev, () => r.backIn - r.backOut, () => r.backOut, (a) => (r.backOut += a));
  }

  /**
   * Pays `hop` what is owed on one of a circuit's payment flows, after a
   * random pause so the payment in and the payment out are not matched by
   * their timing alone. Up to PAYMENTS_IN_FLIGHT payments per flow are under
   * way at once (a payment arriving while one is passed on goes on at once,
   * not after it); then again for what arrived meanwhile. One not
   * countersigned stays owed and goes with the next.
   */
  private async passPayment(r: Relayed, flow: PaymentFlow, hop: Hop | undefined, owed: () => bigint, passed: () => bigint, paidOut: (amount: bigint) => void): Promise<void> {
    const pay = this.o.pay;
    if (pay === undefined || hop === undefined || flow.payments >= PAYMENTS_IN_FLIGHT || owed() - flow.inFlight <= 0n) return;
    flow.payments++;
    let amount = 0n;
    let ok = false;
    try {
      await new Promise((resolve) => setTimeout(resolve, (this.o.random(1)[0]! / 256) * (this.o.passOnDelayMaxMs ?? PASS_ON_DELAY_MAX_MS)));
      const due = owed() - flow.inFlight;
      if (due <= 0n || this.o.seams?.beforePay?.(hop.link.remoteKey, due) === false) return;
      amount = due;
      flow.inFlight += amount;
      await this.host.sendFrame(hop, { type: 'payout', circuitId: hop.circuitId, amount, total: passed() + flow.inFlight });
      await pay(hop.link.remoteKey, amount);
      paidOut(amount);
      this.o.onRelayEvent?.({ type: 'paid', id: r.id, amount, direction: 'out' });
      ok = true;
    } catch {
      // Not countersigned: it stays owed, and is tried again shortly.
    } finally {
      flow.payments--;
      flow.inFlight -= amount;
    }
    if (ok) {
      flow.failures = 0;
      await this.passPayment(r, flow, hop, owed, passed, paidOut);
    } else if (amount > 0n && flow.failures < PAYMENT_RETRIES) {
      setTimeout(() => void this.passPayment(r, flow, hop, owed, passed, paidOut), PAYMENT_RETRY_MS * ++flow.failures);
    }
  }
}
