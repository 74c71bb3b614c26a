/**
 * Per-connection payment accounting, both directions. Pure.
 *
 * Upload (they owe us): we count bytes sent; they acknowledge bytes they
 * hash-verified; we propose payment for acknowledged, unproposed bytes every
 * PROPOSE_EVERY_BYTES; a peer holding more than UNPAID_WINDOW_BYTES unpaid is
 * choked until it pays.
 *
 * Download (we owe them): bytes received from this peer are credited only when
 * their piece passes its hash check; we agree to a proposal only if it asks for
 * no more than credited and not yet paid.
 */
import { MIN_SETTLEMENT_BYTES, PROPOSE_EVERY_BYTES, UNPAID_WINDOW_BYTES, ACK_EVERY_BYTES } from './constants.ts';

export class UploadAccount {
  /** Piece bytes sent to the peer. */
  sent = 0n;
  /** Hash-verified bytes the peer says it received from us. */
  acked = 0n;
  /** Bytes in proposals we signed (agreed or pending). */
  proposed = 0n;
  /** Bytes the peer agreed to (countersigned). */
  agreed = 0n;
  /** Amount of the proposal awaiting its agreement. */
  pending: bigint | undefined;

  onSent(bytes: number): void {
    this.sent += BigInt(bytes);
  }

  /** Acks are cumulative; an ack can never claim more than we sent. */
  onAck(total: bigint): void {
    const capped = total < this.sent ? total : this.sent;
    if (capped > this.acked) this.acked = capped;
  }

  /** What to propose now, if anything. `final`: the transfer ended, settle any worthwhile remainder. */
  nextProposal(final = false): bigint | undefined {
    if (this.pending !== undefined) return undefined;
    const due = this.acked - this.proposed;
    if (due >= BigInt(PROPOSE_EVERY_BYTES) || (final && due >= BigInt(MIN_SETTLEMENT_BYTES))) return due;
    return undefined;
  }

  onProposed(amount: bigint): void {
    this.pending = amount;
    this.proposed += amount;
  }

  onAgreed(): void {
    if (this.pending !== undefined) this.agreed += this.pending;
    this.pending = undefined;
  }

  /** The proposal was refused or could not be delivered; its bytes stay unpaid. */
  onUnanswered(): void {
    this.pending = undefined;
  }

  get unpaid(): bigint {
    return this.sent - this.agreed;
  }

  /** True while the peer holds more unpaid bytes than the window allows. */
  overWindow(): boolean {
    return this.unpaid > BigInt(UNPAID_WINDOW_BYTES);
  }
}

export class DownloadAccount {
  /** Bytes received from this peer per piece whose hash is not checked yet. */
  private readonly pending = new Map<number, number>();
  /** Bytes from this peer in pieces that passed their hash check. */
  verified = 0n;
  /** Bytes we agreed to pay this peer for. */
  agreed = 0n;
  private lastAck = 0n;

  onPiece(index: number, bytes: number): void {
    this.pending.set(index, (this.pending.get(index) ?? 0) + bytes);
  }

  onVerified(index: number): void {
    const bytes = this.pending.get(index);
    if (bytes === undefined) return;
    this.pending.delete(index);
    this.verified += BigInt(bytes);
  }

  /** A piece that failed its hash check earns nothing; a re-download starts from zero. */
  onFailed(index: number): void {
    this.pending.delete(index);
  }

  /** The total to acknowledge now, if it grew enough (or `final`). */
  ackDue(final = false): bigint | undefined {
    const grown = this.verified - this.lastAck;
    if (grown <= 0n) return undefined;
    if (!final && grown < BigInt(ACK_EVERY_BYTES)) return undefined;
    this.lastAck = this.verified;
    return this.verified;
  }

  /** Whether a proposal for `amount` asks for no more than verified and unpaid bytes. */
  canAgree(amount: bigint): boolean {
    return amount > 0n && amount <= this.verified - this.agreed;
  }

  onAgreed(amount: bigint): void {
    this.agreed += amount;
  }
}
