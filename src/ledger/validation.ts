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
 * Unknown running totals (a gap, or an unknown type, before the block) lower
 * the grade as a missing predecessor does: valid -> partial-previous,
 * partial-next -> partial.
 *
 * A block is invalid when: a field is out of range (seq < 1, lengths, charset,
 * sizes); the owner key is not a valid Ed25519 key, or the link key is neither
 * one nor ANY_COUNTERPARTY; it links to its own chain; seq 1 and GENESIS_HASH
 * do not go together; the signature does not verify; its transaction is
 * malformed or breaks its type's rules; a different block holds its position
 * (double sign); as an agreement, it names ANY_COUNTERPARTY, or its known
 * proposal is not a proposal, was addressed to someone else, has another type
 * or is not mirrored, or its owner already countersigned that proposal
 * differently (double countersign); its known direct predecessor's hash is not
 * its previousHash, or its known direct successor does not link to it; its
 * running totals do not continue from the previous token block's, or the next
 * token block's do not continue from its own.
 *
 * Pure and synchronous over a pre-fetched Neighbourhood (loadNeighbourhood
 * fetches one from a store), with an injectable signature check so a worker
 * pool can verify in batches.
 */
import { bytesEqual } from '../codec/bytes.ts';
import { decodePublicKeyStrict } from '../crypto/signature.ts';
import { blockFieldErrors, isAgreement, isProposal, type HalfBlock } from './block.ts';
import { blockHash, verifyBlockSignature } from './block-codec.ts';
import type { BlockStoreReader } from './block-store.ts';
import type { MemoryBlockStore } from './memory-store.ts';
import { loadWindow } from './window.ts';
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
  /** Every broken rule, as a sentence; empty unless the outcome is invalid. */
  errors: string[];
  /** Set when the block proves its owner forked (verifiable by anyone). */
  fraud?: FraudProof;
  /** The type is not in the registry: structure, signature and chain were checked, its own rules were not. */
  unknownType?: true;
  /**
   * Invalid by itself, whatever anyone holds (fields that cannot be encoded, bad keys, a bad signature):
   * whoever passed it on did not check it (gossip scoring). Rules that read the neighbourhood never set it.
   */
  selfEvident?: true;
}

/**
 * Whether a block carries a valid signature by its owner. Injected so a
 * worker pool can verify a batch first and answer from its verdicts;
 * defaults to verifyBlockSignature.
 */
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

/**
 * Validates `block` against its pre-fetched neighbourhood. Pure and synchronous.
 *
 * Every broken rule is reported (not only the first), so the errors explain a
 * refusal fully. A fraud proof is attached only when both conflicting blocks
 * pass `checkSignature`: the proof must convince anyone, not just us.
 * Proposals are not judged by the agreements that answer them: a bad
 * agreement is the fault of its own owner, and is invalid when validated.
 */
