/**
 * Validation of a half-block against what the local store knows, graded as
 * py-ipv8 grades it, with every TrustChain rule, running-totals checks for
 * token-carrying types, and fraud proofs when the block proves its owner forked.
 *
 *   valid             both direct neighbours in the chain are known and consistent
 *                     (for a genesis block: the direct successor)
 *   partial-next      the direct predecessor is known, the successor is not
 *   partial-previous  the direct successor is known, the predecessor is not
 *   partial           neighbours are known but not adjacent
 *   no-info           nothing is known of this (non-genesis) block's chain
 *   invalid           a rule is broken
 *
 * Pure and synchronous over a pre-fetched Neighbourhood (loadNeighbourhood
 * fetches one from a store), with an injectable signature check so a worker
 * pool can verify in batches.
 */
import { bytesEqual } from '../codec/bytes.ts';
import { decodePublicKeyStrict } from '../crypto/signature.ts';
import { isAgreement, isProposal, type HalfBlock } from './block.ts';
import { blockHash, verifyBlockSignature } from './block-codec.ts';
import type { BlockStoreReader } from './block-store.ts';
import { ANY_COUNTERPARTY, GENESIS_HASH, GENESIS_SEQ, MAX_TOTALS_WALK } from './constants.ts';
import { makeFraudProof, type FraudProof } from './fraud.ts';
import type { TokenAmounts, TransactionRegistry } from './transactions/registry.ts';

export type ValidationOutcome = 'valid' | 'partial' | 'partial-next' | 'partial-previous' | 'no-info' | 'invalid';

/** The owner's running totals just before a block. */
export type TotalsBefore =
  | { kind: 'start' } // no earlier token-carrying block: totals start from zero
  | { kind: 'block'; block: HalfBlock; tokens: TokenAmounts }
  | { kind: 'unknown' }; // a gap or an unknown type lies in between

export interface Neighbourhood {
  /** A stored block at the same (owner, seq), if any. */
  sameSeq?: HalfBlock | undefined;
  /** The owner's known block with the highest seq below this one. */
  previous?: HalfBlock | undefined;
  /** The owner's known block with the lowest seq above this one. */
  next?: HalfBlock | undefined;
  /** For an agreement: the proposal it answers, if known. */
  proposal?: HalfBlock | undefined;
  /** For an agreement: other agreements by the same owner to the same proposal. */
  rivalAgreements: HalfBlock[];
  totalsBefore: TotalsBefore;
  /** The owner's next token-carrying block, if the chain up to it is known. */
  nextTokenBlock?: HalfBlock | undefined;
}

export interface ValidationResult {
  outcome: ValidationOutcome;
  errors: string[];
  fraud?: FraudProof;
}

export type SignatureCheck = (block: HalfBlock) => boolean;

const RANK: Record<ValidationOutcome, number> = { valid: 0, 'partial-next': 1, 'partial-previous': 1, partial: 2, 'no-info': 3, invalid: 4 };

/** py-ipv8's grading by which direct neighbours are known. */
export function gradeByNeighbours(block: HalfBlock, previous: HalfBlock | undefined, next: HalfBlock | undefined): ValidationOutcome {
  const seq = block.sequenceNumber;
  const prevGap = previous === undefined || previous.sequenceNumber !== seq - 1;
  const nextGap = next === undefined || next.sequenceNumber !== seq + 1;
  const genesis = seq === GENESIS_SEQ;
  if (previous === undefined && next === undefined) return genesis ? 'partial-next' : 'no-info';
  if (previous === undefined) {
    if (genesis) return nextGap ? 'partial-next' : 'valid';
    return nextGap ? 'partial' : 'partial-previous';
  }
  if (next === undefined) return prevGap ? 'partial' : 'partial-next';
  if (prevGap && nextGap) return 'partial';
  if (prevGap) return 'partial-previous';
  if (nextGap) return 'partial-next';
  return 'valid';
}

/** Missing running totals lower the grade like a missing predecessor does. */
function withUnknownTotals(outcome: ValidationOutcome): ValidationOutcome {
  if (outcome === 'valid') return 'partial-previous';
  if (outcome === 'partial-next') return 'partial';
  return outcome;
}

