/**
 * Pure: what an originator lets a circuit's backward cells cost it. Every hop
 * is paid for every cell it carries, so cells that bring the originator
 * nothing (a hostile middle relay's padding, forgeries, stray answers) are a
 * bill someone else runs up: past BACKWARD_WASTE_ALLOWANCE_BYTES plus a share
 * of the useful bytes, the originator closes the circuit.
 */
import { BACKWARD_WASTE_ALLOWANCE_BYTES, BACKWARD_WASTE_SHARE, RECEIPTS_PER_PAYMENT, RECEIPTS_SLACK } from './constants.ts';

export class BackwardBudget {
  private usefulBytes = 0;
  private wastedBytes = 0;
  /** Receipts from each hop so far, by its index in the path. */
  private readonly receipts = new Map<number, number>();

  /** A cell that brought us something. */
  useful(bytes: number): void {
    this.usefulBytes += bytes;
  }

  /** A cell that brought us nothing: whether the circuit is now past its budget. */
  wasted(bytes: number): boolean {
    this.wastedBytes += bytes;
    return this.wastedBytes > BACKWARD_WASTE_ALLOWANCE_BYTES + this.usefulBytes / BACKWARD_WASTE_SHARE;
  }

  /** Whether one more receipt from hop `index` is explained by the `payments` we started (else it is waste). */
  receiptExpected(index: number, payments: number): boolean {
    const n = (this.receipts.get(index) ?? 0) + 1;
    this.receipts.set(index, n);
    return n <= payments * RECEIPTS_PER_PAYMENT + RECEIPTS_SLACK;
  }
}
