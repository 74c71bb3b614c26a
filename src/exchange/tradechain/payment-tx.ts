/**
 * TradeChain `trade-payment` (pure): one installment of a trade, a PAIR
 * between the two traders. The payer proposes it after paying; the receiver
 * countersigns an identical transaction only once it has seen the payment
 * (a signed token transfer pair, or an Ether transaction with enough
 * confirmations), so a countersigned payment is the receiver's receipt.
 *
 * Encoding:
 *   16-byte trade id
 *   u8 payer side (0 the ask side, paying the base asset; 1 the bid side, paying the quote)
 *   asset (u8 length + ticker)
 *   u128 amount (> 0, in the asset's smallest unit: bytes, wei)
 *   u32 payment index (the settlement's schedule, installments.ts: round r's
 *       token installment is 2r, its Ether installment 2r + 1; < 2 * MAX_INSTALLMENTS)
 *   u8 reference kind, then:
 *     0 ether-tx        32-byte transaction hash on the Ethereum chain
 *     1 token-transfer  32-byte key + u32 sequence number of the payer's TrustChain transfer block
 *
 * Whether the side pays the right asset of the pair, and the index follows the
 * previous one, is checked by the settlement against its trade-init.
 * What a network layer calls: nothing directly; the settlement builds these.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../../codec/binary.ts';
import { bytesEqual } from '../../codec/bytes.ts';
import { HASH_BYTES, KEY_BYTES, MAX_SEQ } from '../../ledger/constants.ts';
import type { TransactionType } from '../../ledger/transactions/registry.ts';
import { ETHER, MAX_INSTALLMENTS } from '../constants.ts';
import { readAsset, readTradeId, readU128, writeAsset, writeTradeId, writeU128 } from './fields.ts';
import type { Side } from './order-tx.ts';
import { identicalAgreement } from './trade-tx.ts';

export const TRADE_PAYMENT = 'trade-payment';

export type PaymentReference =
  | { kind: 'ether-tx'; txHash: Uint8Array }
  | { kind: 'token-transfer'; publicKey: Uint8Array; sequenceNumber: number };

export interface TradePaymentTx {
  tradeId: Uint8Array;
  payer: Side;
  asset: string;
  amount: bigint;
  /** Position in the schedule: 2 x round, + 1 for the quote (Ether) payment. */
  index: number;
  reference: PaymentReference;
}

const SIDES: readonly Side[] = ['ask', 'bid'];

function encodePayment(tx: TradePaymentTx): Uint8Array {
  const w = writeTradeId(new BinaryWriter(96), tx.tradeId).u8(SIDES.indexOf(tx.payer));
  writeU128(writeAsset(w, tx.asset), tx.amount).u32(tx.index);
  const ref = tx.reference;
  if (ref.kind === 'ether-tx') w.u8(0).fixed(ref.txHash, HASH_BYTES);
  else {
    if (!Number.isInteger(ref.sequenceNumber) || ref.sequenceNumber < 1 || ref.sequenceNumber > MAX_SEQ) throw new RangeError(`sequence number ${ref.sequenceNumber} outside 1..${MAX_SEQ}`);
    w.u8(1).fixed(ref.publicKey, KEY_BYTES).u32(ref.sequenceNumber);
  }
  return w.finish();
}

function readReference(r: BinaryReader): PaymentReference {
  const kind = r.u8('reference kind');
  if (kind === 0) return { kind: 'ether-tx', txHash: r.fixed(HASH_BYTES, 'transaction hash') };
  if (kind === 1) {
    const publicKey = r.fixed(KEY_BYTES, 'transfer owner');
    const sequenceNumber = r.u32('transfer sequence number');
    if (sequenceNumber < 1) throw new DecodeError('invalid-value', 'a transfer block has a sequence number from 1');
    return { kind: 'token-transfer', publicKey, sequenceNumber };
  }
  throw new DecodeError('invalid-value', `payment reference kind ${kind} is not 0 (ether-tx) or 1 (token-transfer)`);
}

export const tradePaymentType: TransactionType<TradePaymentTx> = {
  name: TRADE_PAYMENT,
  decode(bytes) {
    const r = new BinaryReader(bytes);
    const tradeId = readTradeId(r);
    const side = r.u8('payer side');
    const payer = SIDES[side];
    if (payer === undefined) throw new DecodeError('invalid-value', `payer side ${side} is not 0 (ask) or 1 (bid)`);
    const tx = { tradeId, payer, asset: readAsset(r), amount: readU128(r, 'amount'), index: r.u32('payment index'), reference: readReference(r) };
    r.end('trade-payment');
    return tx;
  },
  encode: encodePayment,
  check(tx, block) {
    const errors: string[] = [];
    if (tx.amount === 0n) errors.push('an installment must pay something (amount is 0)');
    if (tx.index >= 2 * MAX_INSTALLMENTS) errors.push(`payment index ${tx.index} is beyond the last a trade has (${2 * MAX_INSTALLMENTS - 1})`);
    const onEthereum = tx.asset === ETHER;
    if (onEthereum !== (tx.reference.kind === 'ether-tx')) errors.push(onEthereum ? 'an Ether payment names its Ethereum transaction' : `a ${tx.asset} payment names its TrustChain transfer block`);
    if (tx.reference.kind === 'token-transfer' && !bytesEqual(tx.reference.publicKey, block.publicKey) && !bytesEqual(tx.reference.publicKey, block.linkPublicKey)) {
      errors.push('the transfer block named is not in either trader\'s chain');
    }
    return errors;
  },
  checkAgreement: identicalAgreement(encodePayment, 'trade-payment'),
};
