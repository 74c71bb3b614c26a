/**
 * One direction of one circuit at a relay (pure; the relay core gives each
 * cell its send): cells wait here, in order, for the next link, so the reader
 * of the link that brought them goes straight on to the next frame and the
 * link's credit returns when a cell is received, not when it was forwarded.
 * One slow circuit then holds only its own cells, never every circuit on its
 * link, and circuits crossing the same relays in a ring cannot wait on each
 * other's link windows. End-to-end windows (circuit-window.ts) bound what an
 * honest circuit queues here; a queue past its bound means an end ignores its
 * window, and the relay cuts the circuit.
 */
export class CircuitQueue {
  private readonly cells: { bytes: number; send: () => Promise<void>; dropped?: () => void }[] = [];
  private queuedBytes = 0;
  /** When the cell at the head started waiting for the link; undefined when none is. */
  private headSince: number | undefined;
  private dropped = false;

  constructor(
    private readonly bound: number,
    private readonly now: () => number,
  ) {}

  /**
   * Queues a cell of `bytes` behind the others; `send` writes it to the link
   * and resolves when the link took it; `dropped` is called instead if the
   * queue closes before its send began (a payment behind the cells, which
   * must go another way). False (and nothing queued) when it would take the
   * queue past its bound.
   */
  push(bytes: number, send: () => Promise<void>, dropped?: () => void): boolean {
    if (this.dropped) {
      // The circuit is gone: nothing more goes out this way.
      dropped?.();
      return true;
    }
    if (this.queuedBytes + bytes > this.bound) return false;
    this.cells.push({ bytes, send, ...(dropped === undefined ? {} : { dropped }) });
    this.queuedBytes += bytes;
    if (this.cells.length === 1) void this.pump();
    return true;
  }

  private async pump(): Promise<void> {
    while (this.cells.length > 0) {
      const cell = this.cells[0]!;
      this.headSince = this.now();
      try {
        await cell.send();
      } catch {
        // The link is gone: its close handler tears the circuit down.
      }
      if (this.dropped) return;
      this.cells.shift();
      this.queuedBytes -= cell.bytes;
    }
    this.headSince = undefined;
  }

  /** Whether it still sends what is pushed (not closed). */
  get open(): boolean {
    return !this.dropped;
  }

  /** Bytes queued, the one being written included. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** How long the cell at the head has waited for the link (0 when nothing waits). */
  stalledFor(now: number): number {
    return this.headSince === undefined ? 0 : now - this.headSince;
  }

  /** Drops what is queued (a cut circuit): nothing more is sent. Returns the bytes of the cells whose send had not begun. */
  close(): number {
    // The head's send began when it reached the head (pump), so it may still arrive.
    const waiting = this.cells.slice(1);
    const unsent = waiting.reduce((sum, c) => sum + c.bytes, 0);
    this.dropped = true;
    this.cells.length = 0;
    for (const c of waiting) c.dropped?.();
    this.queuedBytes = 0;
    this.headSince = undefined;
    return unsent;
  }
}
