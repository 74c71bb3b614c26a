/**
 * How a peer's chain, as we store it, is brought up to the head the peer showed
 * us. Pure: the glue (SharingService.verifyPeer) does what this says.
 */
import { bytesEqual } from '../codec/bytes.ts';
import type { HalfBlock } from '../ledger/block.ts';

/**
 * `current`: we store its chain through its head. `take-head`: the head is the
 * one block we lack and half of a pair with us, so its exchange brings it
 * anyway and we hold (or sign) the other half: the head it sent, validated and
 * stored like any block, completes the chain. `crawl`: anything else, including
 * a head paired with a third key, whose other half only a crawl brings (without
 * it a credit would count as nothing).
 */
export type CatchUp = 'current' | 'take-head' | 'crawl';

export function catchUp(head: HalfBlock | undefined, storedThrough: number, me: Uint8Array): CatchUp {
  if (head === undefined || storedThrough >= head.sequenceNumber) return 'current';
  return storedThrough === head.sequenceNumber - 1 && bytesEqual(head.linkPublicKey, me) ? 'take-head' : 'crawl';
}
