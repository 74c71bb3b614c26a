/**
 * `transfer`: tokens one identity pays another outright, e.g. bandwidth
 * tokens sold for Ether in the exchange (src/exchange). Pure.
 *
 * One way, like `payout`: the payer proposes (down = amount, up = 0), the
 * payee agrees (up = amount, down = 0), and the agreement mirrors the
 * proposal's amount and reference. The running totals are the same ones as
 * `bandwidth` and `payout`, so a balance adds up across all three, and
 * verified-balance.ts counts a transfer like any token block: the payee's
 * credit only from a complete pair (so a payee cannot write its own credit
 * without the payer's signed proposal), the payer's debit as soon as it signed.
 * A proposal must name its payee, as every token-carrying proposal must
 * (validation.ts): every agreement to an open one would be credited.
 *
 * The reference (1..MAX_TRANSFER_REFERENCE_BYTES opaque bytes) lets a
 * settlement name the transfer that paid it; its content is the exchange's
 * (e.g. a trade id and installment index), the ledger only bounds and mirrors it.
 *
 * Encoding (canonical, 34..97 bytes): four u64 big-endian (up, down, totalUp,
 * totalDown), then the reference as a u8 length and its bytes.
 */
import { BinaryReader, BinaryWriter } from '../../codec/binary.ts';
import { bytesEqual, toHex } from '../../codec/bytes.ts';
import { isProposal } from '../block.ts';
import { MAX_TRANSFER_REFERENCE_BYTES } from '../constants.ts';
import type { RunningTotals } from './bandwidth.ts';
import type { TokenAmounts, TransactionType } from './registry.ts';

export const TRANSFER = 'transfer';

export interface TransferTx extends TokenAmounts {
  /** What this transfer pays for, as the payer named it; the agreement repeats it. */
  reference: Uint8Array;
}

/** Largest value of a u64 field. */
const U64_MAX = 0xffff_ffff_ffff_ffffn;

export const transferType: TransactionType<TransferTx> = {
  name: TRANSFER,
  decode(bytes) {
    const r = new BinaryReader(bytes);
    const tx = { up: r.u64('up'), down: r.u64('down'), totalUp: r.u64('total up'), totalDown: r.u64('total down'), reference: r.bytes(MAX_TRANSFER_REFERENCE_BYTES, 'transfer reference') };
    r.end('transfer transaction');
    return tx;
  },
  encode(tx) {
    return new BinaryWriter(33 + tx.reference.length).u64(tx.up).u64(tx.down).u64(tx.totalUp).u64(tx.totalDown).bytes(tx.reference, MAX_TRANSFER_REFERENCE_BYTES).finish();
  },
  check(tx, block) {
    const errors: string[] = [];
    const amount = isProposal(block) ? tx.down : tx.up;
    if (amount === 0n) errors.push('a transfer must move some tokens (its amount is 0)');
    if (isProposal(block) ? tx.up !== 0n : tx.down !== 0n) errors.push('a transfer goes one way: the proposer pays (down), the payee that agrees is paid (up)');
    if (tx.reference.length === 0) errors.push('a transfer must carry a reference to what it pays for');
    if (tx.totalUp < tx.up) errors.push('total up is smaller than this transaction\'s up');
    if (tx.totalDown < tx.down) errors.push('total down is smaller than this transaction\'s down');
    return errors;
  },
  tokens: ({ up, down, totalUp, totalDown }) => ({ up, down, totalUp, totalDown }),
  checkAgreement(agreement, proposal) {
    const errors: string[] = [];
    if (agreement.up !== proposal.down || agreement.down !== proposal.up) {
      errors.push(`agreement (up ${agreement.up}, down ${agreement.down}) does not mirror its proposal (up ${proposal.up}, down ${proposal.down})`);
    }
    if (!bytesEqual(agreement.reference, proposal.reference)) {
      errors.push(`agreement reference ${toHex(agreement.reference)} differs from its proposal's ${toHex(proposal.reference)}`);
    }
    return errors;
  },
  agreementFor: (proposal, ownTotals) => transferAgreement(proposal, ownTotals),
};

function checkedTransfer(previousTotals: RunningTotals | undefined, up: bigint, down: bigint, reference: Uint8Array): TransferTx {
  if (up < 0n || down < 0n) throw new RangeError('a transfer amount cannot be negative');
  if (up === 0n && down === 0n) throw new RangeError('a transfer must move some tokens');
  if (up > U64_MAX || down > U64_MAX) throw new RangeError('a transfer amount must fit in a u64');
  if (reference.length === 0 || reference.length > MAX_TRANSFER_REFERENCE_BYTES) {
    throw new RangeError(`a transfer reference is 1..${MAX_TRANSFER_REFERENCE_BYTES} bytes, not ${reference.length}`);
  }
  const tx = { up, down, totalUp: (previousTotals?.totalUp ?? 0n) + up, totalDown: (previousTotals?.totalDown ?? 0n) + down, reference };
  if (tx.totalUp > U64_MAX || tx.totalDown > U64_MAX) throw new RangeError('running totals would overflow u64');
  return tx;
}

/**
 * The payer's proposal: pays `amount` tokens for `reference`, totals
 * continuing from `previousTotals` (its latest token-carrying block of any
 * type; undefined for none). Throws RangeError for what the rules would refuse
 * (zero, negative or over-u64 amount, empty or oversized reference, overflowing totals).
 */
export function transferProposal(previousTotals: RunningTotals | undefined, amount: bigint, reference: Uint8Array): TransferTx {
  return checkedTransfer(previousTotals, 0n, amount, reference);
}

/** The payee's agreement: is paid the proposal's amount, same reference, totals continuing its own. */
export function transferAgreement(proposal: TransferTx, ownTotals: RunningTotals | undefined): TransferTx {
  return checkedTransfer(ownTotals, proposal.down, proposal.up, proposal.reference);
}
