/**
 * A balance anyone can check from signed blocks, not from self-reported totals.
 * Pure.
 *
 * A credit (`up`) counts only from a complete pair: both parties signed the
 * amount. For the owner's proposal, a stored agreement by the key the proposal
 * names (any key for ANY_COUNTERPARTY) that links to it and mirrors it; for the
 * owner's agreement, the stored proposal it answers, addressed to the owner,
 * of the same type and mirrored (validation.ts pairErrors). Without that, a
 * peer could write agreements to proposals that never existed, naming any key
 * and any amount, and mint itself a balance. A half whose other half is
 * missing or does not match credits nothing and is reported as unconfirmed.
 *
 * A debit (`down`) counts as soon as the owner signed it, whatever became of
 * the other half: the owner cannot disown its own signature, and if debits
 * needed the counterparty's half too, a peer could hide its debt by keeping
 * that half from us (or by never forwarding it). Counting debits alone only
 * ever makes a balance lower than the truth, never higher.
 *
 * The tally is incremental: each chain's counted prefix is kept with the
 * credits in it still awaiting their other half (`pending`); each extension
 * looks at those again, and credits them once the other half has arrived.
 */
import { bytesEqual } from '../codec/bytes.ts';
import { isAgreement, isProposal, type HalfBlock } from './block.ts';
import type { TransactionRegistry } from './transactions/registry.ts';
import { pairErrors } from './validation.ts';

export interface VerifiedTally {
  /** Credits from complete pairs. */
  up: bigint;
  /** Every debit the owner signed. */
  down: bigint;
  /** Blocks 1..through are counted. */
  through: number;
  /** The owner's blocks among 1..through whose credit awaits its other half (counted as zero until then). */
  pending: readonly HalfBlock[];
}

export const EMPTY_TALLY: VerifiedTally = { up: 0n, down: 0n, through: 0, pending: [] };

/** The stored halves a tally may pair the owner's blocks with. */
export interface PairLookup {
  /** Stored agreements that link to the owner's block at `seq`. */
  agreementsTo(seq: number): readonly HalfBlock[];
  /** The stored block at the position an owner's agreement names as its proposal. */
  proposalOf(agreement: HalfBlock): HalfBlock | undefined;
}

/** Whether `other` completes the pair with the owner's `block` (both decodable, linked, addressed, mirrored). */
export function completesPair(block: HalfBlock, other: HalfBlock, registry: TransactionRegistry): boolean {
  if (registry.tokensOf(other) === null) return false;
  if (isProposal(block)) {
    if (!isAgreement(other) || bytesEqual(other.publicKey, block.publicKey)) return false;
    return pairErrors(block, other, registry).length === 0;
  }
  return pairErrors(other, block, registry).length === 0;
}

/** Whether the owner's `block` has its other half among the stored ones. */
export function isConfirmed(block: HalfBlock, lookup: PairLookup, registry: TransactionRegistry): boolean {
  if (isProposal(block)) return lookup.agreementsTo(block.sequenceNumber).some((a) => completesPair(block, a, registry));
  const proposal = lookup.proposalOf(block);
  return proposal !== undefined && completesPair(block, proposal, registry);
}

function creditOf(b: HalfBlock, registry: TransactionRegistry): bigint {
  const t = registry.tokensOf(b);
  return t === undefined || t === null ? 0n : t.up;
}

/**
 * Extends `tally` with the owner's consecutive blocks `blocks` (starting at
 * tally.through + 1; a gap ends the tally), and credits the pending blocks
 * whose other half `lookup` now finds. Credits count only when isConfirmed;
 * debits always. `lookup` must answer for the pending blocks and the new ones.
 */
export function extendTally(tally: VerifiedTally, blocks: readonly HalfBlock[], lookup: PairLookup, registry: TransactionRegistry): VerifiedTally {
  let up = tally.up;
  let down = tally.down;
  const pending: HalfBlock[] = [];
  for (const b of tally.pending) {
    if (isConfirmed(b, lookup, registry)) up += creditOf(b, registry);
    else pending.push(b);
  }
  let expected = tally.through + 1;
  for (const b of blocks) {
    if (b.sequenceNumber !== expected) break;
    expected++;
    const t = registry.tokensOf(b);
    if (t === undefined || t === null) continue;
    if (t.up > 0n && !isConfirmed(b, lookup, registry)) pending.push(b);
    else up += t.up;
    down += t.down;
  }
  return { up, down, through: expected - 1, pending };
}

/** What the pending credits would add: shown as unconfirmed, counted as nothing. */
export function unconfirmedUp(tally: VerifiedTally, registry: TransactionRegistry): bigint {
  return tally.pending.reduce((sum, b) => sum + creditOf(b, registry), 0n);
}
