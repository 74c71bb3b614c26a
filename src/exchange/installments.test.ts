import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_INSTALLMENTS, PRICE_UNIT } from './constants.ts';
import {
  installmentLimit,
  maxTradeTokens,
  paidAfter,
  scaledExposure,
  scaledValue,
  schedule,
  tradeWei,
  validateSchedule,
  validateTerms,
  type TradeTerms,
} from './installments.ts';
import { INSTALLMENT_CAP_BYTES, INSTALLMENT_FLOOR_BYTES, STANDING_SHARE } from './settlement-constants.ts';

const MiB = 1n << 20n;

/** Valid terms: any size of trade, installment and price (dust-free ones are kept). */
const validTerms = fc
  .record({
    installmentBytes: fc.bigInt({ min: INSTALLMENT_FLOOR_BYTES, max: INSTALLMENT_CAP_BYTES }),
    rounds: fc.bigInt({ min: 1n, max: 40n }),
    remainder: fc.bigInt({ min: 0n, max: INSTALLMENT_CAP_BYTES }),
    price: fc.bigInt({ min: 1n, max: 10n ** 18n }),
  })
  .map(({ installmentBytes, rounds, remainder, price }): TradeTerms => {
    const tokens = installmentBytes * (rounds - 1n) + 1n + (remainder % installmentBytes);
    return { tokens, wei: tradeWei(tokens, price), installmentBytes };
  })
  .filter((t) => validateTerms(t).ok);

describe('installment sizing', () => {
  it('gives an unknown peer the floor, a trusted one a share of its standing, never above the cap', () => {
    expect(installmentLimit(undefined)).toBe(INSTALLMENT_FLOOR_BYTES);
    expect(installmentLimit(0n)).toBe(INSTALLMENT_FLOOR_BYTES);
    expect(installmentLimit(INSTALLMENT_FLOOR_BYTES)).toBe(INSTALLMENT_FLOOR_BYTES);
    expect(installmentLimit(100n * MiB)).toBe((100n * MiB) / STANDING_SHARE);
    expect(installmentLimit(1n << 50n)).toBe(INSTALLMENT_CAP_BYTES);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 45n }), fc.bigInt({ min: 0n, max: 1n << 45n }), (a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        // More standing never lowers the limit.
        expect(installmentLimit(lo) <= installmentLimit(hi)).toBe(true);
      }),
    );
  });

  it('splits 100 MiB in 33 MiB installments as 33, 33, 33, 1, the Ether following the tokens', () => {
    const terms = { tokens: 100n * MiB, wei: tradeWei(100n * MiB, 3n), installmentBytes: 33n * MiB };
    const payments = schedule(terms);
    expect(payments.map((p) => [p.index, p.asset, p.amount])).toEqual([
      [0, 'tokens', 33n * MiB],
      [1, 'ether', 99n],
      [2, 'tokens', 33n * MiB],
      [3, 'ether', 99n],
      [4, 'tokens', 33n * MiB],
      [5, 'ether', 99n],
      [6, 'tokens', MiB],
      [7, 'ether', 3n],
    ]);
    expect(tradeWei(100n * MiB, 3n)).toBe(300n);
  });

  it('pays exactly the agreed totals, the seller first in every round', () => {
    fc.assert(
      fc.property(validTerms, (terms) => {
        const payments = schedule(terms);
        expect(paidAfter(payments, payments.length)).toEqual({ tokens: terms.tokens, wei: terms.wei });
        payments.forEach((p, i) => {
          expect(p.index).toBe(i);
          expect(p.asset).toBe(i % 2 === 0 ? 'tokens' : 'ether');
          if (p.asset === 'tokens') expect(p.amount <= terms.installmentBytes).toBe(true);
        });
      }),
    );
  });

  it('bounds exposure: at every point, what a side gave minus what it received is at most the installment it paid last', () => {
    fc.assert(
      fc.property(validTerms, (terms) => {
        const payments = schedule(terms);
        const last = { tokens: 0n, ether: 0n };
        for (let count = 0; count <= payments.length; count++) {
          const paid = paidAfter(payments, count);
          const p = payments[count - 1];
          if (p !== undefined) last[p.asset] = scaledValue(terms, p);
          expect(scaledExposure(terms, 'tokens', paid) <= last.tokens).toBe(true);
          expect(scaledExposure(terms, 'ether', paid) <= last.ether).toBe(true);
          // The seller never beyond its limit, the buyer (paying second) never a whole wei ahead.
          expect(scaledExposure(terms, 'tokens', paid) <= terms.installmentBytes * terms.wei).toBe(true);
          expect(scaledExposure(terms, 'ether', paid) < terms.tokens).toBe(true);
        }
      }),
    );
  });

  it('makes both sides compute the same schedule, and refuses one altered by the proposer', () => {
    fc.assert(
      fc.property(validTerms, fc.nat(), fc.bigInt({ min: 1n, max: 1000n }), (terms, at, delta) => {
        const sent = schedule(terms).map((p) => ({ ...p }));
        expect(validateSchedule(sent, { ...terms }).ok).toBe(true);
        const i = at % sent.length;
        const p = sent[i]!;
        sent[i] = { ...p, amount: p.amount + delta };
        expect(validateSchedule(sent, terms)).toEqual({ ok: false, problem: 'schedule-mismatch' });
        expect(validateSchedule(sent.slice(0, -1), terms).ok).toBe(false);
      }),
    );
  });

  it('refuses terms outside the limits, each with its own reason', () => {
    const ok: TradeTerms = { tokens: 10n * MiB, wei: 10n, installmentBytes: 2n * MiB };
    expect(validateTerms(ok).ok).toBe(true);
    const problem = (t: TradeTerms, limit?: bigint) => {
      const r = validateTerms(t, limit);
      return r.ok ? 'ok' : r.problem;
    };
    expect(problem({ ...ok, tokens: 0n })).toBe('no-tokens');
    expect(problem({ ...ok, wei: 0n })).toBe('no-ether');
    expect(problem({ ...ok, installmentBytes: INSTALLMENT_FLOOR_BYTES - 1n })).toBe('installment-below-floor');
    expect(problem({ ...ok, installmentBytes: INSTALLMENT_CAP_BYTES + 1n })).toBe('installment-above-cap');
    expect(problem(ok, MiB)).toBe('above-my-limit');
    expect(problem({ ...ok, tokens: maxTradeTokens(MiB) + 1n, installmentBytes: MiB })).toBe('too-many-installments');
    expect(problem({ tokens: maxTradeTokens(MiB), wei: BigInt(MAX_INSTALLMENTS), installmentBytes: MiB })).toBe('ok');
    // 4 rounds but 3 wei: one Ether payment would be 0.
    expect(problem({ tokens: 4n * MiB, wei: 3n, installmentBytes: MiB })).toBe('dust-payment');
    expect(tradeWei(PRICE_UNIT, 7n)).toBe(7n);
  });
});