export function validateBlock(
  block: HalfBlock,
  n: Neighbourhood,
  registry: TransactionRegistry,
  checkSignature: SignatureCheck = verifyBlockSignature,
): ValidationResult {
  // Fields that cannot even be encoded: nothing else can be checked (no hash, no signed payload).
  const fieldErrors = blockFieldErrors(block, true);
  if (fieldErrors.length > 0) return { outcome: 'invalid', errors: fieldErrors, selfEvident: true };

  const errors: string[] = [];
  let fraud: FraudProof | undefined;
  const seq = block.sequenceNumber;
  const hash = blockHash(block);

  // Invariants of the block itself.
  const ownerKeyOk = decodePublicKeyStrict(block.publicKey) !== null;
  if (!ownerKeyOk) errors.push('the owner key is not a valid Ed25519 public key');
  if (!bytesEqual(block.linkPublicKey, ANY_COUNTERPARTY) && decodePublicKeyStrict(block.linkPublicKey) === null) {
    errors.push('the link public key is neither a valid Ed25519 public key nor ANY_COUNTERPARTY');
  }
  if (bytesEqual(block.publicKey, block.linkPublicKey)) errors.push('a block cannot link to its own chain');
  if (seq === GENESIS_SEQ && !bytesEqual(block.previousHash, GENESIS_HASH)) errors.push('a genesis block must carry the genesis hash');
  if (seq !== GENESIS_SEQ && bytesEqual(block.previousHash, GENESIS_HASH)) errors.push('only the genesis block may carry the genesis hash');
  if (isAgreement(block) && bytesEqual(block.linkPublicKey, ANY_COUNTERPARTY)) errors.push('an agreement must name the proposer');
  // Checked even when other rules fail: a signed block breaking a rule still proves what its owner signed.
  const signed = ownerKeyOk && checkSignature(block);
  if (ownerKeyOk && !signed) errors.push('the signature does not verify');
  const selfEvident = errors.length > 0 ? { selfEvident: true as const } : {};

  // The transaction on its own.
  const type = registry.get(block.type);
  let tx: unknown;
  let txDecoded = false;
  if (type !== undefined) {
    try {
      tx = type.decode(block.transaction);
      txDecoded = true;
    } catch (err) {
      errors.push(`the ${block.type} transaction is malformed: ${(err as Error).message}`);
    }
    if (txDecoded) errors.push(...type.check(tx, block));
    if (isProposal(block) && isOpenTokenProposal(block, registry)) errors.push(openTokenProposalError(block.type));
  }

  // A stored, different block at the same position: the owner signed two (a fork).
  if (n.sameSeq !== undefined && signed && !bytesEqual(blockHash(n.sameSeq), hash)) {
    errors.push(`the owner signed a different block at sequence number ${seq} (double sign)`);
    if (checkSignature(n.sameSeq)) fraud = makeFraudProof('double-sign', n.sameSeq, block);
  }

  // Consistency with the linked half.
  if (isAgreement(block)) {
    if (n.proposal !== undefined) errors.push(...pairErrors(n.proposal, block, registry));
    if (signed) {
      for (const rival of n.rivalAgreements) {
        if (bytesEqual(blockHash(rival), hash) || !bytesEqual(rival.publicKey, block.publicKey)) continue;
        if (!bytesEqual(rival.linkPublicKey, block.linkPublicKey) || rival.linkSequenceNumber !== block.linkSequenceNumber) continue;
        errors.push('the owner already countersigned this proposal with a different agreement (double countersign)');
        if (fraud === undefined && checkSignature(rival)) fraud = makeFraudProof('double-countersign', rival, block);
        break;
      }
    }
  }

  // Hash links with the direct neighbours (py-ipv8's chain consistency).
  const { previous, next } = n;
  if (previous !== undefined && (!bytesEqual(previous.publicKey, block.publicKey) || previous.sequenceNumber >= seq)) errors.push('the given previous block is not an earlier block of this chain');
  else if (previous !== undefined && previous.sequenceNumber === seq - 1 && !bytesEqual(blockHash(previous), block.previousHash)) {
    errors.push('the previous hash does not match the owner\'s block before it (forked chain)');
    if (fraud === undefined && signed && checkSignature(previous)) fraud = makeFraudProof('broken-chain', previous, block);
  }
  if (next !== undefined && (!bytesEqual(next.publicKey, block.publicKey) || next.sequenceNumber <= seq)) errors.push('the given next block is not a later block of this chain');
  else if (next !== undefined && next.sequenceNumber === seq + 1 && !bytesEqual(next.previousHash, hash)) {
    errors.push('the owner\'s next block does not link to this one (forked chain)');
    if (fraud === undefined && signed && checkSignature(next)) fraud = makeFraudProof('broken-chain', block, next);
  }

  // Running totals of token-carrying types, across all of them.
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

  // The type's own neighbourhood rules.
  if (type?.validate !== undefined && txDecoded) errors.push(...type.validate({ block, tx, neighbourhood: n, registry }));

  const unknownType = type === undefined ? { unknownType: true as const } : {};
  if (errors.length > 0) return fraud === undefined ? { outcome: 'invalid', errors, ...unknownType, ...selfEvident } : { outcome: 'invalid', errors, fraud, ...unknownType, ...selfEvident };
  let outcome = gradeByNeighbours(block, previous, next);
  if (!totalsKnown) outcome = withUnknownTotals(outcome);
  return { outcome, errors, ...unknownType };
}

/**
 * A proposal addressed to ANY_COUNTERPARTY whose owner pays (its tokens' down
 * > 0): every key that countersigned it would be credited that amount, while
 * its owner pays once (minting), so it is invalid, and no pair with it is
 * complete. (An open proposal that credits its owner only debits those who
 * answer it: no one gains from answering twice.)
 */
function isOpenTokenProposal(proposal: HalfBlock, registry: TransactionRegistry): boolean {
  return bytesEqual(proposal.linkPublicKey, ANY_COUNTERPARTY) && (registry.tokensOf(proposal)?.down ?? 0n) > 0n;
}

const openTokenProposalError = (type: string): string => `a ${type} proposal that pays must name its counterparty: one addressed to any counterparty could be countersigned, and credited, by many`;

/**
 * What breaks the pair of `agreement` and the block it names as its proposal,
 * as sentences (empty: a complete pair). The mirror rule is the type's
 * checkAgreement on both decoded transactions; a transaction that does not
 * decode is reported by its own block's validation, so it adds nothing here
 * (callers that credit amounts must decode both anyway).
 */
