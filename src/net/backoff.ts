/** Exponential backoff with jitter, for reconnecting to relays and peers. Pure. */

export interface BackoffPolicy {
  /** First retry delay. */
  initialMs: number;
  /** Ceiling, so a long outage is noticed within this long after it ends. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Fraction of the delay randomised, so many peers do not retry in lockstep. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  /** Transient failures (relay restarting) usually clear within a second or two. */
  initialMs: 1_000,
  /** Half a minute keeps a dead relay from costing battery on phones. */
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
};

/** Delay before retry number `attempt` (0-based). `random` returns a number in [0, 1). */
export function backoffDelay(attempt: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exp = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  const spread = exp * policy.jitter;
  return Math.round(Math.min(policy.maxMs, Math.max(0, exp - spread + 2 * spread * random())));
}
