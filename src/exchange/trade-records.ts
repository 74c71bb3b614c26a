/**
 * What a trade writes on the chains, built from its terms (pure): the
 * reference a token transfer carries (which trade and installment it pays),
 * payment ids as the settlement names them, and the trade-payment and
 * trade-done transactions.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { fromHex, toHex } from '../codec/bytes.ts';
import { TRADE_ID_BYTES } from './constants.ts';
import type { Asset } from './installments.ts';
import { ETHER } from './constants.ts';
import type { TradeFailure } from './settlement.ts';
import type { PaymentReference, TradePaymentTx } from './tradechain/payment-tx.ts';
import type { TradeDoneTx, TradeInitTx } from './tradechain/trade-tx.ts';

/** The base asset's ticker: bandwidth tokens. */
export const TOKENS = 'MBT';
/** A transfer's reference for a trade: "T" | trade id | u32 installment index. */
const REFERENCE_TAG = 0x54;

export function transferReference(tradeId: Uint8Array, index: number): Uint8Array {
  return new BinaryWriter(1 + TRADE_ID_BYTES + 4).u8(REFERENCE_TAG).fixed(tradeId, TRADE_ID_BYTES).u32(index).finish();
}

/** The trade and installment a transfer pays, or undefined for a transfer that is not a trade's. */
export function parseTransferReference(bytes: Uint8Array): { tradeId: string; index: number } | undefined {
  try {
    const r = new BinaryReader(bytes);
    if (r.u8('tag') !== REFERENCE_TAG) return undefined;
    const tradeId = toHex(r.fixed(TRADE_ID_BYTES, 'trade id'));
    const index = r.u32('index');
    r.end('transfer reference');
    return { tradeId, index };
  } catch (err) {
    if (err instanceof DecodeError) return undefined;
    throw err;
  }
}

/** A token payment's id: the payer's transfer block. */
export function tokenPaymentId(payerHex: string, sequenceNumber: number): string {
  return `${payerHex}:${sequenceNumber}`;
}

export function paymentIdOf(reference: PaymentReference): string {
  return reference.kind === 'ether-tx' ? `0x${toHex(reference.txHash)}` : tokenPaymentId(toHex(reference.publicKey), reference.sequenceNumber);
}

export function paymentReferenceOf(asset: Asset, paymentId: string): PaymentReference {
  if (asset === 'ether') return { kind: 'ether-tx', txHash: fromHex(paymentId.replace(/^0x/, '')) };
  const [key, seq] = paymentId.split(':');
  return { kind: 'token-transfer', publicKey: fromHex(key!), sequenceNumber: Number(seq) };
}

export function tradePaymentTx(tradeId: Uint8Array, index: number, asset: Asset, amount: bigint, paymentId: string): TradePaymentTx {
  return { tradeId, payer: asset === 'tokens' ? 'ask' : 'bid', asset: asset === 'tokens' ? TOKENS : ETHER, amount, index, reference: paymentReferenceOf(asset, paymentId) };
}

export function assetOf(tx: Pick<TradePaymentTx, 'asset'>): Asset {
  return tx.asset === ETHER ? 'ether' : 'tokens';
}

export function tradeDoneTx(init: TradeInitTx, outcome: { paid: { tokens: bigint; wei: bigint } } | { failure: TradeFailure }): TradeDoneTx {
  const common = { tradeId: init.tradeId, ask: init.ask, bid: init.bid };
  if ('paid' in outcome) {
    return { ...common, outcome: 'completed', baseTransferred: outcome.paid.tokens, quoteTransferred: outcome.paid.wei, defaulter: 'none', reason: '' };
  }
  const f = outcome.failure;
  return {
    ...common,
    outcome: 'failed',
    baseTransferred: f.paid.tokens,
    quoteTransferred: f.paid.wei,
    defaulter: f.stalled === 'seller' ? 'ask' : 'bid',
    reason: failureSentence(f).slice(0, 200),
  };
}

/** A failure in words, for the record and the page. */
export function failureSentence(f: Pick<TradeFailure, 'reason' | 'stalled' | 'atIndex'>): string {
  const who = f.stalled === 'seller' ? 'the seller' : 'the buyer';
  switch (f.reason) {
    case 'counterparty-silent':
      return `${who} stopped at installment ${f.atIndex + 1}: no payment or countersignature in time`;
    case 'my-payment-not-sent':
      return `${who} did not send installment ${f.atIndex + 1} in time`;
    case 'my-payment-failed':
      return `${who} could not pay installment ${f.atIndex + 1}`;
  }
}
