/**
 * TradeChain orders (pure): `ask` (sell the pair's base asset, e.g. bandwidth
 * tokens) and `bid` (buy it), and `cancel-order`. Each is a SOURCE block: a
 * proposal addressed to ANY_COUNTERPARTY that nobody countersigns, signed by
 * the trader in its own chain. The trader is the block's owner and the order
 * was made at the block's timestamp, so neither is repeated in the transaction;
 * an order id is (owner key, order number), numbers strictly increasing per trader.
 *
 * Encoding of ask and bid (same layout, the block type says the side):
 *   u32 order number (>= 1)
 *   pair (u8 length + "BASE/QUOTE")
 *   u64 quantity  (base units: bytes)
 *   u64 price     (quote units per PRICE_UNIT base units: wei per MiB)
 *   u64 expiry    (ms since the epoch, a safe integer)
 * Encoding of cancel-order:
 *   u32 order number of the trader's order it cancels
 *
 * What a network layer calls: `registerExchangeTypes` (registry.ts) so the
 * ledger validates these blocks, then `orderFromBlock` (../order.ts) on a
 * verified block to feed an OrderBook.
 */
import { BinaryReader, BinaryWriter } from '../../codec/binary.ts';
import { bytesEqual } from '../../codec/bytes.ts';
import { isProposal, type HalfBlock } from '../../ledger/block.ts';
import { ANY_COUNTERPARTY } from '../../ledger/constants.ts';
import type { TransactionType } from '../../ledger/transactions/registry.ts';
import { MAX_ORDER_LIFETIME_MS, MAX_ORDER_QUANTITY, MAX_PRICE, MIN_ORDER_QUANTITY, MIN_PRICE } from '../constants.ts';
import { readOrderNumber, readPair, readSafeU64, writeOrderNumber, writePair, writeSafeU64 } from './fields.ts';

export const ASK = 'ask';
export const BID = 'bid';
export const CANCEL_ORDER = 'cancel-order';

export type Side = typeof ASK | typeof BID;

export interface OrderTx {
  orderNumber: number;
  pair: string;
  quantity: bigint;
  price: bigint;
  expiry: number;
}

export interface CancelOrderTx {
  orderNumber: number;
}

/** Why a block is not a source block, if it is not (orders and cancellations are never countersigned). */
function sourceBlockErrors(block: Pick<HalfBlock, 'linkPublicKey' | 'linkSequenceNumber'>, what: string): string[] {
  const errors: string[] = [];
  if (!isProposal(block)) errors.push(`${what} is a source block and is never countersigned`);
  if (!bytesEqual(block.linkPublicKey, ANY_COUNTERPARTY)) errors.push(`${what} must be addressed to any counterparty, not to one peer`);
  return errors;
}

/** The rules of an order on its own, against its block (source block, bounds, expiry after creation). */
export function orderErrors(tx: OrderTx, block: Pick<HalfBlock, 'linkPublicKey' | 'linkSequenceNumber' | 'timestamp'>): string[] {
  const errors = sourceBlockErrors(block, 'an order');
  if (tx.quantity < MIN_ORDER_QUANTITY || tx.quantity > MAX_ORDER_QUANTITY) errors.push(`quantity ${tx.quantity} is outside ${MIN_ORDER_QUANTITY}..${MAX_ORDER_QUANTITY} bytes`);
  if (tx.price < MIN_PRICE || tx.price > MAX_PRICE) errors.push(`price ${tx.price} is outside ${MIN_PRICE}..${MAX_PRICE} wei per MiB`);
  if (tx.expiry <= block.timestamp) errors.push('the order expires before it was made');
  else if (tx.expiry - block.timestamp > MAX_ORDER_LIFETIME_MS) errors.push(`the order lives longer than the ${MAX_ORDER_LIFETIME_MS / 3_600_000} hours an order may`);
  return errors;
}

function decodeOrder(bytes: Uint8Array): OrderTx {
  const r = new BinaryReader(bytes);
  const tx = { orderNumber: readOrderNumber(r), pair: readPair(r), quantity: r.u64('quantity'), price: r.u64('price'), expiry: readSafeU64(r, 'expiry') };
  r.end('order');
  return tx;
}

function encodeOrder(tx: OrderTx): Uint8Array {
  const w = writeOrderNumber(new BinaryWriter(48), tx.orderNumber);
  return writeSafeU64(writePair(w, tx.pair).u64(tx.quantity).u64(tx.price), tx.expiry).finish();
}

function orderType(name: Side): TransactionType<OrderTx> {
  return {
    name,
    decode: decodeOrder,
    encode: encodeOrder,
    check: (tx, block) => orderErrors(tx, block),
    validate({ tx, neighbourhood }) {
      // Order numbers increase along the chain, so the owner's nearest known earlier block, if an order, has a lower one.
      // Orders further back are not in the neighbourhood: an OrderBook refuses a reused number with other fields as a conflict.
      const previous = neighbourhood.previous;
      if (previous === undefined || (previous.type !== ASK && previous.type !== BID)) return [];
      let before: OrderTx;
      try {
        before = decodeOrder(previous.transaction);
      } catch {
        return [];
      }
      return before.orderNumber >= tx.orderNumber ? [`order number ${tx.orderNumber} does not increase on the trader's previous order ${before.orderNumber}`] : [];
    },
  };
}

export const askType = orderType(ASK);
export const bidType = orderType(BID);

export const cancelOrderType: TransactionType<CancelOrderTx> = {
  name: CANCEL_ORDER,
  decode(bytes) {
    const r = new BinaryReader(bytes);
    const tx = { orderNumber: readOrderNumber(r) };
    r.end('order cancellation');
    return tx;
  },
  encode: (tx) => writeOrderNumber(new BinaryWriter(4), tx.orderNumber).finish(),
  check: (_tx, block) => sourceBlockErrors(block, 'a cancellation'),
};
