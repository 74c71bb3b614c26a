/**
 * One payout to a neighbour (pure): the TrustChain proposal is signed once
 * and, when its agreement does not come back, asked for again, never signed
 * anew. A signed proposal is a debit in the payer's chain whether or not it
 * is countersigned, so a second proposal for the same tokens would pay twice.
 */

export interface PayoutLedger<P> {
  /** Signs (and durably stores) the proposal. */
  sign(): Promise<P>;
  /** Asks the payee to countersign it; rejects when it did not. */
  request(proposal: P): Promise<void>;
  /** Whether a rejection was the payee's answer (a refusal), not silence: asking again would not change it. */
  isRefusal(err: unknown): boolean;
}

/**
 * Pays with one proposal, asking for its agreement up to `attempts` times,
 * pausing `waitMs` times the attempt number in between. Rejects with the last
 * error; the proposal then stays unanswered (its debit stands).
 */
export async function payWithOneProposal<P>(ledger: PayoutLedger<P>, attempts: number, waitMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
  const proposal = await ledger.sign();
  for (let attempt = 1; ; attempt++) {
    try {
      return await ledger.request(proposal);
    } catch (err) {
      if (ledger.isRefusal(err) || attempt >= attempts) throw err;
      await sleep(waitMs * attempt);
    }
  }
}
