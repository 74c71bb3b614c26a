/**
 * Interception points of paid sharing that only a test build fills in (see
 * src/app/fault-seams.ts). Empty in production: every field is optional and unset.
 */
import type { Wire } from 'webtorrent';

export interface SharingSeams {
  /** Every wire of a torrent as it connects, before payments are hooked in: a hostile peer's own wires. */
  onWire?(wire: Wire, infoHash: string): void;
  /** Asked before we agree to pay a peer `up` bytes over a wire; a reason refuses (a leecher that stops paying). */
  refuseAgreement?(up: bigint): string | undefined;
  /** Asked before we pay the far end of an anonymous wire; false keeps the tokens. */
  beforeCircuitPay?(tokens: bigint): boolean;
}
