import { describe, expect, it } from 'vitest';
import { MAX_ORDER_LIFETIME_MS, MIN_ORDER_QUANTITY, PRICE_UNIT } from '../exchange/constants.ts';
import type { DepthLevel, TradeView } from '../exchange/market-api.ts';
import {
  AmountInputError,
  BYTES_PER_MIB,
  ORDER_LIFETIMES,
  depthGeometry,
  describeFailure,
  formatFixed,
  formatPrice,
  formatRelative,
  formatWei,
  groupDigits,
  installmentProgress,
  installmentRuns,
  parseDecimal,
  parsePriceEthPerGib,
  parseQuantityMib,
} from './market-format.ts';

const ETH = 10n ** 18n;

describe('constants repeated from the market', () => {
  it('match the market', () => {
    expect(BYTES_PER_MIB).toBe(PRICE_UNIT);
    expect(BYTES_PER_MIB).toBe(MIN_ORDER_QUANTITY);
    expect(Math.max(...ORDER_LIFETIMES.map((l) => l.ms))).toBe(MAX_ORDER_LIFETIME_MS);
  });
});

describe('formatWei', () => {
  it('shows Ether with up to 6 decimals, cut not rounded, without trailing zeros', () => {
    expect(formatWei(0n)).toBe('0 ETH');
    expect(formatWei(ETH)).toBe('1 ETH');
    expect(formatWei(ETH / 2n)).toBe('0.5 ETH');
    expect(formatWei(1_234_567_890_123_456_789n)).toBe('1.234567 ETH');
    expect(formatWei(999_999_999_999_999_999n)).toBe('0.999999 ETH');
    expect(formatWei(1_000_000_000_000n)).toBe('0.000001 ETH');
  });
  it('never shows a non-zero amount as 0', () => {
    expect(formatWei(1n)).toBe('< 0.000001 ETH');
    expect(formatWei(999_999_999_999n)).toBe('< 0.000001 ETH');
  });
  it('is exact far beyond a float (2^128 wei)', () => {
    expect(formatWei(1n << 128n, 18)).toBe('340\u2009282\u2009366\u2009920\u2009938\u2009463\u2009463.374607431768211456 ETH');
  });
  it('groups thousands and signs negatives', () => {
    expect(formatWei(12_345n * ETH)).toBe('12\u2009345 ETH');
    expect(formatWei(-ETH / 4n)).toBe('−0.25 ETH');
    expect(groupDigits(1_048_576n)).toBe('1\u2009048\u2009576');
    expect(groupDigits(100n)).toBe('100');
    expect(formatFixed(5n, 0, 6)).toBe('5');
  });
});

describe('parseDecimal', () => {
  it('parses exactly', () => {
    expect(parseDecimal('1', 18, 'price')).toBe(ETH);
    expect(parseDecimal(' 0.5 ', 18, 'price')).toBe(ETH / 2n);
    expect(parseDecimal('.25', 2, 'x')).toBe(25n);
    expect(parseDecimal('3.', 2, 'x')).toBe(300n);
    expect(parseDecimal('0.000000000000000001', 18, 'x')).toBe(1n);
    expect(parseDecimal('123456789012345678901234567890', 0, 'x')).toBe(123456789012345678901234567890n);
  });
  it('refuses what is not a plain decimal, saying what to type', () => {
    for (const bad of ['', ' ', '.', '-1', '+1', '1e3', '0x10', '1.2.3', 'abc', '1,5', '1 000']) {
      expect(() => parseDecimal(bad, 18, 'price'), bad).toThrow(AmountInputError);
    }
    expect(() => parseDecimal('1,000', 18, 'price')).toThrow(/dot/);
    expect(() => parseDecimal('0.123', 2, 'price')).toThrow(/more than 2 decimals/);
  });
});

describe('parseQuantityMib', () => {
  it('turns MiB into bytes, at least 1 MiB', () => {
    expect(parseQuantityMib('1')).toBe(BYTES_PER_MIB);
    expect(parseQuantityMib('1.5')).toBe(BYTES_PER_MIB + BYTES_PER_MIB / 2n);
    expect(parseQuantityMib('1048576')).toBe(1n << 40n);
    expect(() => parseQuantityMib('0.999999')).toThrow(/at least 1 MiB/);
    expect(() => parseQuantityMib('0')).toThrow(AmountInputError);
  });
});

describe('parsePriceEthPerGib', () => {
  it('converts ETH per GiB into wei per MiB exactly (1 ETH/GiB = 10^18 / 1024)', () => {
    expect(parsePriceEthPerGib('1')).toBe(976_562_500_000_000n);
    expect(parsePriceEthPerGib('1') * 1024n).toBe(ETH);
    expect(parsePriceEthPerGib('0.001')).toBe(976_562_500_000n);
    expect(parsePriceEthPerGib('1024')).toBe(ETH);
    expect(parsePriceEthPerGib('0.000000000000001024')).toBe(1n);
  });
  it('rounds a price finer than a wei per MiB to the nearest one', () => {
    expect(parsePriceEthPerGib('0.000000000000001535')).toBe(1n);
    expect(parsePriceEthPerGib('0.000000000000001536')).toBe(2n);
  });
  it('refuses a price below 1 wei per MiB', () => {
    expect(() => parsePriceEthPerGib('0')).toThrow(/at least 1 wei per MiB/);
    expect(() => parsePriceEthPerGib('0.000000000000000511')).toThrow(AmountInputError);
  });
  it('round-trips through formatPrice', () => {
    for (const text of ['1', '0.001', '0.5', '12.345678', '0.000000000000001024']) {
      expect(formatPrice(parsePriceEthPerGib(text))).toBe(`${text} ETH/GiB`);
    }
  });
});

