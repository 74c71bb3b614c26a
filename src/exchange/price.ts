/**
 * Price arithmetic of the market (pure). Prices are integers: wei per MiB
 * (quote units per PRICE_UNIT base units). Exact bigint arithmetic, rounded
 * down: no one pays for a fraction of a wei (the settlement's `tradeWei`,
 * installments.ts, follows the same rule; order.test.ts holds them equal).
 */
import { PRICE_UNIT } from './constants.ts';

/** Wei for `quantity` bytes at `price` wei per MiB, rounded down (what trade-init records as the quote amount). */
export function costOf(quantity: bigint, price: bigint): bigint {
  if (quantity < 0n || price < 0n) throw new RangeError('quantity and price cannot be negative');
  return (quantity * price) / PRICE_UNIT;
}

/** A bid at `bidPrice` and an ask at `askPrice` can trade. */
export function crosses(bidPrice: bigint, askPrice: bigint): boolean {
  return bidPrice >= askPrice;
}
