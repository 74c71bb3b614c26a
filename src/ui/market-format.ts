/**
 * What the Market page shows and parses (pure): Ether amounts, prices, order
 * inputs, relative times, trade failures and the depth chart's geometry.
 * Exact bigint arithmetic for every amount; floats only to place pixels.
 * Nothing here is imported from src/exchange at runtime (the page's chunk
 * carries no market code): the few constants below repeat the market's, and
 * market-format.test.ts holds them equal.
 */
import type { DepthLevel, InstallmentView, TradeView } from '../exchange/market-api.ts';
import { formatTokens } from './format.ts';

/** Wei in one Ether. */
export const WEI_PER_ETH = 10n ** 18n;
/** Decimals of one Ether: a wei is its smallest part. */
export const ETH_DECIMALS = 18;
/** Decimals the page shows of an Ether amount: a millionth of an Ether is far below any fee. */
export const WEI_DISPLAY_DECIMALS = 6;
/** Bytes in a MiB: the market's price unit (PRICE_UNIT) and smallest order (MIN_ORDER_QUANTITY). */
export const BYTES_PER_MIB = 1n << 20n;
/** Prices are typed per GiB, which reads better than the market's wei per MiB. */
export const MIB_PER_GIB = 1024n;
/** Decimals a quantity in MiB may have: a millionth of a MiB is about one byte. */
export const MIB_INPUT_DECIMALS = 6;

/** The lifetimes an order may be given; the longest is the market's maximum (MAX_ORDER_LIFETIME_MS). */
export const ORDER_LIFETIMES: readonly { label: string; ms: number }[] = [
  { label: '10 min', ms: 10 * 60_000 },
  { label: '1 hour', ms: 60 * 60_000 },
  { label: '1 day', ms: 24 * 60 * 60_000 },
  { label: '1 week', ms: 7 * 24 * 60 * 60_000 },
];

/** An amount the user typed cannot be used; the message says why and what to type. */
export class AmountInputError extends Error {
  override name = 'AmountInputError';
}

/** Digits grouped by thousands with a thin space: "1 048 576". */
export function groupDigits(n: bigint): string {
  const sign = n < 0n ? '−' : '';
  const digits = (n < 0n ? -n : n).toString();
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
}

/**
 * `units` (an integer with `decimals` implied decimals) as a decimal, cut
 * (never rounded up: a balance is not overstated) to `shown` decimals and
 * without trailing zeros. A non-zero amount below the last digit shown reads
 * "< 0.000001", not "0".
 */
export function formatFixed(units: bigint, decimals: number, shown: number): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const fraction = (abs % scale).toString().padStart(decimals, '0').slice(0, Math.min(shown, decimals)).replace(/0+$/, '');
  if (whole === 0n && fraction === '' && abs !== 0n) return `${negative ? '> −' : '< '}0.${'0'.repeat(Math.max(0, shown - 1))}1`;
  return `${negative ? '−' : ''}${groupDigits(whole)}${fraction ? `.${fraction}` : ''}`;
}

/** Wei as Ether with up to 6 decimals: "0.123456 ETH". */
export function formatWei(wei: bigint, shown = WEI_DISPLAY_DECIMALS): string {
  return `${formatFixed(wei, ETH_DECIMALS, shown)} ETH`;
}

/** A price in wei per MiB as the number of Ether per GiB, every digit (it is exact with 18 decimals). */
export function formatEthPerGib(weiPerMib: bigint): string {
  return formatFixed(weiPerMib * MIB_PER_GIB, ETH_DECIMALS, ETH_DECIMALS);
}

/** A price with its unit: "0.001 ETH/GiB". */
export function formatPrice(weiPerMib: bigint): string {
  return `${formatEthPerGib(weiPerMib)} ETH/GiB`;
}

/**
 * A non-negative decimal typed by the user ("12", "0.5", ".25") as an
 * integer with `decimals` implied decimals, exactly. No sign, exponent or
 * thousands separator: "1,000" could mean a thousand or one.
 */
