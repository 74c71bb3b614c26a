/**
 * Wire fields shared by the TradeChain transaction types (pure): the pair,
 * asset names, u128 amounts, order references and trade ids, each read
 * canonically (a value has exactly one encoding) and bounded.
 *
 *   pair        u8 length + ASCII "BASE/QUOTE" (PAIR_PATTERN)
 *   asset       u8 length + ASCII ticker (ASSET_PATTERN)
 *   u128        u64 high, u64 low (big-endian)
 *   order ref   32-byte trader key, u32 order number
 *   trade id    16 bytes
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../../codec/binary.ts';
import { KEY_BYTES } from '../../ledger/constants.ts';
import { ASSET_PATTERN, MAX_ASSET_BYTES, MAX_ORDER_NUMBER, MAX_PAIR_BYTES, MAX_U128, MIN_ORDER_NUMBER, PAIR_PATTERN, TRADE_ID_BYTES } from '../constants.ts';

/** An order named across chains: its trader's key and the trader's order number. */
export interface OrderRef {
  trader: Uint8Array;
  orderNumber: number;
}

export function readPair(r: BinaryReader): string {
  const pair = r.string(MAX_PAIR_BYTES, 'pair');
  if (!PAIR_PATTERN.test(pair)) throw new DecodeError('invalid-value', `pair "${pair}" is not BASE/QUOTE in upper-case letters and digits`);
  return pair;
}

export function writePair(w: BinaryWriter, pair: string): BinaryWriter {
  if (!PAIR_PATTERN.test(pair)) throw new RangeError(`pair "${pair}" is not BASE/QUOTE in upper-case letters and digits`);
  return w.string(pair, MAX_PAIR_BYTES);
}

export function readAsset(r: BinaryReader): string {
  const asset = r.string(MAX_ASSET_BYTES, 'asset');
  if (!ASSET_PATTERN.test(asset)) throw new DecodeError('invalid-value', `asset "${asset}" is not an upper-case ticker`);
  return asset;
}

export function writeAsset(w: BinaryWriter, asset: string): BinaryWriter {
  if (!ASSET_PATTERN.test(asset)) throw new RangeError(`asset "${asset}" is not an upper-case ticker`);
  return w.string(asset, MAX_ASSET_BYTES);
}

export function readU128(r: BinaryReader, what: string): bigint {
  return (r.u64(what) << 64n) | r.u64(what);
}

export function writeU128(w: BinaryWriter, value: bigint): BinaryWriter {
  if (value < 0n || value > MAX_U128) throw new RangeError('u128 out of range');
  return w.u64(value >> 64n).u64(value & 0xffff_ffff_ffff_ffffn);
}

export function readOrderNumber(r: BinaryReader, what = 'order number'): number {
  const n = r.u32(what);
  if (n < MIN_ORDER_NUMBER) throw new DecodeError('invalid-value', `${what} 0 is never used; order numbers start at ${MIN_ORDER_NUMBER}`);
  return n;
}

export function writeOrderNumber(w: BinaryWriter, n: number): BinaryWriter {
  if (!Number.isInteger(n) || n < MIN_ORDER_NUMBER || n > MAX_ORDER_NUMBER) throw new RangeError(`order number ${n} outside ${MIN_ORDER_NUMBER}..${MAX_ORDER_NUMBER}`);
  return w.u32(n);
}

export function readOrderRef(r: BinaryReader, what: string): OrderRef {
  return { trader: r.fixed(KEY_BYTES, `${what} trader`), orderNumber: readOrderNumber(r, `${what} order number`) };
}

export function writeOrderRef(w: BinaryWriter, ref: OrderRef): BinaryWriter {
  return writeOrderNumber(w.fixed(ref.trader, KEY_BYTES), ref.orderNumber);
}

export function readTradeId(r: BinaryReader): Uint8Array {
  return r.fixed(TRADE_ID_BYTES, 'trade id');
}

export function writeTradeId(w: BinaryWriter, id: Uint8Array): BinaryWriter {
  return w.fixed(id, TRADE_ID_BYTES);
}

/** A u64 that must fit a JS number (timestamps in ms): anything above 2^53 is refused, not rounded. */
export function readSafeU64(r: BinaryReader, what: string): number {
  const v = r.u64(what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('invalid-value', `${what} ${v} is beyond a safe integer`);
  return Number(v);
}

export function writeSafeU64(w: BinaryWriter, v: number): BinaryWriter {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${v} is not a non-negative safe integer`);
  return w.u64(BigInt(v));
}

/** Base and quote assets of a pair ("MBT/ETH" -> ["MBT", "ETH"]). */
export function pairAssets(pair: string): [base: string, quote: string] {
  const slash = pair.indexOf('/');
  return [pair.slice(0, slash), pair.slice(slash + 1)];
}
