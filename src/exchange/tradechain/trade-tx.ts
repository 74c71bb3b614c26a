/**
 * TradeChain trade records (pure): `trade-init` opens a trade the two traders
 * agreed on, `trade-done` closes it (completed, or failed with what each side
 * transferred and who stopped). Each is a PAIR between the two traders: one
 * proposes, the other countersigns an identical transaction, and both chains
 * hold both halves. A failed trade's record may stay a lone proposal: the side
 * that stopped will not countersign its own failure, and the proposal alone is
 * the signed statement of the side that kept paying.
 *
 * Encoding of trade-init:
 *   16-byte trade id, ask order ref (32-byte trader key, u32 order number),
 *   bid order ref, pair, u64 quantity (base units: the tokens sold), u64 price
 *   (wei per MiB), u128 quote amount (wei: costOf(quantity, price), rounded down),
 *   u64 installment bytes (the seller's token installment; the settlement's
 *   schedule, installments.ts, derives every payment from these three),
 *   20-byte quote address (the seller's Ether address the buyer pays to)
 * Encoding of trade-done:
 *   16-byte trade id, ask order ref, bid order ref, u8 outcome (0 completed,
 *   1 failed), u64 base transferred, u128 quote transferred, u8 defaulter
 *   (0 none, 1 the ask side, 2 the bid side), reason (u8 length + UTF-8, <= 200)
 *
 * The price and quantity are checked against the two orders by the
 * negotiation (it holds the order blocks); here only what one record shows.
 * What a network layer calls: nothing directly; the settlement builds these
 * with `encode` and the ledger checks them once `registerExchangeTypes` ran.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../../codec/binary.ts';
import { bytesEqual } from '../../codec/bytes.ts';
import type { HalfBlock } from '../../ledger/block.ts';
import type { TransactionType } from '../../ledger/transactions/registry.ts';
import { costOf } from '../price.ts';
import { MAX_INSTALLMENTS, MAX_ORDER_QUANTITY, MAX_PRICE, MAX_TRADE_REASON_BYTES, MIN_PRICE } from '../constants.ts';
import { readOrderRef, readPair, readTradeId, readU128, writeOrderRef, writePair, writeTradeId, writeU128, type OrderRef } from './fields.ts';

export const TRADE_INIT = 'trade-init';
/** An Ethereum address: 20 bytes. */
export const ADDRESS_BYTES = 20;
export const TRADE_DONE = 'trade-done';

export interface TradeInitTx {
  tradeId: Uint8Array;
  ask: OrderRef;
  bid: OrderRef;
  pair: string;
  quantity: bigint;
  price: bigint;
  /** Wei the buyer pays in all: costOf(quantity, price). */
  quoteAmount: bigint;
  /** Bytes per token installment (the last may be smaller). */
  installmentBytes: bigint;
  /** The ask side's Ether address, where the bid side pays: signed by both, so a payment elsewhere is no payment. */
  quoteAddress: Uint8Array;
}

export type TradeOutcome = 'completed' | 'failed';
export type Defaulter = 'none' | 'ask' | 'bid';

export interface TradeDoneTx {
  tradeId: Uint8Array;
  ask: OrderRef;
  bid: OrderRef;
  outcome: TradeOutcome;
  baseTransferred: bigint;
  quoteTransferred: bigint;
  defaulter: Defaulter;
  reason: string;
}

const OUTCOMES: readonly TradeOutcome[] = ['completed', 'failed'];
const DEFAULTERS: readonly Defaulter[] = ['none', 'ask', 'bid'];

/** A pair's two halves are the two traders: the owner is one, the key it links to the other, and they differ. */
export function tradePartyErrors(askTrader: Uint8Array, bidTrader: Uint8Array, block: Pick<HalfBlock, 'publicKey' | 'linkPublicKey'>): string[] {
  if (bytesEqual(askTrader, bidTrader)) return ['a trader cannot trade with itself'];
  const owner = block.publicKey;
  const other = block.linkPublicKey;
  const between = (bytesEqual(owner, askTrader) && bytesEqual(other, bidTrader)) || (bytesEqual(owner, bidTrader) && bytesEqual(other, askTrader));
  return between ? [] : ['the block is not between the two traders of the orders it names'];
}

/** Trade records are copied by the countersigner: an agreement carries exactly its proposal's transaction. */
export function identicalAgreement<T>(encode: (tx: T) => Uint8Array, what: string): (agreement: T, proposal: T) => string[] {
  return (agreement, proposal) => (bytesEqual(encode(agreement), encode(proposal)) ? [] : [`the agreement's ${what} differs from its proposal's`]);
}

