/**
 * `bandwidth`: bytes one peer uploaded to another, with each owner's running
 * totals. The uploader's balance grows by `up`, the downloader's shrinks by
 * `down`; an agreement mirrors its proposal (its up = the proposal's down).
 *
 * Encoding: four u64, big-endian: up, down, totalUp, totalDown (32 bytes).
 */
import { BinaryReader, BinaryWriter } from '../../codec/binary.ts';
import type { TokenAmounts, TransactionType } from './registry.ts';

export const BANDWIDTH = 'bandwidth';

export type BandwidthTx = TokenAmounts;

export const bandwidthType: TransactionType<BandwidthTx> = {
  name: BANDWIDTH,
  decode(bytes) {
    const r = new BinaryReader(bytes);
    const tx = { up: r.u64('up'), down: r.u64('down'), totalUp: r.u64('total up'), totalDown: r.u64('total down') };
    r.end('bandwidth transaction');
    return tx;
  },
  encode(tx) {
    return new BinaryWriter(32).u64(tx.up).u64(tx.down).u64(tx.totalUp).u64(tx.totalDown).finish();
  },
  check(tx) {
    const errors: string[] = [];
    if (tx.up === 0n && tx.down === 0n) errors.push('a bandwidth transaction must move some bytes (up and down are both 0)');
    if (tx.totalUp < tx.up) errors.push('total up is smaller than this transaction\'s up');
    if (tx.totalDown < tx.down) errors.push('total down is smaller than this transaction\'s down');
    return errors;
  },
  tokens: (tx) => tx,
  checkAgreement(agreement, proposal) {
    const errors: string[] = [];
    if (agreement.up !== proposal.down || agreement.down !== proposal.up) {
      errors.push(`agreement (up ${agreement.up}, down ${agreement.down}) does not mirror its proposal (up ${proposal.up}, down ${proposal.down})`);
    }
    return errors;
  },
  agreementFor: (proposal, ownTotals) => bandwidthAgreement(proposal, ownTotals),
};

/** The owner's running totals, as read from its latest token-carrying block (of any type). */
export type RunningTotals = Pick<TokenAmounts, 'totalUp' | 'totalDown'>;

/** Largest value of a u64 field. */
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** The owner's next transaction, its totals continuing from the previous ones (undefined: none yet). No checks. */
export function nextBandwidth(previousTotals: RunningTotals | undefined, up: bigint, down: bigint): BandwidthTx {
  return { up, down, totalUp: (previousTotals?.totalUp ?? 0n) + up, totalDown: (previousTotals?.totalDown ?? 0n) + down };
}

/**
 * A proposal's transaction: this owner provided `up` and consumed `down` bytes,
 * totals continuing from `previousTotals` (the owner's latest token-carrying
 * block; undefined for none). Throws RangeError for a transaction the rules
 * would refuse (negative, both zero, totals beyond u64).
 */
export function bandwidthProposal(previousTotals: RunningTotals | undefined, amounts: { up: bigint; down: bigint }): BandwidthTx {
  const { up, down } = amounts;
  if (up < 0n || down < 0n) throw new RangeError('bandwidth amounts cannot be negative');
  if (up === 0n && down === 0n) throw new RangeError('a bandwidth transaction must move some bytes');
  const tx = nextBandwidth(previousTotals, up, down);
  if (tx.totalUp > U64_MAX || tx.totalDown > U64_MAX) throw new RangeError('running totals would overflow u64');
  return tx;
}

/** The agreement's transaction: mirrors the proposal (up = its down), totals continuing the agreeing owner's own. */
export function bandwidthAgreement(proposal: BandwidthTx, ownTotals: RunningTotals | undefined): BandwidthTx {
  return bandwidthProposal(ownTotals, { up: proposal.down, down: proposal.up });
}
