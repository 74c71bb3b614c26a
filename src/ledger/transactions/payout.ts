/**
 * `payout`: tokens a circuit's originator (or a relay, passing on the rest)
 * pays the next hop for relaying. Same encoding and running totals as
 * `bandwidth`, so balances add up across both; but one way only: the proposer
 * pays (down), the agreeing relay is paid (up).
 */
import { isProposal } from '../block.ts';
import { bandwidthType, type BandwidthTx } from './bandwidth.ts';
import type { TransactionType } from './registry.ts';

export const PAYOUT = 'payout';

export const payoutType: TransactionType<BandwidthTx> = {
  ...bandwidthType,
  name: PAYOUT,
  check(tx, block) {
    const errors = bandwidthType.check(tx, block);
    if (isProposal(block) ? tx.up !== 0n : tx.down !== 0n) errors.push('a payout goes one way: the proposer pays (down), the relay that agrees is paid (up)');
    return errors;
  },
};
