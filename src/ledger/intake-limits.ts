/**
 * What a peer may make us store (pure; the clock is injected). Storage is only
 * for what we have reason to keep: a sender gets a token bucket of blocks per
 * minute, a sign request's context must be the proposer's own history, a
 * crawl answer only what we asked for, and a gossiped pair two halves of one
 * transaction.
 */
import { binaryKey, bytesEqual } from '../codec/bytes.ts';
import { isAgreement, isProposal, type HalfBlock } from './block.ts';
import { ANY_COUNTERPARTY, MAX_TRACKED_SENDERS, SENDER_BLOCKS_PER_MINUTE, SENDER_BURST_BLOCKS } from './constants.ts';

const MINUTE_MS = 60_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets of blocks per sender id, refilled continuously; a bounded map (least recently used forgotten). */
export class SenderBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number,
    private readonly perMinute: number = SENDER_BLOCKS_PER_MINUTE,
    private readonly burst: number = SENDER_BURST_BLOCKS,
    private readonly capacity: number = MAX_TRACKED_SENDERS,
  ) {}

  /** Takes up to `wanted` tokens from `sender`'s bucket; returns how many it got (0 when the sender is over its limit). */
  take(sender: string, wanted: number): number {
    const t = this.now();
    const b = this.buckets.get(sender) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, t - b.at) * this.perMinute) / MINUTE_MS);
    b.at = t;
    const granted = Math.max(0, Math.min(wanted, Math.floor(b.tokens)));
    b.tokens -= granted;
    // Re-inserting keeps the map in least-recently-used order.
    this.buckets.delete(sender);
    this.buckets.set(sender, b);
    if (this.buckets.size > this.capacity) this.buckets.delete(this.buckets.keys().next().value as string);
    return granted;
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** Whether `other` names `owner` as the party it transacts with (or names anyone). */
function names(block: HalfBlock, owner: Uint8Array): boolean {
  return bytesEqual(block.linkPublicKey, owner) || bytesEqual(block.linkPublicKey, ANY_COUNTERPARTY);
}

/** The two halves of one transaction: the agreement answers this proposal, which is addressed to the agreement's owner. */
export function isLinkedPair(proposal: HalfBlock, agreement: HalfBlock): boolean {
  return (
    isProposal(proposal) &&
    isAgreement(agreement) &&
    bytesEqual(agreement.linkPublicKey, proposal.publicKey) &&
    agreement.linkSequenceNumber === proposal.sequenceNumber &&
    names(proposal, agreement.publicKey)
  );
}

/**
 * `owner`'s blocks whose sequence number `wanted` accepts, and the other
 * halves of those blocks found among `blocks`; everything else is dropped.
 * Order is kept.
 */
export function ownAndLinked(owner: Uint8Array, blocks: readonly HalfBlock[], wanted: (seq: number) => boolean = () => true): HalfBlock[] {
  const own = blocks.filter((b) => bytesEqual(b.publicKey, owner) && wanted(b.sequenceNumber));
  const bySeq = new Map(own.map((b) => [b.sequenceNumber, b]));
  const proposalsWanted = new Set(own.filter(isAgreement).map((a) => `${binaryKey(a.linkPublicKey)}:${a.linkSequenceNumber}`));
  return blocks.filter((b) => {
    if (bytesEqual(b.publicKey, owner)) return own.includes(b);
    if (isAgreement(b)) {
      const proposal = bytesEqual(b.linkPublicKey, owner) ? bySeq.get(b.linkSequenceNumber) : undefined;
      return proposal !== undefined && isLinkedPair(proposal, b);
    }
    if (!proposalsWanted.has(`${binaryKey(b.publicKey)}:${b.sequenceNumber}`)) return false;
    return own.some((a) => isAgreement(a) && isLinkedPair(b, a));
  });
}