function encodeInit(tx: TradeInitTx): Uint8Array {
  const w = writeOrderRef(writeOrderRef(writeTradeId(new BinaryWriter(128), tx.tradeId), tx.ask), tx.bid);
  return writeU128(writePair(w, tx.pair).u64(tx.quantity).u64(tx.price), tx.quoteAmount).u64(tx.installmentBytes).fixed(tx.quoteAddress, ADDRESS_BYTES).finish();
}

export const tradeInitType: TransactionType<TradeInitTx> = {
  name: TRADE_INIT,
  decode(bytes) {
    const r = new BinaryReader(bytes);
    const tx = { tradeId: readTradeId(r), ask: readOrderRef(r, 'ask'), bid: readOrderRef(r, 'bid'), pair: readPair(r), quantity: r.u64('quantity'), price: r.u64('price'), quoteAmount: readU128(r, 'quote amount'), installmentBytes: r.u64('installment bytes'), quoteAddress: r.fixed(ADDRESS_BYTES, 'quote address') };
    r.end('trade-init');
    return tx;
  },
  encode: encodeInit,
  check(tx, block) {
    const errors = tradePartyErrors(tx.ask.trader, tx.bid.trader, block);
    if (tx.quantity < 1n || tx.quantity > MAX_ORDER_QUANTITY) errors.push(`quantity ${tx.quantity} is outside 1..${MAX_ORDER_QUANTITY} bytes`);
    if (tx.price < MIN_PRICE || tx.price > MAX_PRICE) errors.push(`price ${tx.price} is outside ${MIN_PRICE}..${MAX_PRICE} wei per MiB`);
    if (tx.quoteAmount !== costOf(tx.quantity, tx.price)) errors.push(`the quote amount ${tx.quoteAmount} is not the cost of the quantity at the price (${costOf(tx.quantity, tx.price)} wei)`);
    else if (tx.quoteAmount === 0n) errors.push('the trade pays nothing for the tokens (0 wei)');
    if (tx.installmentBytes < 1n || tx.installmentBytes > tx.quantity) errors.push('the installment is empty or larger than the trade');
    else if ((tx.quantity + tx.installmentBytes - 1n) / tx.installmentBytes > BigInt(MAX_INSTALLMENTS)) errors.push(`the trade would take more than ${MAX_INSTALLMENTS} installments`);
    return errors;
  },
  checkAgreement: identicalAgreement(encodeInit, 'trade-init'),
};

function encodeDone(tx: TradeDoneTx): Uint8Array {
  const w = writeOrderRef(writeOrderRef(writeTradeId(new BinaryWriter(160), tx.tradeId), tx.ask), tx.bid);
  w.u8(OUTCOMES.indexOf(tx.outcome)).u64(tx.baseTransferred);
  return writeU128(w, tx.quoteTransferred).u8(DEFAULTERS.indexOf(tx.defaulter)).string(tx.reason, MAX_TRADE_REASON_BYTES).finish();
}

function readEnum<T>(r: BinaryReader, values: readonly T[], what: string): T {
  const i = r.u8(what);
  const v = values[i];
  if (v === undefined) throw new DecodeError('invalid-value', `${what} ${i} is not one of 0..${values.length - 1}`);
  return v;
}

export const tradeDoneType: TransactionType<TradeDoneTx> = {
  name: TRADE_DONE,
  decode(bytes) {
    const r = new BinaryReader(bytes);
    const tx = {
      tradeId: readTradeId(r),
      ask: readOrderRef(r, 'ask'),
      bid: readOrderRef(r, 'bid'),
      outcome: readEnum(r, OUTCOMES, 'outcome'),
      baseTransferred: r.u64('base transferred'),
      quoteTransferred: readU128(r, 'quote transferred'),
      defaulter: readEnum(r, DEFAULTERS, 'defaulter'),
      reason: r.string(MAX_TRADE_REASON_BYTES, 'reason'),
    };
    r.end('trade-done');
    return tx;
  },
  encode: encodeDone,
  check(tx, block) {
    const errors = tradePartyErrors(tx.ask.trader, tx.bid.trader, block);
    if (tx.outcome === 'completed' && tx.defaulter !== 'none') errors.push('a completed trade has no defaulter');
    if (tx.baseTransferred > MAX_ORDER_QUANTITY) errors.push(`${tx.baseTransferred} bytes transferred is more than any order holds`);
    return errors;
  },
  checkAgreement: identicalAgreement(encodeDone, 'trade-done'),
};
