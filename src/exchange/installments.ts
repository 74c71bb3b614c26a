/**
 * The installment schedule of one trade (pure): bandwidth tokens (bytes) against
 * Ether (wei), paid in rounds; in each round the token seller pays one token
 * installment, then the buyer pays the Ether for it. Both sides compute the same
 * schedule from the terms agreed in trade-init (`schedule`), and each checks the
 * terms the other proposes (`validateTerms`, `validateSchedule`).
 *
 * Who pays first: the token seller. (1) Its loss is bounded by its own choice:
 * the installment size is the seller's limit, from its trust in the buyer
 * (`installmentLimit` of the buyer's trusted standing), so a buyer cannot talk
 * the seller into a larger risk. (2) Buyers are usually newcomers (they need
 * bandwidth and have no tokens), so they have no standing for the seller to
 * trust and no history of their own to judge the seller by; the seller, who
 * earned its tokens by uploading, is the side that can judge. (3) Tokens are
 * seen at once (a signed transfer pair) while Ether needs confirmations, so the
 * buyer answers each round without waiting for a chain, and a lost token
 * installment costs upload the seller can redo, not money.
 *
 * The invariant (tested with random terms): at every point of the schedule,
 * what a side has given minus what it has received, valued at the trade's
 * price, is at most the installment it paid last. The seller is exposed by at
 * most one token installment; the buyer, paying second, by less than one wei
 * (its cumulative Ether is rounded up, so the seller is never owed rounding).
 *
 * Indices: payment 2r is round r's token installment, 2r + 1 its Ether
 * installment; the last round covers the remainder.
 */
import { MAX_INSTALLMENTS } from './constants.ts';
import { costOf } from './price.ts';
import { INSTALLMENT_CAP_BYTES, INSTALLMENT_FLOOR_BYTES, STANDING_SHARE } from './settlement-constants.ts';

export type Asset = 'tokens' | 'ether';

/** What trade-init fixes; both sides derive the whole schedule from it. */
export interface TradeTerms {
  /** Bytes of bandwidth tokens the seller pays in all. */
  tokens: bigint;
  /** Wei the buyer pays in all (`tradeWei` of the agreed price). */
  wei: bigint;
  /** Bytes per token installment (the last may be smaller): the seller's limit. */
  installmentBytes: bigint;
}

export interface Payment {
  /** Position in the schedule: 2 × round, + 1 for the Ether payment. */
  index: number;
  round: number;
  asset: Asset;
  /** Bytes for tokens, wei for Ether; never 0 in valid terms. */
  amount: bigint;
}

export type TermsProblem =
  | 'no-tokens'
  | 'no-ether'
  | 'installment-below-floor'
  | 'installment-above-cap'
  | 'above-my-limit'
  | 'too-many-installments'
  | 'dust-payment';

export type ScheduleCheck = { ok: true; schedule: Payment[] } | { ok: false; problem: TermsProblem | 'schedule-mismatch' };

/** Wei for `tokens` bytes at `price` wei per PRICE_UNIT bytes, rounded down: price.ts `costOf`, the quote amount trade-init records. */
export function tradeWei(tokens: bigint, price: bigint): bigint {
  return costOf(tokens, price);
}

/**
 * The installment I, as seller, accept with a counterparty: the floor for an
 * unknown key (standing undefined: trust not computed yet, or none), a share of
 * its trusted standing in bytes above that, never above the cap.
 */
export function installmentLimit(standing: bigint | undefined): bigint {
  if (standing === undefined) return INSTALLMENT_FLOOR_BYTES;
  const share = standing / STANDING_SHARE;
  if (share < INSTALLMENT_FLOOR_BYTES) return INSTALLMENT_FLOOR_BYTES;
  return share > INSTALLMENT_CAP_BYTES ? INSTALLMENT_CAP_BYTES : share;
}

/** The largest trade these installments can settle within MAX_INSTALLMENTS rounds: a seller counters above it. */
export function maxTradeTokens(installmentBytes: bigint): bigint {
  return installmentBytes * BigInt(MAX_INSTALLMENTS);
}

export function roundCount(terms: TradeTerms): number {
  return Number((terms.tokens + terms.installmentBytes - 1n) / terms.installmentBytes);
}

