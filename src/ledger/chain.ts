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
 * py-ipv8's rule, with sanctions: refuse fraudsters and invalid proposals;
 * make sure the proposer's recent chain is known (crawl it once) so its
 * running totals are checked against real history before we countersign.
 */
export function checkProposal(proposal: HalfBlock, ctx: ProposalContext): ProposalDecision {
  if (ctx.isFraudster) return { action: 'refuse', code: 'fraudster', reason: 'the proposer is a known fraudster' };
  if (!isProposal(proposal)) return { action: 'refuse', code: 'not-a-proposal', reason: 'only proposals can be countersigned' };
  if (!bytesEqual(proposal.linkPublicKey, ctx.me) && !bytesEqual(proposal.linkPublicKey, ANY_COUNTERPARTY)) {
    return { action: 'refuse', code: 'not-addressed', reason: 'the proposal is addressed to someone else' };
  }
  if (ctx.validation.outcome === 'invalid') return { action: 'refuse', code: 'invalid', reason: `invalid proposal: ${ctx.validation.errors.join('; ')}` };

  const from = Math.max(GENESIS_SEQ, proposal.sequenceNumber - CONTEXT_BLOCKS);
  const to = proposal.sequenceNumber - 1;
  const have = new Set(ctx.knownContext.map((b) => b.sequenceNumber));
  let missing = false;
  for (let s = from; s <= to; s++) if (!have.has(s)) missing = true;
  const historyKnown = !missing && (ctx.validation.outcome === 'valid' || ctx.validation.outcome === 'partial-next');
  if (historyKnown) return { action: 'sign' };
  if (!ctx.crawled) return { action: 'crawl', publicKey: proposal.publicKey, fromSeq: from, toSeq: Math.max(from, to) };
  return { action: 'refuse', code: 'unknown-history', reason: `the proposer's recent chain (blocks ${from}-${to}) could not be retrieved and checked` };
}
