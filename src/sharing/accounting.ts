/**
 * Per-connection payment accounting, both directions. Pure.
 *
 * Upload (they owe us): we count bytes sent; they acknowledge bytes they
 * hash-verified; we propose payment for acknowledged, unproposed bytes every
 * PROPOSE_EVERY_BYTES, with up to MAX_PENDING_PROPOSALS awaiting agreement; sent bytes are charged to the peer's key (debt-book.ts),
 * and a key holding more than UNPAID_WINDOW_BYTES unpaid, across all its
 * connections, is choked until it pays.
 *
 * Download (we owe them): bytes from this peer are credited only for blocks we
 * requested from it that are proven part of a piece that passed its hash check
 * (attribution.ts); junk earns strikes, unrequested blocks nothing. We agree to
 * a proposal only if it asks for no more than credited and not yet paid.
 */
import type { DebtAccount } from './debt-book.ts';
import { MIN_SETTLEMENT_BYTES, PROPOSE_EVERY_BYTES, ACK_EVERY_BYTES, MAX_HASH_FAILURES, MAX_PENDING_PROPOSALS, MAX_UNREQUESTED_BYTES } from './constants.ts';

export class UploadAccount {
  /** Piece bytes sent to the peer on this connection. */
  sent = 0n;
  /** Hash-verified bytes the peer says it received from us on this connection. */
  acked = 0n;
  /** Acknowledged, unpaid bytes of the key's earlier connections, handed to this one to propose. */
  carried = 0n;
  /** Bytes in proposals we signed (agreed, pending or refused). */
  proposed = 0n;
  /** Bytes the peer agreed to (countersigned). */
  agreed = 0n;
  /** Bytes of our proposals awaiting their agreements, and how many they are. */
  pending = 0n;
  pendingCount = 0;
  /**
   * A final settlement was asked for (the peer lost interest, or we refuse it) and not yet
   * proposed: it outlives proposals in flight, and ends with the next proposal, which takes
   * everything due. It is not kept past that: a peer served again pays in steps, not at every
   * acknowledgement (a block pair per MiB for the rest of the connection after one refusal).
   */
  private finalDue = false;
  private closed = false;

  /** `debt`: where sent bytes are charged; the pooled stock account until the peer proves a key (bind). */
  constructor(private debt: DebtAccount) {}

  /** The key's account (or the pool): its debt across all its connections. */
  get account(): DebtAccount {
    return this.debt;
  }

  /** The peer proved its key: later bytes are that key's debt, and what it acknowledged before and left unpaid is proposed here. */
  bind(debt: DebtAccount): void {
    if (debt === this.debt) return;
    this.debt = debt;
    this.carried += debt.takeAcked();
  }

  onSent(bytes: number): void {
    this.sent += BigInt(bytes);
    this.debt.charge(BigInt(bytes));
  }

  /** Acks are cumulative; an ack can never claim more than we sent. */
  onAck(total: bigint): void {
    const capped = total < this.sent ? total : this.sent;
    if (capped > this.acked) this.acked = capped;
  }

  /** Asks for the remainder to be settled by the next proposal (see finalDue). */
  askFinal(): void {
    this.finalDue = true;
  }

  /**
   * What to propose now, if anything, once `every` bytes are due. `final` (or
   * askFinal before): the transfer ended: its tail is settled whatever its size
   * once this connection was paid before (it ends a paid transfer), and a
   * transfer of crumbs alone (under MIN_SETTLEMENT_BYTES) is left to the key's
   * next payment.
   */
  nextProposal(final = false, every: bigint = BigInt(PROPOSE_EVERY_BYTES)): bigint | undefined {
    final ||= this.finalDue;
    if (this.pendingCount >= MAX_PENDING_PROPOSALS) return undefined;
    const due = this.acked + this.carried - this.proposed;
    if (due <= 0n) return undefined;
    // Bytes carried from an earlier connection are settled at once, like a final remainder.
    const settleAll = final || this.proposed < this.carried;
    // Beside one in flight, a proposal waits for a full step even from a debtor: a block pair per acknowledgement would double the chain's growth.
    const step = this.pendingCount > 0 && every < BigInt(PROPOSE_EVERY_BYTES) ? BigInt(PROPOSE_EVERY_BYTES) : every;
    if (due >= step || (settleAll && (due >= BigInt(MIN_SETTLEMENT_BYTES) || (final && this.agreed > 0n)))) return due;
    return undefined;
  }

  onProposed(amount: bigint): void {
    this.finalDue = false;
    this.pending += amount;
    this.pendingCount++;
    this.proposed += amount;
    this.debt.inFlight += amount;
  }

  /** The proposal of `amount` was agreed to. */
  onAgreed(amount: bigint): void {
    this.settled(amount);
    this.agreed += amount;
    this.debt.paid(amount);
  }

  /** The proposal of `amount` was refused or could not be delivered; its bytes stay unpaid (a later connection of the key proposes them again). */
  onUnanswered(amount: bigint): void {
    this.settled(amount);
    if (this.closed) this.debt.carryAcked(amount);
  }

  private settled(amount: bigint): void {
    this.pending -= amount;
    this.pendingCount--;
    this.debt.inFlight -= amount;
  }

  /** Acknowledged and unpaid, not in a proposal in flight: what a later connection of the key may propose. */
  get carryable(): bigint {
    const c = this.acked + this.carried - this.agreed - this.pending;
    return c > 0n ? c : 0n;
  }

  /** The connection ended: a proposal still in flight that fails is carried to the key's next connection. */
  close(): void {
    this.closed = true;
  }

  /** What the key (or the stock pool) holds unpaid, across all its connections. */
  get unpaid(): bigint {
    return this.debt.unpaid;
  }

  /** True while the key (or the stock pool) holds more unpaid bytes than it may. */
  overWindow(): boolean {
    return this.debt.overLimit();
  }
}

export class DownloadAccount {
  /** Bytes from this peer proven part of pieces that passed their hash check (see attribution.ts). */
  verified = 0n;
  /** Bytes we agreed to pay this peer for. */
  agreed = 0n;
  /** Proven hash failures: pieces in which this peer delivered blocks that differ from the verified data. */
  strikes = 0;
  /** Piece bytes this peer sent that answered none of our requests: never credited. */
  unrequested = 0n;
  private lastAck = 0n;

  /** Requested blocks of a verified piece, proven equal to it. */
  credit(bytes: number): void {
    this.verified += BigInt(bytes);
  }

  /** Returns true once the peer has failed often enough to be dropped. */
  strike(count = 1): boolean {
    this.strikes += count;
    return this.strikes >= MAX_HASH_FAILURES;
  }

  /** Returns true once the peer has sent too many unrequested bytes to keep. */
  onUnrequested(bytes: number): boolean {
    this.unrequested += BigInt(bytes);
    return this.unrequested > BigInt(MAX_UNREQUESTED_BYTES);
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