/** The schedule of valid terms (validateTerms first: this trusts them). */
export function schedule(terms: TradeTerms): Payment[] {
  const { tokens, wei, installmentBytes } = terms;
  const rounds = roundCount(terms);
  const payments: Payment[] = [];
  let tokensBefore = 0n;
  let weiBefore = 0n;
  for (let round = 0; round < rounds; round++) {
    const tokensAfter = round === rounds - 1 ? tokens : tokensBefore + installmentBytes;
    // Rounded up: the buyer, paying second, never leaves the seller owed a fraction; the last round lands on `wei` exactly.
    const weiAfter = ceilDiv(tokensAfter * wei, tokens);
    payments.push({ index: 2 * round, round, asset: 'tokens', amount: tokensAfter - tokensBefore });
    payments.push({ index: 2 * round + 1, round, asset: 'ether', amount: weiAfter - weiBefore });
    tokensBefore = tokensAfter;
    weiBefore = weiAfter;
  }
  return payments;
}

/**
 * Checks terms proposed by the other side. `sellerLimit`: when I am the seller,
 * my installmentLimit for this buyer (a buyer cannot raise my risk).
 */
export function validateTerms(terms: TradeTerms, sellerLimit?: bigint): ScheduleCheck {
  const { tokens, wei, installmentBytes } = terms;
  if (tokens <= 0n) return { ok: false, problem: 'no-tokens' };
  if (wei <= 0n) return { ok: false, problem: 'no-ether' };
  if (installmentBytes < INSTALLMENT_FLOOR_BYTES) return { ok: false, problem: 'installment-below-floor' };
  if (installmentBytes > INSTALLMENT_CAP_BYTES) return { ok: false, problem: 'installment-above-cap' };
  if (sellerLimit !== undefined && installmentBytes > sellerLimit) return { ok: false, problem: 'above-my-limit' };
  // Checked before building: a huge trade in small installments would build a huge array.
  if (tokens > maxTradeTokens(installmentBytes)) return { ok: false, problem: 'too-many-installments' };
  const payments = schedule(terms);
  // A zero payment cannot be seen on a chain (an Ether transfer of 0 proves nothing): such terms are refused.
  if (payments.some((p) => p.amount === 0n)) return { ok: false, problem: 'dust-payment' };
  return { ok: true, schedule: payments };
}

/** Checks a whole schedule the other side sent against the one its terms give. */
export function validateSchedule(proposed: readonly Payment[], terms: TradeTerms, sellerLimit?: bigint): ScheduleCheck {
  const check = validateTerms(terms, sellerLimit);
  if (!check.ok) return check;
  const mine = check.schedule;
  const same =
    proposed.length === mine.length &&
    mine.every((p, i) => {
      const q = proposed[i];
      return q !== undefined && q.index === p.index && q.round === p.round && q.asset === p.asset && q.amount === p.amount;
    });
  return same ? check : { ok: false, problem: 'schedule-mismatch' };
}

/** Totals paid by each side once the first `count` payments of a schedule are made. */
export function paidAfter(payments: readonly Payment[], count: number): { tokens: bigint; wei: bigint } {
  let tokens = 0n;
  let wei = 0n;
  for (const p of payments.slice(0, count)) {
    if (p.asset === 'tokens') tokens += p.amount;
    else wei += p.amount;
  }
  return { tokens, wei };
}

/**
 * What `side` has given minus what it has received, in the trade's value scaled
 * by `tokens` (1 byte = wei units, 1 wei = tokens units), so exact without fractions.
 * Divide by `terms.wei` for bytes, by `terms.tokens` for wei.
 */
export function scaledExposure(terms: TradeTerms, side: Asset, paid: { tokens: bigint; wei: bigint }): bigint {
  const sellerAhead = paid.tokens * terms.wei - paid.wei * terms.tokens;
  return side === 'tokens' ? sellerAhead : -sellerAhead;
}

/** The value of one payment on the same scale as scaledExposure. */
export function scaledValue(terms: TradeTerms, p: Pick<Payment, 'asset' | 'amount'>): bigint {
  return p.asset === 'tokens' ? p.amount * terms.wei : p.amount * terms.tokens;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
