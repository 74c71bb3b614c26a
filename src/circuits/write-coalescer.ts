/**
 * Holds a circuit stream's writes briefly so that they leave in full cells.
 *
 * A BitTorrent wire writes each 16 KiB block and every small message on its
 * own, and every hop pays per cell (a WebCrypto call, a link frame, a data
 * channel message) as much as per byte: sent as written, one or two blocks a
 * cell, a hidden download spent 1.3–1.8 times the CPU per byte it spends in
 * full cells (STREAM_COALESCE_GAP_MS). Writes
 * come in bursts (a seeder answers a cell of requests with blocks read over a
 * few ms), so holding until the writer pauses fills cells without holding
 * any byte long. Pure: the clock and the timer are injected.
 */
import { concatBytes } from '../codec/bytes.ts';

export interface CoalescerTimers {
  now(): number;
  /** Calls `fn` in about `ms`; the returned function cancels it. */
  defer(fn: () => void, ms: number): () => void;
}

export interface CoalescerLimits {
  /** What one full cell carries: held bytes reaching it leave at once, in whole cells. */
  fullBytes: number;
  /** A burst has ended when no write came for this long. */
  gapMs: number;
  /** No byte is held longer than this. */
  maxHoldMs: number;
}

export class WriteCoalescer {
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private firstHeldAt = 0;
  private cancelTimer: (() => void) | undefined;
  /** Sends go out one after another, in write order: the next starts once the one before resolved. */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly limits: CoalescerLimits,
    private readonly send: (data: Uint8Array) => Promise<void>,
    /** A send that failed while nobody awaited it (one a timer started). */
    private readonly onError: (err: Error) => void,
    private readonly timers: CoalescerTimers,
  ) {}

  /**
   * Takes a write, or a batch of them (held as they are: they are copied once,
   * when they leave). Resolves when the writer may write more: once the sends
   * under way have gone, so a slow circuit holds the writer back.
   */
  write(...parts: Uint8Array[]): Promise<void> {
    if (this.heldBytes === 0) this.firstHeldAt = this.timers.now();
    for (const part of parts) {
      this.held.push(part);
      this.heldBytes += part.length;
    }
    this.stopTimer();
    if (this.heldBytes >= this.limits.fullBytes) {
      const all = this.take();
      const whole = all.length - (all.length % this.limits.fullBytes);
      // The rest waits for the next burst, as long as it may.
      if (whole < all.length) this.hold(all.subarray(whole), this.timers.now());
      return this.enqueue(all.subarray(0, whole));
    }
    this.startTimer();
    return this.sending;
  }

  /** Sends whatever is held now (the writer is done). */
  flush(): Promise<void> {
    this.stopTimer();
    return this.heldBytes === 0 ? this.sending : this.enqueue(this.take());
  }

  /** Drops what is held (the stream is gone). */
  dispose(): void {
    this.stopTimer();
    this.take();
  }

  private hold(data: Uint8Array, since: number): void {
    this.held = [data];
    this.heldBytes = data.length;
    this.firstHeldAt = since;
    this.startTimer();
  }

  private take(): Uint8Array {
    const all = this.held.length === 1 ? this.held[0]! : concatBytes(...this.held);
    this.held = [];
    this.heldBytes = 0;
    return all;
  }

  private enqueue(data: Uint8Array): Promise<void> {
    const sent = this.sending.then(() => this.send(data));
    this.sending = sent.catch(() => undefined);
    return sent;
  }

  private startTimer(): void {
    const wait = Math.max(0, Math.min(this.limits.gapMs, this.firstHeldAt + this.limits.maxHoldMs - this.timers.now()));
    this.cancelTimer = this.timers.defer(() => {
      this.cancelTimer = undefined;
      if (this.heldBytes > 0) this.enqueue(this.take()).catch((err: Error) => this.onError(err));
    }, wait);
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }
}
