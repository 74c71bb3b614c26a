/**
 * A balance anyone can check from signed blocks, not from self-reported totals.
 * Running totals include proposals the counterparty never countersigned, so
 * summing them would let a peer inflate its balance by proposing to peers who
 * refuse. Here a proposal's `up` counts only with its agreement; `down` always
 * counts (it only hurts the owner), and agreements count in full (the other
 * party signed the amounts). Pure.
 */
import { isProposal, type HalfBlock } from './block.ts';
import type { TransactionRegistry } from './transactions/registry.ts';

export interface VerifiedTally {
  up: bigint;
  down: bigint;
  /** Blocks 1..through are counted and settled (no proposal awaiting its agreement). */
  through: number;
}

export const EMPTY_TALLY: VerifiedTally = { up: 0n, down: 0n, through: 0 };

/**
 * Extends `tally` with the owner's consecutive blocks `blocks` (starting at
 * tally.through + 1). `agreed(seq)` tells whether the owner's proposal at seq
 * has a (verified) agreement. Returns the tally over all given blocks and the
 * position up to which it is final: a proposal still awaiting its agreement
 * is counted when it is answered, so the tally is resumed from before it.
 */
export function extendTally(tally: VerifiedTally, blocks: readonly HalfBlock[], agreed: (seq: number) => boolean, registry: TransactionRegistry): { total: VerifiedTally; resumable: VerifiedTally } {
  let up = tally.up;
  let down = tally.down;
  let resumable: VerifiedTally | undefined;
  let expected = tally.through + 1;
  for (const b of blocks) {
    if (b.sequenceNumber !== expected) break;
    expected++;
    const t = registry.tokensOf(b);
    if (t !== undefined && t !== null) {
      down += t.down;
      if (!isProposal(b) || agreed(b.sequenceNumber)) up += t.up;
      else resumable ??= { up, down: down - t.down, through: b.sequenceNumber - 1 };
    }
  }
  const total = { up, down, through: expected - 1 };
  return { total, resumable: resumable ?? total };
}
