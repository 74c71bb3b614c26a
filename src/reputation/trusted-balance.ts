/**
 * Pure: a verified balance as I count it when I judge a peer (the sharing
 * threshold and slot ranking, relay admission).
 *
 * Every debit counts (the peer signed it). A credit counts only as far as the
 * peer's trusted standing from my point of view reaches (reputation.ts): bytes
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

export function trustedNet(v: Tally, standing: bigint | undefined): bigint {
  const credit = standing === undefined || standing <= 0n ? 0n : standing < v.up ? standing : v.up;
  return credit - v.down;
}
