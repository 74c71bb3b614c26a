/**
 * Wire format of the market protocol, /trustmesh/market/1.0.0 (pure): every
 * message between traders and matchmakers, one frame per message (the stream
 * layer length-prefixes frames and reads at most MAX_MARKET_FRAME_BYTES).
 *
 * Who sends what to whom, and when (for the MarketService):
 *   order           trader -> matchmakers it knows, after signing an ask, bid or
 *                   cancel-order block (ttl MAX_ORDER_TTL); a matchmaker that
 *                   added it passes it on to its peer matchmakers with ttl - 1
 *                   (not at 0), and sends a matched counterparty's order to a
 *                   trader (ttl 0) just before the `match`, so the trader
 *                   verifies the signed order itself.
 *   sync-request    matchmaker -> peer matchmaker, on a timer (book-sync.ts).
 *   sync-answer     that peer -> the requester, once per request (book-sync.ts).
 *   match           matchmaker -> both traders, for each Match its book made.
 *   propose         seller -> buyer, on a match of the seller's ask (negotiation.ts);
 *   counter, accept, decline   either trader -> the other, during negotiation.
 *   match-outcome   trader -> the matchmaker of the match: 'declined' (it releases
 *                   the reservation) or 'traded' with the trade id and quantity
 *                   (once BOTH traders reported it alike, it consumes the
 *                   reservation: OrderBook.complete).
 *   payment-notice  payer -> payee, once its wallet sent installment `index`: the
 *                   trade-payment transaction it proposes next, so the payee
 *                   starts watching the reference at once. Optional: 1.0 peers
 *                   do not send it (the payee looks when the trade-payment's
 *                   sign request arrives, and the payer asks again until seen).
 *   error           any -> any, in answer to a frame it could not use; never
 *                   answered (no error loops).
 *
 * Frame: u8 version (1) | u8 tag | body
 *   1 order           u8 ttl (0..MAX_ORDER_TTL), then the rest: one half-block
 *                     (block-codec.ts) of type ask, bid or cancel-order, at most
 *                     MAX_ORDER_BLOCK_BYTES. Any other type is REFUSED at decode
 *                     (invalid-value), as book-sync refuses it: nobody relays it.
 *   2 sync-request    the rest: a book-sync request (book-sync.ts codec, its own
 *   3 sync-answer     version byte); its kind must agree with the tag.
 *   4 match           match id, ask order ref, bid order ref (fields.ts: 32-byte
 *                     key, u32 number), u64 quantity, u64 price, 32-byte matchmaker key
 *   5 propose         match id, ask order ref, bid order ref, u64 quantity, u64 price
 *   6 counter         match id, u64 quantity
 *   7 accept          match id, u64 quantity, u64 price
 *   8 decline         match id, u8 reason (DECLINE_CODES)
 *   9 match-outcome   match id, u8 kind: 1 declined + u8 reason; 2 traded + 16-byte
 *                     trade id + u64 quantity traded
 *  10 payment-notice  the rest: a trade-payment transaction (payment-tx.ts codec)
 *  11 error           u8 length + UTF-8 text (<= MAX_MARKET_ERROR_BYTES)
 * A match id is u8 length + printable ASCII (MATCH_ID_PATTERN). Negotiation
 * messages carry order ids ("<key hex>:<number>") as order refs: one encoding each.
 *
 * Decoders check form, never sense: bounds, canonical encodings (one encoding
 * per value: lower-case ids, known codes, no trailing bytes), tags; whether a
 * price fits an order or a payment its schedule is the negotiation's, the
 * book's and the settlement's, which answer with typed reasons. They throw
 * only DecodeError. Signatures are the caller's to verify (ledger validation).
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { fromHex, toHex } from '../codec/bytes.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { decodeBlock, encodeBlock } from '../ledger/block-codec.ts';
import { BLOCK_MAGIC, HASH_BYTES, KEY_BYTES, SIGNATURE_BYTES } from '../ledger/constants.ts';
import { decodeBookSync, encodeBookSync, type BookSyncMessage } from './book-sync.ts';
import { MAX_ORDER_NUMBER, MAX_PAIR_BYTES, MAX_SYNC_ANSWER_BYTES, MIN_ORDER_NUMBER } from './constants.ts';
import type { DeclineReason, NegotiationMessage } from './negotiation.ts';
import { orderId, type OrderId } from './order.ts';
import type { Match } from './order-book.ts';
import { readOrderRef, readTradeId, writeOrderRef, writeTradeId, type OrderRef } from './tradechain/fields.ts';
import { ASK, BID, CANCEL_ORDER } from './tradechain/order-tx.ts';
import { tradePaymentType, type TradePaymentTx } from './tradechain/payment-tx.ts';

export const MARKET_PROTOCOL = '/trustmesh/market/1.0.0';
export const MARKET_WIRE_VERSION = 1;

/** Hops an order is passed on between matchmakers: the trader reaches those it knows, they reach theirs; book sync catches the rest. */
export const MAX_ORDER_TTL = 2;
/** Bytes of an ask/bid transaction at its largest: u32 number, pair, u64 quantity, price, expiry (order-tx.ts). */
export const MAX_ORDER_TX_BYTES = 4 + 1 + MAX_PAIR_BYTES + 8 + 8 + 8;
/** Bounds an order block (fixed fields, the longest order type name, the longest order transaction): a block padded with a 4 KiB transaction is no order. */
export const MAX_ORDER_BLOCK_BYTES = BLOCK_MAGIC.length + 1 + KEY_BYTES + 4 + KEY_BYTES + 4 + HASH_BYTES + 8 + 1 + CANCEL_ORDER.length + 2 + MAX_ORDER_TX_BYTES + SIGNATURE_BYTES;
/** A match id: the order book's "<taker id>><maker id>" is two order ids of at most 64 + 1 + 10 characters and a separator (151). */
export const MAX_MATCH_ID_BYTES = 160;
/** Printable ASCII without spaces: safe in logs and maps, one encoding per id. */
export const MATCH_ID_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${MAX_MATCH_ID_BYTES}}$`);
/** An error frame says what went wrong in a sentence for a log; longer text is refused by the encoder. */
export const MAX_MARKET_ERROR_BYTES = 200;
/** The largest frame is a full book-sync answer behind the version and tag bytes. */
export const MAX_MARKET_FRAME_BYTES = 2 + MAX_SYNC_ANSWER_BYTES;

/** Why a match ended, told to its matchmaker. */
export type MatchOutcome = { kind: 'declined'; reason: DeclineReason } | { kind: 'traded'; tradeId: Uint8Array; quantity: bigint };

/** Every market message: book-sync's and negotiation's own types, and the rest. */
export type MarketMessage =
  | { type: 'order'; ttl: number; block: HalfBlock }
  | BookSyncMessage
  | { type: 'match'; matchId: string; ask: OrderRef; bid: OrderRef; quantity: bigint; price: bigint; matchmaker: Uint8Array }
  | NegotiationMessage
  | { type: 'match-outcome'; matchId: string; outcome: MatchOutcome }
  | { type: 'payment-notice'; payment: TradePaymentTx }
  | { type: 'error'; message: string };

const TAGS = {
  order: 1,
  'sync-request': 2,
  'sync-answer': 3,
  match: 4,
  propose: 5,
  counter: 6,
  accept: 7,
  decline: 8,
  'match-outcome': 9,
  'payment-notice': 10,
  error: 11,
} as const satisfies Record<MarketMessage['type'], number>;

/** Wire codes of negotiation's decline reasons; `satisfies` makes a new reason a compile error here until it has a code. */
const DECLINE_CODES = {
  price: 1,
  quantity: 2,
  'order-unknown': 3,
  'order-expired': 4,
  'self-trade': 5,
  'no-funds': 6,
  untrusted: 7,
  busy: 8,
  timeout: 9,
  stalled: 10,
  protocol: 11,
} as const satisfies Record<DeclineReason, number>;
const DECLINE_REASONS = new Map<number, DeclineReason>(Object.entries(DECLINE_CODES).map(([reason, code]) => [code, reason as DeclineReason]));

const ORDER_TYPES = new Set([ASK, BID, CANCEL_ORDER]);
const OUTCOME_DECLINED = 1;
const OUTCOME_TRADED = 2;
/** Order ids as order.ts writes them: lower-case hex key, a decimal number without leading zeros. */
const ORDER_ID_PATTERN = new RegExp(`^([0-9a-f]{${2 * KEY_BYTES}}):([1-9][0-9]{0,9})$`);

/** The order ref an order id names; RangeError if it is not one. */
export function orderRefOf(id: OrderId): OrderRef {
  const m = ORDER_ID_PATTERN.exec(id);
  const n = m === null ? NaN : Number(m[2]);
  if (m === null || n < MIN_ORDER_NUMBER || n > MAX_ORDER_NUMBER) throw new RangeError(`"${id}" is not an order id (<key hex>:<order number>)`);
  return { trader: fromHex(m[1]!), orderNumber: n };
}

export function orderIdOf(ref: OrderRef): OrderId {
  return orderId(toHex(ref.trader), ref.orderNumber);
}

/** The `match` message a matchmaker sends both traders for a Match of its book. */
export function matchMessage(m: Match, matchmaker: Uint8Array): Extract<MarketMessage, { type: 'match' }> {
  const [ask, bid] = m.taker.side === 'ask' ? [m.taker, m.maker] : [m.maker, m.taker];
  return { type: 'match', matchId: m.id, ask: orderRefOf(ask.id), bid: orderRefOf(bid.id), quantity: m.quantity, price: m.price, matchmaker };
}

function writeMatchId(w: BinaryWriter, id: string): BinaryWriter {
  if (!MATCH_ID_PATTERN.test(id)) throw new RangeError(`match id "${id}" is not 1..${MAX_MATCH_ID_BYTES} printable ASCII characters`);
  return w.string(id, MAX_MATCH_ID_BYTES);
}

function readMatchId(r: BinaryReader): string {
  const id = r.string(MAX_MATCH_ID_BYTES, 'match id');
  if (!MATCH_ID_PATTERN.test(id)) throw new DecodeError('invalid-value', `a match id is 1..${MAX_MATCH_ID_BYTES} printable ASCII characters`);
  return id;
}

function writeDeclineReason(w: BinaryWriter, reason: DeclineReason): BinaryWriter {
  const code = DECLINE_CODES[reason] as number | undefined;
  if (code === undefined) throw new RangeError(`"${reason}" is not a decline reason`);
  return w.u8(code);
}

function readDeclineReason(r: BinaryReader): DeclineReason {
  const code = r.u8('decline reason');
  const reason = DECLINE_REASONS.get(code);
  if (reason === undefined) throw new DecodeError('invalid-value', `decline reason ${code} is unknown`);
  return reason;
}

/** Throws RangeError for a message the wire cannot carry (an id out of form, a block of another type, text over its limit). */
export function encodeMarketMessage(m: MarketMessage): Uint8Array {
  const w = new BinaryWriter(160).u8(MARKET_WIRE_VERSION).u8(TAGS[m.type]);
  switch (m.type) {
    case 'order': {
      if (!Number.isInteger(m.ttl) || m.ttl < 0 || m.ttl > MAX_ORDER_TTL) throw new RangeError(`an order's ttl is 0..${MAX_ORDER_TTL}, not ${m.ttl}`);
      if (!ORDER_TYPES.has(m.block.type)) throw new RangeError(`a ${m.block.type} block is not an order or a cancellation`);
      const block = encodeBlock(m.block);
      if (block.length > MAX_ORDER_BLOCK_BYTES) throw new RangeError(`an order block is at most ${MAX_ORDER_BLOCK_BYTES} bytes`);
      w.u8(m.ttl).fixed(block, block.length);
      break;
    }
    case 'sync-request':
    case 'sync-answer': {
      const sync = encodeBookSync(m);
      w.fixed(sync, sync.length);
      break;
    }
    case 'match':
      writeOrderRef(writeOrderRef(writeMatchId(w, m.matchId), m.ask), m.bid).u64(m.quantity).u64(m.price).fixed(m.matchmaker, KEY_BYTES);
      break;
    case 'propose':
      writeOrderRef(writeOrderRef(writeMatchId(w, m.matchId), orderRefOf(m.askId)), orderRefOf(m.bidId)).u64(m.quantity).u64(m.price);
      break;
    case 'counter':
      writeMatchId(w, m.matchId).u64(m.quantity);
      break;
    case 'accept':
      writeMatchId(w, m.matchId).u64(m.quantity).u64(m.price);
      break;
    case 'decline':
      writeDeclineReason(writeMatchId(w, m.matchId), m.reason);
      break;
    case 'match-outcome':
      writeMatchId(w, m.matchId);
      if (m.outcome.kind === 'declined') writeDeclineReason(w.u8(OUTCOME_DECLINED), m.outcome.reason);
      else writeTradeId(w.u8(OUTCOME_TRADED), m.outcome.tradeId).u64(m.outcome.quantity);
      break;
    case 'payment-notice': {
      const payment = tradePaymentType.encode(m.payment);
      w.fixed(payment, payment.length);
      break;
    }
    case 'error':
      w.string(m.message, MAX_MARKET_ERROR_BYTES);
      break;
  }
  const out = w.finish();
  if (out.length > MAX_MARKET_FRAME_BYTES) throw new RangeError(`a market frame is at most ${MAX_MARKET_FRAME_BYTES} bytes`);
  return out;
}

