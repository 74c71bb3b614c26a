/**
 * A token bucket for the relay upload cap: `take` resolves once the bytes fit
 * the rate, allowing a burst of one second's worth. Clock and sleep injected.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private bytesPerSecond: number,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.tokens = bytesPerSecond;
    this.last = now();
  }

  /** 0 or less: no cap. */
  setRate(bytesPerSecond: number): void {
    this.bytesPerSecond = bytesPerSecond;
    this.tokens = Math.min(this.tokens, Math.max(bytesPerSecond, 0));
  }

  /** Waits (in call order) until `bytes` may be sent. */
  take(bytes: number): Promise<void> {
    // No cap (the default): relayed cells pass without queueing behind each other here.
    if (this.bytesPerSecond <= 0) return this.queue;
    const turn = this.queue.then(async () => {
      if (this.bytesPerSecond <= 0) return;
      const t = this.now();
      this.tokens = Math.min(this.bytesPerSecond, this.tokens + ((t - this.last) * this.bytesPerSecond) / 1000);
      this.last = t;
      this.tokens -= bytes;
      if (this.tokens < 0) await this.sleep((-this.tokens / this.bytesPerSecond) * 1000);
    });
    this.queue = turn;
    return turn;
  }
}