export function validateBlock(
  block: HalfBlock,
  n: Neighbourhood,
  registry: TransactionRegistry,
  checkSignature: SignatureCheck = verifyBlockSignature,
): ValidationResult {
  const errors: string[] = [];
  let fraud: FraudProof | undefined;
  const seq = block.sequenceNumber;

  // Invariants of the block itself.
  if (decodePublicKeyStrict(block.publicKey) === null) errors.push('the owner key is not a valid Ed25519 public key');
  if (bytesEqual(block.publicKey, block.linkPublicKey)) errors.push('a block cannot link to its own chain');
  if (seq === GENESIS_SEQ && !bytesEqual(block.previousHash, GENESIS_HASH)) errors.push('a genesis block must carry the genesis hash');
  if (seq !== GENESIS_SEQ && bytesEqual(block.previousHash, GENESIS_HASH)) errors.push('only the genesis block may carry the genesis hash');
  if (isAgreement(block) && bytesEqual(block.linkPublicKey, ANY_COUNTERPARTY)) errors.push('an agreement must name the proposer');
  const signed = errors.length === 0 && checkSignature(block);
  if (errors.length === 0 && !signed) errors.push('the signature does not verify');

  // The transaction.
  const type = registry.get(block.type);
  let tx: unknown;
  if (type !== undefined) {
    try {
      tx = type.decode(block.transaction);
      errors.push(...type.check(tx, block));
    } catch (err) {
      errors.push(`the ${block.type} transaction is malformed: ${(err as Error).message}`);
    }
  }

  // Consistency with a stored block at the same position: two signed blocks there is a fork.
  if (n.sameSeq !== undefined && !bytesEqual(blockHash(n.sameSeq), blockHash(block))) {
    errors.push(`the owner signed a different block at sequence number ${seq} (double sign)`);
    if (signed && checkSignature(n.sameSeq)) fraud = makeFraudProof('double-sign', n.sameSeq, block);
  }

  // Consistency with the linked half.
  if (isAgreement(block)) {
    const p = n.proposal;
    if (p !== undefined) {
      if (!isProposal(p)) errors.push('the linked block is not a proposal');
      if (!bytesEqual(p.publicKey, block.linkPublicKey) || p.sequenceNumber !== block.linkSequenceNumber) errors.push('the linked proposal is not the one this agreement names');
      if (!bytesEqual(p.linkPublicKey, block.publicKey) && !bytesEqual(p.linkPublicKey, ANY_COUNTERPARTY)) errors.push('the proposal was addressed to someone else');
      if (p.type !== block.type) errors.push(`the agreement's type ${block.type} differs from its proposal's ${p.type}`);
      else if (type?.checkAgreement !== undefined && tx !== undefined) {
        try {
          errors.push(...type.checkAgreement(tx, type.decode(p.transaction)));
        } catch {
          // The proposal's own validation reports its malformed transaction.
        }
      }
    }
    for (const rival of n.rivalAgreements) {
      if (bytesEqual(blockHash(rival), blockHash(block)) || !bytesEqual(rival.publicKey, block.publicKey)) continue;
      errors.push('the owner already countersigned this proposal with a different agreement (double countersign)');
      if (fraud === undefined && signed && checkSignature(rival)) fraud = makeFraudProof('double-countersign', rival, block);
    }
  }

  // Hash links with the direct neighbours.
  if (n.previous !== undefined && n.previous.sequenceNumber === seq - 1 && !bytesEqual(blockHash(n.previous), block.previousHash)) {
    errors.push('the previous hash does not match the owner\'s block before it (forked chain)');
    if (fraud === undefined && signed && checkSignature(n.previous)) fraud = makeFraudProof('broken-chain', n.previous, block);
  }
  if (n.next !== undefined && n.next.sequenceNumber === seq + 1 && !bytesEqual(n.next.previousHash, blockHash(block))) {
    errors.push('the owner\'s next block does not link to this one (forked chain)');
    if (fraud === undefined && signed && checkSignature(n.next)) fraud = makeFraudProof('broken-chain', block, n.next);
  }

  // Running totals of token-carrying types.
  let totalsKnown = true;
  const tokens = registry.tokensOf(block);
  if (tokens !== undefined && tokens !== null) {
    const before = n.totalsBefore;
    if (before.kind === 'unknown') totalsKnown = false;
    else {
      const baseUp = before.kind === 'block' ? before.tokens.totalUp : 0n;
      const baseDown = before.kind === 'block' ? before.tokens.totalDown : 0n;
      if (tokens.totalUp !== baseUp + tokens.up || tokens.totalDown !== baseDown + tokens.down) {
        errors.push(`running totals (${tokens.totalUp} up, ${tokens.totalDown} down) do not continue from the previous ones (${baseUp} up, ${baseDown} down)`);
      }
    }
    const nextTokens = n.nextTokenBlock === undefined ? undefined : registry.tokensOf(n.nextTokenBlock);
    if (nextTokens !== undefined && nextTokens !== null) {
      if (nextTokens.totalUp !== tokens.totalUp + nextTokens.up || nextTokens.totalDown !== tokens.totalDown + nextTokens.down) {
        errors.push('the owner\'s next token transaction does not continue from these totals');
      }
    }
  }

  if (errors.length > 0) return fraud === undefined ? { outcome: 'invalid', errors } : { outcome: 'invalid', errors, fraud };
  let outcome = gradeByNeighbours(block, n.previous, n.next);
  if (!totalsKnown) outcome = withUnknownTotals(outcome);
  return { outcome, errors };
}