export function parseDecimal(text: string, decimals: number, what: string): bigint {
  const t = text.trim();
  if (t === '') throw new AmountInputError(`Enter the ${what}.`);
  if (t.includes(',')) throw new AmountInputError(`Write the ${what} with a dot for decimals and no thousands separator, e.g. 0.5.`);
  const m = /^(\d*)(?:\.(\d*))?$/.exec(t);
  if (m === null || (m[1] === '' && (m[2] ?? '') === '')) throw new AmountInputError(`The ${what} "${t.slice(0, 40)}" is not a number; enter digits such as 1.5.`);
  const fraction = m[2] ?? '';
  if (fraction.length > decimals) throw new AmountInputError(`The ${what} has more than ${decimals} decimals; shorten it.`);
  return BigInt((m[1] || '0') + fraction.padEnd(decimals, '0'));
}

/** A quantity typed in MiB as bytes (cut to whole bytes); at least 1 MiB. */
export function parseQuantityMib(text: string): bigint {
  const scaled = parseDecimal(text, MIB_INPUT_DECIMALS, 'quantity');
  const bytes = (scaled * BYTES_PER_MIB) / 10n ** BigInt(MIB_INPUT_DECIMALS);
  if (bytes < BYTES_PER_MIB) throw new AmountInputError('The quantity must be at least 1 MiB.');
  return bytes;
}

/**
 * A price typed in Ether per GiB as wei per MiB: 1 ETH/GiB is exactly
 * 10^18 / 1024 = 976,562,500,000,000 wei per MiB. A price finer than one wei
 * per MiB (more than ~15 decimals) is rounded to the nearest wei per MiB; the
 * form shows the price that will be signed.
 */
export function parsePriceEthPerGib(text: string): bigint {
  const weiPerGib = parseDecimal(text, ETH_DECIMALS, 'price');
  const weiPerMib = (weiPerGib + MIB_PER_GIB / 2n) / MIB_PER_GIB;
  if (weiPerMib < 1n) throw new AmountInputError(`The price must be at least 1 wei per MiB (${formatPrice(1n)}).`);
  return weiPerMib;
}