export function pairErrors(proposal: HalfBlock, agreement: HalfBlock, registry: TransactionRegistry): string[] {
  const errors: string[] = [];
  if (!isProposal(proposal)) errors.push('the linked block is not a proposal');
  if (!bytesEqual(proposal.publicKey, agreement.linkPublicKey) || proposal.sequenceNumber !== agreement.linkSequenceNumber) errors.push('the linked proposal is not the one this agreement names');
  if (!bytesEqual(proposal.linkPublicKey, agreement.publicKey) && !bytesEqual(proposal.linkPublicKey, ANY_COUNTERPARTY)) errors.push('the proposal was addressed to someone else');
  if (isOpenTokenProposal(proposal, registry)) errors.push(openTokenProposalError(proposal.type));
  if (proposal.type !== agreement.type) {
    errors.push(`the agreement's type ${agreement.type} differs from its proposal's ${proposal.type}`);
    return errors;
  }
  const type = registry.get(agreement.type);
  if (type?.checkAgreement === undefined) return errors;
  let decoded: [unknown, unknown];
  try {
    decoded = [type.decode(agreement.transaction), type.decode(proposal.transaction)];
  } catch {
    return errors;
  }
  errors.push(...type.checkAgreement(decoded[0], decoded[1]));
  return errors;
}

/** True when the outcome is at least as good as `atLeast`. */
export function isAtLeast(outcome: ValidationOutcome, atLeast: ValidationOutcome): boolean {
  return outcome !== 'invalid' && RANK[outcome] <= RANK[atLeast];
}

/**
 * What validateBlock needs for one block, read from any store (a few range
 * queries via loadWindow). For batches, load one window for all of them and
 * use neighbourhoodIn.
 */
export async function loadNeighbourhood(store: BlockStoreReader, block: HalfBlock, registry: TransactionRegistry): Promise<Neighbourhood> {
  return neighbourhoodIn(await loadWindow(store, [block], (t) => registry.isTokenType(t)), block, registry);
}

/** loadNeighbourhood, then validateBlock. */
export async function validateInStore(store: BlockStoreReader, block: HalfBlock, registry: TransactionRegistry, checkSignature: SignatureCheck = verifyBlockSignature): Promise<ValidationResult> {
  return validateBlock(block, await loadNeighbourhood(store, block, registry), registry, checkSignature);
}

/**
 * What validateBlock needs, read from an in-memory view of the store (see
 * loadWindow): synchronous, so validating a batch of thousands of blocks costs
 * no per-block round trips. Running totals that would need blocks outside the
 * view come out "unknown", which only lowers the grade, never invalidates.
 */
export function neighbourhoodIn(view: MemoryBlockStore, block: HalfBlock, registry: TransactionRegistry): Neighbourhood {
  const pk = block.publicKey;
  const seq = block.sequenceNumber;
  const previous = view.beforeSync(pk, seq);
  const next = view.afterSync(pk, seq);
  let proposal: HalfBlock | undefined;
  let rivalAgreements: HalfBlock[] = [];
  if (isAgreement(block)) {
    proposal = view.getSync(block.linkPublicKey, block.linkSequenceNumber);
    rivalAgreements = view.agreementsForSync(block.linkPublicKey, block.linkSequenceNumber).filter((a) => a !== block && bytesEqual(a.publicKey, pk));
  }
  return {
    sameSeq: view.getSync(pk, seq),
    previous,
    next,
    proposal,
    rivalAgreements,
    totalsBefore: totalsBefore(view, block, registry),
    nextTokenBlock: nextTokenBlock(view, block, registry),
  };
}

function totalsBefore(view: MemoryBlockStore, block: HalfBlock, registry: TransactionRegistry): TotalsBefore {
  let s = block.sequenceNumber - 1;
  for (let steps = 0; s >= GENESIS_SEQ && steps < MAX_TOTALS_WALK; steps++, s--) {
    const b = view.getSync(block.publicKey, s);
    if (b === undefined || !registry.isKnown(b.type)) return { kind: 'unknown' };
    const tokens = registry.tokensOf(b);
    if (tokens === null) return { kind: 'unknown' };
    if (tokens !== undefined) return { kind: 'block', block: b, tokens };
  }
  return s < GENESIS_SEQ ? { kind: 'start' } : { kind: 'unknown' };
}

function nextTokenBlock(view: MemoryBlockStore, block: HalfBlock, registry: TransactionRegistry): HalfBlock | undefined {
  for (let s = block.sequenceNumber + 1, steps = 0; steps < MAX_TOTALS_WALK; steps++, s++) {
    const b = view.getSync(block.publicKey, s);
    if (b === undefined || !registry.isKnown(b.type)) return undefined;
    if (registry.isTokenType(b.type)) return b;
  }
  return undefined;
}