/** The rest of the frame: the last field of messages whose own codec delimits it. */
function rest(r: BinaryReader, what: string): Uint8Array {
  return r.fixed(r.remaining, what);
}

/** Throws only DecodeError: oversized, wrong version, unknown tag, bounds, values out of form, trailing bytes. */
export function decodeMarketMessage(bytes: Uint8Array): MarketMessage {
  if (bytes.length > MAX_MARKET_FRAME_BYTES) throw new DecodeError('too-long', `a market frame of ${bytes.length} bytes is over ${MAX_MARKET_FRAME_BYTES}`);
  const r = new BinaryReader(bytes);
  const version = r.u8('market version');
  if (version !== MARKET_WIRE_VERSION) throw new DecodeError('unknown-version', `market wire version ${version} is not supported`);
  const tag = r.u8('market message tag');
  let m: MarketMessage;
  switch (tag) {
    case TAGS.order: {
      const ttl = r.u8('ttl');
      if (ttl > MAX_ORDER_TTL) throw new DecodeError('invalid-value', `an order's ttl is 0..${MAX_ORDER_TTL}, not ${ttl}`);
      if (r.remaining > MAX_ORDER_BLOCK_BYTES) throw new DecodeError('too-long', `an order block of ${r.remaining} bytes is over ${MAX_ORDER_BLOCK_BYTES}`);
      const block = decodeBlock(rest(r, 'order block'));
      if (!ORDER_TYPES.has(block.type)) throw new DecodeError('invalid-value', `a ${block.type} block is not an order or a cancellation`);
      m = { type: 'order', ttl, block };
      break;
    }
    case TAGS['sync-request']:
    case TAGS['sync-answer']: {
      const sync = decodeBookSync(rest(r, 'book-sync message'));
      if (TAGS[sync.type] !== tag) throw new DecodeError('invalid-value', `a ${sync.type} inside a frame tagged ${tag}`);
      m = sync;
      break;
    }
    case TAGS.match:
      m = { type: 'match', matchId: readMatchId(r), ask: readOrderRef(r, 'ask'), bid: readOrderRef(r, 'bid'), quantity: r.u64('quantity'), price: r.u64('price'), matchmaker: r.fixed(KEY_BYTES, 'matchmaker key') };
      break;
    case TAGS.propose:
      m = { type: 'propose', matchId: readMatchId(r), askId: orderIdOf(readOrderRef(r, 'ask')), bidId: orderIdOf(readOrderRef(r, 'bid')), quantity: r.u64('quantity'), price: r.u64('price') };
      break;
    case TAGS.counter:
      m = { type: 'counter', matchId: readMatchId(r), quantity: r.u64('quantity') };
      break;
    case TAGS.accept:
      m = { type: 'accept', matchId: readMatchId(r), quantity: r.u64('quantity'), price: r.u64('price') };
      break;
    case TAGS.decline:
      m = { type: 'decline', matchId: readMatchId(r), reason: readDeclineReason(r) };
      break;
    case TAGS['match-outcome']: {
      const matchId = readMatchId(r);
      const kind = r.u8('match outcome');
      let outcome: MatchOutcome;
      if (kind === OUTCOME_DECLINED) outcome = { kind: 'declined', reason: readDeclineReason(r) };
      else if (kind === OUTCOME_TRADED) outcome = { kind: 'traded', tradeId: readTradeId(r), quantity: r.u64('quantity traded') };
      else throw new DecodeError('invalid-value', `match outcome ${kind} is not 1 (declined) or 2 (traded)`);
      m = { type: 'match-outcome', matchId, outcome };
      break;
    }
    case TAGS['payment-notice']:
      m = { type: 'payment-notice', payment: tradePaymentType.decode(rest(r, 'trade payment')) };
      break;
    case TAGS.error:
      m = { type: 'error', message: r.string(MAX_MARKET_ERROR_BYTES, 'error text') };
      break;
    default:
      throw new DecodeError('unknown-type', `market message tag ${tag} is unknown`);
  }
  r.end('market message');
  return m;
}

const NEGOTIATION_TYPES = new Set<MarketMessage['type']>(['propose', 'counter', 'accept', 'decline']);

export function isNegotiationMessage(m: MarketMessage): m is NegotiationMessage {
  return NEGOTIATION_TYPES.has(m.type);
}

/** A negotiation message for Negotiations.receive; DecodeError if the frame holds another kind. */
export function decodeNegotiationMessage(bytes: Uint8Array): NegotiationMessage {
  const m = decodeMarketMessage(bytes);
  if (!isNegotiationMessage(m)) throw new DecodeError('unknown-type', `a ${m.type} message where a negotiation message was expected`);
  return m;
}

export function encodeNegotiationMessage(m: NegotiationMessage): Uint8Array {
  return encodeMarketMessage(m);
}
