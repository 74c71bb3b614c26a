/**
 * Pure: a verified balance as I count it when I judge a peer (the sharing
 * threshold and slot ranking, relay admission).
 *
 * Every debit counts (the peer signed it). A credit counts only as far as the
 * peer's trusted standing from my point of view reaches (reputation.ts), converted
 * to bytes at the rate a typical giver earns standing (giving-rate.ts): bytes
 * it gave me, plus what it gave peers I trust, weighed by that trust. A credit
 * countersigned by keys nobody I trust ever received from is indistinguishable
 * from one a Sybil ring minted, so it counts for nothing; the ring's gain is then
 * bounded by what it really gave (the bound in reputation.ts), whatever it signs.
 *
 * Honest newcomers are judged exactly as on raw balances: with no credits
 * (nothing uploaded yet) the two agree, and a newcomer's debits count the same.
 * Without trust figures (before the first recompute, or if the worker failed)
 * credits count for nothing: a peer is judged as a newcomer, never above.
 */
export interface Tally {
  /** Credits from complete pairs. */
  up: bigint;
  /** Every debit the owner signed. */
  down: bigint;
}

/** Fixed-point scale of the giving rate, so bytes stay exact bigints. */
const RATE_SCALE = 1_000_000;

/**
 * What a key's trusted standing is worth in bytes: standing / rate, `rate` being the standing
 * per byte given of a typical giver (giving-rate.ts). Without one (too little known yet, or a
 * rate of 1 or more), standing counts as bytes. What the Ledger and Network pages show.
 */
export function trustedCredit(standing: bigint, rate?: number): bigint {
  if (standing <= 0n) return 0n;
  return rate === undefined || !(rate > 0) || rate >= 1 ? standing : (standing * BigInt(RATE_SCALE)) / BigInt(Math.max(1, Math.round(rate * RATE_SCALE)));
}

/** Credits count up to trustedCredit(standing, rate), every debit counts. */
export function trustedNet(v: Tally, standing: bigint | undefined, rate?: number): bigint {
  if (standing === undefined || standing <= 0n) return -v.down;
  const credit = trustedCredit(standing, rate);
  return (credit < v.up ? credit : v.up) - v.down;
}
