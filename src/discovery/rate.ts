/**
 * Token buckets per key, bounded in the number of keys (pure; clock
 * injected). A key starts with a full bucket; past `maxKeys`, the key seen
 * longest ago is forgotten, which can only help it (it starts full again),
 * so forgetting never punishes a peer that did nothing wrong.
 */
export interface RateConfig {
  burst: number;
  perMinute: number;
  maxKeys: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class KeyedRate {
  /** Insertion order is recency order: a touched key is moved to the end. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: RateConfig,
    private readonly now: () => number,
  ) {}

  /** Takes `n` tokens from the key's bucket if it holds them all; false (and nothing taken) otherwise. */
  take(key: string, n = 1): boolean {
    const b = this.refilled(key);
    if (b.tokens < n) return false;
    b.tokens -= n;
    return true;
  }

  /** Whether `n` tokens could be taken now, without taking them. */
  has(key: string, n = 1): boolean {
    return this.refilled(key).tokens >= n;
  }

  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string): Bucket {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.config.burst, at: t };
    b.tokens = Math.min(this.config.burst, b.tokens + (Math.max(0, t - b.at) * this.config.perMinute) / 60_000);
    b.at = t;
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > this.config.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return b;
  }
}
