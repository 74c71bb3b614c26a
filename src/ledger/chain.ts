/**
 * Building one's own chain, and the policy applied before countersigning
 * someone else's proposal. Pure: the caller supplies the chain head, clock
 * and keys, and persists the result before it lets any signature out.
 */
import { bytesEqual } from '../codec/bytes.ts';
import { isProposal, type HalfBlock, type UnsignedBlock } from './block.ts';
import { blockHash, signBlock, signingPayload } from './block-codec.ts';
import type { MessageSigner } from '../crypto/signers.ts';
import { ANY_COUNTERPARTY, CONTEXT_BLOCKS, GENESIS_HASH, GENESIS_SEQ, UNKNOWN_SEQ } from './constants.ts';
import type { TokenAmounts, TransactionRegistry } from './transactions/registry.ts';
import type { ValidationResult } from './validation.ts';

export interface Signer {
  publicKey: Uint8Array;
  seed: Uint8Array;
}

function nextPosition(head: HalfBlock | undefined): Pick<UnsignedBlock, 'sequenceNumber' | 'previousHash'> {
  return head === undefined
    ? { sequenceNumber: GENESIS_SEQ, previousHash: GENESIS_HASH }
    : { sequenceNumber: head.sequenceNumber + 1, previousHash: blockHash(head) };
}

/** An unsigned proposal on top of `head` (the owner's latest block, undefined for a new chain). */
export function unsignedProposal(owner: Uint8Array, head: HalfBlock | undefined, counterparty: Uint8Array, type: string, transaction: Uint8Array, now: number): UnsignedBlock {
  return { publicKey: owner, ...nextPosition(head), linkPublicKey: counterparty, linkSequenceNumber: UNKNOWN_SEQ, timestamp: now, type, transaction };
}

/** The unsigned agreement to `proposal` on top of `head`. */
export function unsignedAgreement(owner: Uint8Array, head: HalfBlock | undefined, proposal: HalfBlock, transaction: Uint8Array, now: number): UnsignedBlock {
  return { publicKey: owner, ...nextPosition(head), linkPublicKey: proposal.publicKey, linkSequenceNumber: proposal.sequenceNumber, timestamp: now, type: proposal.type, transaction };
}

/**
 * The transaction bytes of my agreement to `proposal`: built by its type from
 * my own running totals (`ownTotals`: my latest token-carrying block's amounts,
 * undefined if none) when the type knows how, else the proposal's bytes as-is
 * (py-ipv8 copies the transaction). Throws RangeError if the type refuses.
 */
export function agreementTransaction(registry: TransactionRegistry, proposal: HalfBlock, ownTotals: TokenAmounts | undefined): Uint8Array {
  const type = registry.get(proposal.type);
  if (type?.agreementFor === undefined) return proposal.transaction;
  return type.encode(type.agreementFor(type.decode(proposal.transaction), ownTotals));
}

/** Signs with any signer (native WebCrypto in tabs). */
export async function signWith(signer: MessageSigner, unsigned: UnsignedBlock): Promise<HalfBlock> {
  return { ...unsigned, signature: await signer.sign(signingPayload(unsigned)) };
}

export function createProposal(signer: Signer, head: HalfBlock | undefined, counterparty: Uint8Array, type: string, transaction: Uint8Array, now: number): HalfBlock {
  return signBlock(unsignedProposal(signer.publicKey, head, counterparty, type, transaction, now), signer.seed);
}

export function createAgreement(signer: Signer, head: HalfBlock | undefined, proposal: HalfBlock, transaction: Uint8Array, now: number): HalfBlock {
  return signBlock(unsignedAgreement(signer.publicKey, head, proposal, transaction, now), signer.seed);
}

export type ProposalDecision =
  | { action: 'sign' }
  | { action: 'crawl'; publicKey: Uint8Array; fromSeq: number; toSeq: number }
  | { action: 'refuse'; code: RefusalCode; reason: string };

export type RefusalCode = 'fraudster' | 'not-addressed' | 'invalid' | 'not-a-proposal' | 'already-signed' | 'policy' | 'unknown-history';

export interface ProposalContext {
  me: Uint8Array;
  /** Validation of the proposal against the store, after any context blocks were added. */
  validation: ValidationResult;
  isFraudster: boolean;
  /** The proposer's blocks we hold in [seq - CONTEXT_BLOCKS, seq - 1]. */
  knownContext: readonly HalfBlock[];
  /** Whether we already crawled for this proposal (so we do not loop). */
  crawled: boolean;
}

/**
 * py-ipv8's rule, with sanctions: refuse fraudsters, proposals not addressed
 * to me, agreements, invalid proposals (which includes running totals that do
 * not continue the proposer's known chain) and unknown types; make sure the
 * proposer's recent chain [seq - CONTEXT_BLOCKS, seq - 1] is known and the
 * proposal validates at least partial-next against it (so its totals were
 * checked against real history), crawling it once if not; refuse after that.
 * The caller re-validates after the crawl and calls again with crawled: true.
 */
export function checkProposal(proposal: HalfBlock, ctx: ProposalContext): ProposalDecision {
  if (ctx.isFraudster) return { action: 'refuse', code: 'fraudster', reason: 'the proposer is a known fraudster' };
  if (!isProposal(proposal)) return { action: 'refuse', code: 'not-a-proposal', reason: 'only proposals can be countersigned' };
  if (!bytesEqual(proposal.linkPublicKey, ctx.me) && !bytesEqual(proposal.linkPublicKey, ANY_COUNTERPARTY)) {
    return { action: 'refuse', code: 'not-addressed', reason: 'the proposal is addressed to someone else' };
  }
  if (ctx.validation.outcome === 'invalid') return { action: 'refuse', code: 'invalid', reason: `invalid proposal: ${ctx.validation.errors.join('; ')}` };
  // Countersigning is vouching for the content: never for a type whose rules we cannot apply.
  if (ctx.validation.unknownType === true) return { action: 'refuse', code: 'policy', reason: `unknown transaction type "${proposal.type}"` };

  const from = Math.max(GENESIS_SEQ, proposal.sequenceNumber - CONTEXT_BLOCKS);
  const to = proposal.sequenceNumber - 1;
  const have = new Set(ctx.knownContext.filter((b) => bytesEqual(b.publicKey, proposal.publicKey)).map((b) => b.sequenceNumber));
  let firstMissing: number | undefined;
  let lastMissing: number | undefined;
  for (let s = from; s <= to; s++) {
    if (have.has(s)) continue;
    firstMissing ??= s;
    lastMissing = s;
  }
  const historyKnown = firstMissing === undefined && (ctx.validation.outcome === 'valid' || ctx.validation.outcome === 'partial-next');
  if (historyKnown) return { action: 'sign' };
  // Crawl what is missing of the window (all of it if nothing is: the totals may still be unknown).
  if (!ctx.crawled) return { action: 'crawl', publicKey: proposal.publicKey, fromSeq: firstMissing ?? from, toSeq: lastMissing ?? Math.max(from, to) };
  return { action: 'refuse', code: 'unknown-history', reason: `the proposer's recent chain (blocks ${from}-${to}) could not be retrieved and checked` };
}
