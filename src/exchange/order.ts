/**
 * Orders as the market sees them (pure): an Order is built only from a
 * TradeChain `ask`/`bid` source block, so every field is what its trader
 * signed; a matchmaker cannot alter or invent one without the signature
 * failing. Cancellations likewise from `cancel-order` blocks.
 *
 * Prices are integers: wei per MiB (quote units per PRICE_UNIT base units).
 * The cost of q bytes at price p is floor(q * p / 2^20) wei, in exact bigint
 * arithmetic: rounded DOWN (no one pays for a fraction of a wei), the same
 * rule as the settlement's `tradeWei` (installments.ts), which splits that
 * total into installments; a test holds the two equal. (price.ts, re-exported here.)
 *
 * What a network layer calls: `orderFromBlock` / `cancelFromBlock` on a block
 * whose signature and chain it verified (the ledger's validation), then the
 * OrderBook; `costOf` for the Market page's order form.
 */
import { toHex } from '../codec/bytes.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { blockHash } from '../ledger/block-codec.ts';
import { costOf, crosses } from './price.ts';
import { ASK, BID, CANCEL_ORDER, askType, bidType, cancelOrderType, orderErrors, type OrderTx, type Side } from './tradechain/order-tx.ts';

/** An order id across the network: "<trader key hex>:<order number>". */
export type OrderId = string;

export { costOf, crosses };

export interface Order {
  id: OrderId;
  /** The trader's public key, hex. */
  trader: string;
  orderNumber: number;
  side: Side;
  pair: string;
  /** Base units (bytes). */
  quantity: bigint;
  /** Wei per MiB. */
  price: bigint;
  /** ms since the epoch; the order is expired from this instant on. */
  expiry: number;
  /** The block's timestamp (the trader's own clock, for display; a book ranks time by arrival). */
  createdAt: number;
  /** Position and hash of the source block: two orders with one id but different hashes are a conflict. */
  sequenceNumber: number;
  blockHash: string;
  /** The signed source block, kept to pass the order on (book sync, proofs to traders). */
  block: HalfBlock;
}

export interface OrderCancel {
  id: OrderId;
  trader: string;
  orderNumber: number;
  block: HalfBlock;
}

export type OrderStatus = 'open' | 'expired' | 'cancelled';

/** Why a block is not an order (or a cancellation) the market can use. */
export class OrderError extends Error {
  override name = 'OrderError';
  constructor(
    readonly reason: 'not-an-order' | 'malformed' | 'breaks-rules',
    message: string,
  ) {
    super(message);
  }
}

export function orderId(trader: Uint8Array | string, orderNumber: number): OrderId {
  return `${typeof trader === 'string' ? trader : toHex(trader)}:${orderNumber}`;
}

function decodeWith<T>(decode: (b: Uint8Array) => T, block: HalfBlock): T {
  try {
    return decode(block.transaction);
  } catch (err) {
    throw new OrderError('malformed', `the ${block.type} block's transaction does not decode: ${(err as Error).message}`);
  }
}

/**
 * The order a block carries. Precondition: the caller verified the block's
 * signature and its place in the trader's chain (ledger validation); this
 * checks only what the block says (type, encoding, the order's own rules).
 * Throws OrderError.
 */
export function orderFromBlock(block: HalfBlock): Order {
  if (block.type !== ASK && block.type !== BID) throw new OrderError('not-an-order', `a ${block.type} block is not an order`);
  const side: Side = block.type;
  const tx: OrderTx = decodeWith((side === ASK ? askType : bidType).decode, block);
  const errors = orderErrors(tx, block);
  if (errors.length > 0) throw new OrderError('breaks-rules', errors.join('; '));
  const trader = toHex(block.publicKey);
  return {
    id: orderId(trader, tx.orderNumber),
    trader,
    orderNumber: tx.orderNumber,
    side,
    pair: tx.pair,
    quantity: tx.quantity,
    price: tx.price,
    expiry: tx.expiry,
    createdAt: block.timestamp,
    sequenceNumber: block.sequenceNumber,
    blockHash: toHex(blockHash(block)),
    block,
  };
}

/** The cancellation a block carries; same precondition as orderFromBlock. Throws OrderError. */
export function cancelFromBlock(block: HalfBlock): OrderCancel {
  if (block.type !== CANCEL_ORDER) throw new OrderError('not-an-order', `a ${block.type} block is not a cancellation`);
  const tx = decodeWith(cancelOrderType.decode, block);
  const errors = cancelOrderType.check(tx, block);
  if (errors.length > 0) throw new OrderError('breaks-rules', errors.join('; '));
  const trader = toHex(block.publicKey);
  return { id: orderId(trader, tx.orderNumber), trader, orderNumber: tx.orderNumber, block };
}

export function isExpired(order: Pick<Order, 'expiry'>, now: number): boolean {
  return now >= order.expiry;
}

export function orderStatus(order: Pick<Order, 'expiry'>, now: number, cancelled: boolean): OrderStatus {
  if (cancelled) return 'cancelled';
  return isExpired(order, now) ? 'expired' : 'open';
}