/** True when the outcome is at least as good as `atLeast`. */
export function isAtLeast(outcome: ValidationOutcome, atLeast: ValidationOutcome): boolean {
  return outcome !== 'invalid' && RANK[outcome] <= RANK[atLeast];
}

/** Fetches what validateBlock needs from a store. */
export async function loadNeighbourhood(store: BlockStoreReader, block: HalfBlock, registry: TransactionRegistry): Promise<Neighbourhood> {
  const pk = block.publicKey;
  const seq = block.sequenceNumber;
  const [sameSeq, previous, next] = await Promise.all([store.get(pk, seq), store.before(pk, seq), store.after(pk, seq)]);
  let proposal: HalfBlock | undefined;
  let rivalAgreements: HalfBlock[] = [];
  if (isAgreement(block)) {
    const [p, agreements] = await Promise.all([store.get(block.linkPublicKey, block.linkSequenceNumber), store.agreementsFor(block.linkPublicKey, block.linkSequenceNumber)]);
    proposal = p;
    rivalAgreements = agreements.filter((a) => bytesEqual(a.publicKey, pk));
  }
  return {
    sameSeq,
    previous,
    next,
    proposal,
    rivalAgreements,
    totalsBefore: await totalsBefore(store, block, registry, previous),
    nextTokenBlock: await nextTokenBlock(store, block, registry, next),
  };
}

async function totalsBefore(store: BlockStoreReader, block: HalfBlock, registry: TransactionRegistry, previous: HalfBlock | undefined): Promise<TotalsBefore> {
  let s = block.sequenceNumber - 1;
  let candidate = previous;
  for (let steps = 0; s >= GENESIS_SEQ && steps < MAX_TOTALS_WALK; steps++, s--) {
    const b = candidate !== undefined && candidate.sequenceNumber === s ? candidate : await store.get(block.publicKey, s);
    candidate = undefined;
    if (b === undefined || !registry.isKnown(b.type)) return { kind: 'unknown' };
    const tokens = registry.tokensOf(b);
    if (tokens === null) return { kind: 'unknown' };
    if (tokens !== undefined) return { kind: 'block', block: b, tokens };
  }
  return s < GENESIS_SEQ ? { kind: 'start' } : { kind: 'unknown' };
}

async function nextTokenBlock(store: BlockStoreReader, block: HalfBlock, registry: TransactionRegistry, next: HalfBlock | undefined): Promise<HalfBlock | undefined> {
  let candidate = next;
  for (let s = block.sequenceNumber + 1, steps = 0; steps < MAX_TOTALS_WALK; steps++, s++) {
    const b = candidate !== undefined && candidate.sequenceNumber === s ? candidate : await store.get(block.publicKey, s);
    candidate = undefined;
    if (b === undefined || !registry.isKnown(b.type)) return undefined;
    if (registry.isTokenType(b.type)) return b;
  }
  return undefined;
}