/** When something happens, from now: "in 10 min", "3 h ago". */
export function formatRelative(targetMs: number, nowMs: number): string {
  const diff = targetMs - nowMs;
  const s = Math.round(Math.abs(diff) / 1000);
  const text = s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : s < 48 * 3600 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86_400)} d`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

export interface InstallmentProgress {
  settled: number;
  total: number;
}

export function installmentProgress(trade: Pick<TradeView, 'installments'>): InstallmentProgress {
  return { settled: trade.installments.filter((i) => i.state === 'settled').length, total: trade.installments.length };
}

/** Installments drawn one segment each up to this many; a longer trade (up to 65,535) is drawn as runs of one state, so the bar stays a few dozen elements. */
export const MAX_INSTALLMENT_SEGMENTS = 256;

export interface InstallmentRun {
  state: InstallmentView['state'];
  /** Index of its first installment. */
  first: number;
  count: number;
}

/** Consecutive installments of one state, merged. */
export function installmentRuns(installments: readonly InstallmentView[]): InstallmentRun[] {
  const runs: InstallmentRun[] = [];
  for (const i of installments) {
    const last = runs.at(-1);
    if (last !== undefined && last.state === i.state) last.count++;
    else runs.push({ state: i.state, first: i.index, count: 1 });
  }
  return runs;
}

export type TradeFailureView = NonNullable<TradeView['failure']>;

const REASON: Record<TradeFailureView['reason'], string> = {
  'counterparty-silent': 'The counterparty did not take its step in time.',
  'my-payment-not-sent': 'Your wallet did not send your payment in time.',
  'my-payment-failed': 'Your payment failed on the chain.',
};

/** A failed trade in words, from my side: who stopped, why, who owes what. */
export function describeFailure(failure: TradeFailureView, myRole: TradeView['role']): { stopped: string; reason: string; owes: string[]; paid: string } {
  const who = (role: TradeView['role']): string => (role === myRole ? 'You' : 'The counterparty');
  const owes: string[] = [];
  if (failure.buyerOwes > 0n) owes.push(`${who('buyer')} (buyer) ${myRole === 'buyer' ? 'owe' : 'owes'} ${formatWei(failure.buyerOwes)} for tokens already received.`);
  if (failure.sellerOwes > 0n) owes.push(`${who('seller')} (seller) ${myRole === 'seller' ? 'owe' : 'owes'} ${formatTokens(failure.sellerOwes)} of tokens for Ether already received.`);
  if (owes.length === 0) owes.push('Nobody owes anything: both sides had paid in full when it stopped.');
  return {
    stopped: `${who(failure.stalled)} (${failure.stalled}) stopped.`,
    reason: REASON[failure.reason],
    owes,
    paid: `Paid before it stopped: ${formatTokens(failure.paidTokens)} of tokens by the seller, ${formatWei(failure.paidWei)} by the buyer.`,
  };
}

export interface DepthGeometry {
  /** Step curves (lines) and the areas under them, SVG path data. */
  bidLine: string;
  bidArea: string;
  askLine: string;
  askArea: string;
  /** The price axis' ends and the height's top, in the market's units. */
  minPrice: bigint;
  maxPrice: bigint;
  maxCumulative: bigint;
}

/** Room left on each side of the prices, as a share of their span: the outermost steps stay visible. */
const PRICE_MARGIN = 0.1;
/** Room above the deepest level, as a share of it. */
const DEPTH_MARGIN = 0.1;

/**
 * A depth chart of `width` × `height`: cumulative quantity against price,
 * bids stepping down to the left from the best bid, asks stepping up to the
 * right from the best ask. Undefined for an empty book. Floats only place
 * pixels; the axis ends stay exact.
 */
export function depthGeometry(book: { bids: readonly DepthLevel[]; asks: readonly DepthLevel[] }, width: number, height: number): DepthGeometry | undefined {
  const bids = [...book.bids].sort((a, b) => (a.price > b.price ? -1 : a.price < b.price ? 1 : 0));
  const asks = [...book.asks].sort((a, b) => (a.price < b.price ? -1 : a.price > b.price ? 1 : 0));
  const all = [...bids, ...asks];
  if (all.length === 0) return undefined;
  const minPrice = all.reduce((m, l) => (l.price < m ? l.price : m), all[0]!.price);
  const maxPrice = all.reduce((m, l) => (l.price > m ? l.price : m), all[0]!.price);
  const maxCumulative = all.reduce((m, l) => (l.cumulative > m ? l.cumulative : m), 0n);
  const lo = Number(minPrice);
  const hi = Number(maxPrice);
  // One price alone still gets a span, so its step sits in the middle.
  const span = hi > lo ? hi - lo : Math.max(hi, 1);
  const x0 = lo - span * PRICE_MARGIN;
  const x1 = hi + span * PRICE_MARGIN;
  const yTop = Number(maxCumulative) * (1 + DEPTH_MARGIN) || 1;
  const x = (p: bigint): string => (((Number(p) - x0) / (x1 - x0)) * width).toFixed(1);
  const y = (c: bigint): string => (height - (Number(c) / yTop) * height).toFixed(1);
  const steps = (levels: DepthLevel[], edge: string): { line: string; area: string } => {
    if (levels.length === 0) return { line: '', area: '' };
    const parts = [`M${x(levels[0]!.price)},${height}`];
    levels.forEach((l, i) => {
      parts.push(`L${x(l.price)},${y(l.cumulative)}`);
      const next = levels[i + 1];
      parts.push(`L${next === undefined ? edge : x(next.price)},${y(l.cumulative)}`);
    });
    const line = parts.join(' ');
    return { line, area: `${line} L${edge},${height} Z` };
  };
  const b = steps(bids, '0');
  const a = steps(asks, width.toFixed(1));
  return { bidLine: b.line, bidArea: b.area, askLine: a.line, askArea: a.area, minPrice, maxPrice, maxCumulative };
}
