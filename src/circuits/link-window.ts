/**
 * Flow control of one link, both halves: the sender waits while a window's
 * worth of its bytes is unprocessed on the other side; the receiver returns
 * credit as it processes. Pure: the link glue sends and delivers the frames.
 */
export class LinkWindow {
  private unacked = 0;
  private processed = 0;
  private waiters: { bytes: number; resolve(): void; reject(e: Error): void }[] = [];
  private closedWith: Error | undefined;

  constructor(
    private readonly window: number,
    private readonly creditEvery: number,
  ) {}

  /** Resolves when `bytes` more may be sent (in call order); then they count as unacknowledged. */
  reserve(bytes: number): Promise<void> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    if (this.waiters.length === 0 && this.fits(bytes)) {
      this.unacked += bytes;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiters.push({ bytes, resolve, reject }));
  }

  /** A frame larger than the window still goes, alone, so nothing waits forever. */
  private fits(bytes: number): boolean {
    return this.unacked === 0 || this.unacked + bytes <= this.window;
  }

  /** The other side processed `bytes` of ours. */
  credit(bytes: number): void {
    this.unacked = Math.max(0, this.unacked - bytes);
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.bytes)) {
      const w = this.waiters.shift()!;
      this.unacked += w.bytes;
      w.resolve();
    }
  }

  /** We processed `bytes` of theirs; returns the credit to send back now, if one is due. */
  consumed(bytes: number): number | undefined {
    this.processed += bytes;
    if (this.processed < this.creditEvery) return undefined;
    const c = this.processed;
    this.processed = 0;
    return c;
  }

  get inFlight(): number {
    return this.unacked;
  }

  close(err: Error): void {
    this.closedWith = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
