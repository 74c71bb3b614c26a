/**
 * How an originator pays for its circuit (browser-independent; the payment
 * half of origin-circuit.ts): the first hop is paid for the whole path,
 * deferred and aggregated, in steps of carried bytes, with several payments
 * under way at once and failed ones tried again.
 */
import type { LinkFrame } from './cell-wire.ts';
import { PAYMENTS_IN_FLIGHT, PAYMENT_RETRIES, PAYMENT_RETRY_MS } from './constants.ts';
import type { CircuitNodeOptions, Hop } from './circuit-node.ts';
import type { ReceiptBook } from './payment-receipts.ts';

/** What the payer reads of its circuit, live. */
export interface PaidPath {
  /** The first hop's key, once there is one. */
  firstHopKey(): Uint8Array | undefined;
  hopCount(): number;
  /** Cell bytes through our first link, both ways. */
  carried(): number;
}

export class PathPayer {
  /** Tokens paid to the first hop for the whole path, and for the far side (see payThrough). */
  paid = 0n;
  /** Tokens asked for by the far side of a spliced circuit (a hidden seeder), paid along with the path. */
  private through = 0n;
  private threshold: number;
  private finalDue = false;
  /** A failed payment waits to be tried again, whatever the step. */
  private retryDue = false;
  /** Failed payments in a row. */
  private failures = 0;
  /** Cell bytes through our first link when we last started a payment. */
  carriedAtLastPayment = 0;
  /** Payments we started to the first hop: what explains the receipts hops send back. */
  started = 0;
  /** Payments under way, and the tokens they carry. */
  private payments = 0;
  private inFlight = 0n;

  constructor(
    private readonly o: Pick<CircuitNodeOptions, 'pay' | 'seams' | 'now'>,
    private readonly path: PaidPath,
    private readonly firstHop: Hop,
    private readonly sendFrame: (h: Hop, f: LinkFrame) => Promise<void>,
    private readonly receipts: ReceiptBook,
    private readonly nextThreshold: () => number,
  ) {
    this.threshold = nextThreshold();
  }

  /**
   * Tokens owed for the path so far: every hop is paid for every cell through our first link, at
   * its size there (the slack, 17 bytes a layer and a build's cells, passes on to the far end).
   */
  get due(): bigint {
    return BigInt(this.path.carried()) * BigInt(this.path.hopCount()) + this.through - this.paid;
  }

  /** Adds `amount` for the other end of a spliced circuit to what the path's payments carry. */
  payThrough(amount: bigint): void {
    if (amount <= 0n) return;
    this.through += amount;
    void this.settle(false);
  }

  /**
   * Pays the first hop for the whole path when what is due passes a jittered
   * threshold, and once more at the end (`final`). A step's payment starts
   * when it is due even if the last one is still on its way (up to
   * PAYMENTS_IN_FLIGHT): at full speed a round trip outlasts a step, and
   * queueing them let the payer fall a window behind.
   */
  async settle(final: boolean): Promise<void> {
    this.finalDue ||= final;
    const pay = this.o.pay;
    const key = this.path.firstHopKey();
    if (pay === undefined || this.payments >= PAYMENTS_IN_FLIGHT || key === undefined) return;
    const amount = this.due - this.inFlight;
    const carried = this.path.carried();
    // The step is in bytes carried, whatever the path's length or the far side's rate: one payment per step
    // (and its pass-ons) however many tokens it holds, since each costs block pairs all along the path.
    if (amount <= 0n || (!this.finalDue && !this.retryDue && carried - this.carriedAtLastPayment < this.threshold)) return;
    if (this.o.seams?.beforePay?.(key, amount) === false) return;
    this.payments++;
    this.started++;
    this.inFlight += amount;
    this.retryDue = false;
    // The next step counts from this payment's start, not from its countersignature.
    this.carriedAtLastPayment = carried;
    this.threshold = this.nextThreshold();
    let ok = false;
    try {
      // The total lets each relay pass its share of this payment on ahead, while the payment itself travels.
      await this.sendFrame(this.firstHop, { type: 'payout', circuitId: this.firstHop.circuitId, amount, total: this.paid + this.inFlight });
      await pay(key, amount);
      this.paid += amount;
      this.receipts.paid(this.paid, this.o.now(), this.path.carried());
      ok = true;
    } catch {
      // Not countersigned now: it stays due, and is tried again shortly (at the end of a transfer no step comes again).
    } finally {
      this.payments--;
      this.inFlight -= amount;
    }
    if (!ok) return this.retryLater();
    this.failures = 0;
    // A step that came due while both were under way, or the final settlement asked for meanwhile.
    if (this.due - this.inFlight > 0n) await this.settle(false);
  }

  private retryLater(): void {
    if (this.failures >= PAYMENT_RETRIES) return;
    setTimeout(() => {
      this.retryDue = true;
      void this.settle(false);
    }, PAYMENT_RETRY_MS * ++this.failures);
  }
}