describe('formatRelative', () => {
  it('says how far ahead or behind', () => {
    const now = 1_000_000_000;
    expect(formatRelative(now + 10 * 60_000 - 100, now)).toBe('in 10 min');
    expect(formatRelative(now + 30_000, now)).toBe('in 30 s');
    expect(formatRelative(now + 5 * 3600_000, now)).toBe('in 5 h');
    expect(formatRelative(now + 7 * 86_400_000, now)).toBe('in 7 d');
    expect(formatRelative(now - 3 * 60_000, now)).toBe('3 min ago');
  });
});

function trade(over: Partial<TradeView> = {}): TradeView {
  return {
    tradeId: 't1',
    role: 'buyer',
    counterparty: '00'.repeat(32),
    askId: 'aa:1',
    bidId: 'bb:1',
    tokens: 4n * BYTES_PER_MIB,
    wei: ETH,
    price: ETH / 4n,
    installmentBytes: BYTES_PER_MIB,
    status: 'running',
    startedAt: 0,
    installments: (['settled', 'settled', 'in-flight', 'due', 'waiting'] as const).map((state, index) => ({ index, round: index >> 1, asset: index % 2 ? 'ether' : 'tokens', amount: 1n, state, payer: index % 2 ? 'me' : 'them' })),
    ...over,
  };
}

describe('installmentProgress', () => {
  it('counts the settled installments', () => {
    expect(installmentProgress(trade())).toEqual({ settled: 2, total: 5 });
    expect(installmentProgress(trade({ installments: [] }))).toEqual({ settled: 0, total: 0 });
  });
});

describe('installmentRuns', () => {
  it('merges consecutive installments of one state', () => {
    expect(installmentRuns(trade().installments)).toEqual([
      { state: 'settled', first: 0, count: 2 },
      { state: 'in-flight', first: 2, count: 1 },
      { state: 'due', first: 3, count: 1 },
      { state: 'waiting', first: 4, count: 1 },
    ]);
    expect(installmentRuns([])).toEqual([]);
  });
});

describe('describeFailure', () => {
  const failure = { reason: 'counterparty-silent' as const, stalled: 'buyer' as const, buyerOwes: ETH / 4n, sellerOwes: 0n, paidTokens: 2n * BYTES_PER_MIB, paidWei: ETH / 4n };
  it('says who stopped and who owes what, from my side', () => {
    const mine = describeFailure(failure, 'seller');
    expect(mine.stopped).toBe('The counterparty (buyer) stopped.');
    expect(mine.reason).toMatch(/did not take its step/);
    expect(mine.owes).toEqual(['The counterparty (buyer) owes 0.25 ETH for tokens already received.']);
    expect(mine.paid).toBe('Paid before it stopped: 2.00 MiB of tokens by the seller, 0.25 ETH by the buyer.');
    const theirs = describeFailure({ ...failure, reason: 'my-payment-not-sent' }, 'buyer');
    expect(theirs.stopped).toBe('You (buyer) stopped.');
    expect(theirs.owes).toEqual(['You (buyer) owe 0.25 ETH for tokens already received.']);
  });
  it('says when nobody owes anything', () => {
    expect(describeFailure({ ...failure, buyerOwes: 0n }, 'buyer').owes).toEqual(['Nobody owes anything: both sides had paid in full when it stopped.']);
    expect(describeFailure({ ...failure, buyerOwes: 0n, sellerOwes: BYTES_PER_MIB }, 'buyer').owes).toEqual(['The counterparty (seller) owes 1.00 MiB of tokens for Ether already received.']);
  });
});

describe('depthGeometry', () => {
  const level = (price: bigint, quantity: bigint, cumulative: bigint): DepthLevel => ({ price, quantity, cumulative, orders: 1 });
  it('is undefined for an empty book', () => {
    expect(depthGeometry({ bids: [], asks: [] }, 100, 50)).toBeUndefined();
  });
  it('steps bids down to the left and asks up to the right', () => {
    // Prices 10..30 with a 10% margin: x = (p - 8) / 24 * 120; depth up to 40 with a 10% margin: y = 44 - c.
    const g = depthGeometry({ bids: [level(14n, 10n, 10n), level(10n, 20n, 30n)], asks: [level(20n, 5n, 5n), level(30n, 35n, 40n)] }, 120, 44)!;
    expect(g.minPrice).toBe(10n);
    expect(g.maxPrice).toBe(30n);
    expect(g.maxCumulative).toBe(40n);
    expect(g.bidLine).toBe('M30.0,44 L30.0,34.0 L10.0,34.0 L10.0,14.0 L0,14.0');
    expect(g.bidArea).toBe(`${g.bidLine} L0,44 Z`);
    expect(g.askLine).toBe('M60.0,44 L60.0,39.0 L110.0,39.0 L110.0,4.0 L120.0,4.0');
    expect(g.askArea).toBe(`${g.askLine} L120.0,44 Z`);
  });
  it('draws one side alone, a single price in the middle', () => {
    const g = depthGeometry({ bids: [], asks: [level(50n, 1n, 1n)] }, 100, 10)!;
    expect(g.bidLine).toBe('');
    expect(g.askLine.startsWith('M50.0,10')).toBe(true);
  });
});
