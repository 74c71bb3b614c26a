/**
 * End-to-end flow control of one circuit end, both halves, as Tor's
 * authenticated SENDMEs (v1, proposal 289). Pure: the ends send, deliver and
 * seal the cells.
 *
 * Package half: an end sends a data cell only while what it sent and the other
 * end has not acknowledged stays within the window. A data cell counts the
 * bytes of its size class (dataCellBytes), the same at both ends whatever the
 * layers around it. Deliver half: the receiving end sends a `sendme` each time
 * it has delivered another SENDME_EVERY_BYTES, carrying the tag of the cell
 * that completed them: the innermost AES-GCM tag, which an end learns only by
 * receiving that cell, so it cannot acknowledge data it has not received to
 * make the other send faster than it consumes. (It could compute the tag of a
 * cell whose plaintext it knew in advance; Tor randomises padding for that. A
 * relay's queue bound, relay-queue.ts, caps what such an early sendme gains.)
 *
 * The invariants: a sendme with no step outstanding, or with another tag than
 * the cell that completed the step, and data past the receiver's window, are
 * protocol violations; the end that sees one closes the circuit.
 */
import { bytesEqual } from '../codec/bytes.ts';
import { cellClass } from './cell-wire.ts';
import { CELL_SIZE_FULL } from './constants.ts';
import { TAG_BYTES } from './layer.ts';

/** What a sendme says of the steps we sent: acknowledged, none outstanding, or not the cell that completed the step. */
export type SendmeVerdict = 'ok' | 'unexpected' | 'forged';

/** A data cell that completes a step: the other end acknowledges it with this cell's tag, known once it is sealed. */
export interface Step {
  tag: Uint8Array | undefined;
}

/** What a data cell of `dataBytes` counts against a window: its size class (its command byte and data, padded). */
export function dataCellBytes(dataBytes: number): number {
  return cellClass(1 + dataBytes);
}

/** A sealed cell's GCM tag (its last bytes): what a sendme for it carries. */
export function tagOf(sealed: Uint8Array): Uint8Array {
  return sealed.slice(sealed.length - TAG_BYTES);
}

export class CircuitWindow {
  /** Package half: bytes we sent, bytes the other end acknowledged, and the steps it has yet to. */
  private sent = 0;
  private acked = 0;
  private readonly steps: Step[] = [];
  private waiters: { bytes: number; resolve(step: Step | undefined): void; reject(e: Error): void }[] = [];
  private waitingBytes = 0;
  private closedWith: Error | undefined;
  /** Deliver half: bytes the other end sent us, bytes we delivered, and what our sendmes acknowledged. */
  private receivedBytes = 0;
  private deliveredBytes = 0;
  private acknowledgedBytes = 0;

  constructor(
    readonly window: number,
    readonly step: number,
  ) {
    // One cell completes at most one step, and a window always has room for a cell beside an unacknowledged step.
    if (step < CELL_SIZE_FULL || window < step + CELL_SIZE_FULL) throw new RangeError(`a window of ${window} bytes with a step of ${step} cannot make progress`);
  }

  /**
   * Resolves, in call order, when a data cell of `bytes` (dataCellBytes) may be
   * sent; it then counts as unacknowledged. Resolves to a Step when this cell
   * completes one: the caller fills its tag as soon as it is sealed.
   */
  reserve(bytes: number): Promise<Step | undefined> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    if (this.waiters.length === 0 && this.fits(bytes)) return Promise.resolve(this.take(bytes));
    this.waitingBytes += bytes;
    return new Promise((resolve, reject) => this.waiters.push({ bytes, resolve, reject }));
  }

  private fits(bytes: number): boolean {
    return this.sent - this.acked + bytes <= this.window;
  }

  private take(bytes: number): Step | undefined {
    const before = this.sent;
    this.sent += bytes;
    if (Math.floor(this.sent / this.step) === Math.floor(before / this.step)) return undefined;
    const step: Step = { tag: undefined };
    this.steps.push(step);
    return step;
  }

  /** A sendme from the other end: the oldest outstanding step, if its tag is that cell's. */
  acknowledge(tag: Uint8Array): SendmeVerdict {
    const step = this.steps[0];
    if (step === undefined) return 'unexpected';
    if (step.tag === undefined || !bytesEqual(step.tag, tag)) return 'forged';
    this.steps.shift();
    this.acked += this.step;
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.bytes)) {
      const w = this.waiters.shift()!;
      this.waitingBytes -= w.bytes;
      w.resolve(this.take(w.bytes));
    }
    return 'ok';
  }

  /** A data cell of `bytes` arrived from the other end; false when it is past our window (the sender ignores it). */
  received(bytes: number): boolean {
    this.receivedBytes += bytes;
    return this.receivedBytes - this.acknowledgedBytes <= this.window;
  }

  /** We delivered a received data cell (in order) whose tag is `tag`; returns the tag to send a sendme with when one is due. */
  delivered(bytes: number, tag: Uint8Array): Uint8Array | undefined {
    const before = this.deliveredBytes;
    this.deliveredBytes += bytes;
    if (Math.floor(this.deliveredBytes / this.step) === Math.floor(before / this.step)) return undefined;
    this.acknowledgedBytes += this.step;
    return tag;
  }

  /** Bytes we sent that the other end has not acknowledged. */
  get inFlight(): number {
    return this.sent - this.acked;
  }

  /** Bytes of data cells waiting for the window. */
  get waiting(): number {
    return this.waitingBytes;
  }

  /** The circuit is gone: whatever waits for the window fails, and so does what asks later. */
  close(err: Error): void {
    this.closedWith ??= err;
    this.waitingBytes = 0;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
