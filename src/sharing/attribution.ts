/**
 * Who delivered which block of which piece: a supplier is credited only for
 * blocks we requested from it whose bytes are part of a piece that passed its
 * hash check, and blamed for blocks it got wrong. Pure.
 *
 * Invariant: a delivery is credited only when it is proven to equal the
 * verified piece, never merely because its piece passed.
 *
 * - Requests: each wire's outstanding requests are booked (RequestBook). A block
 *   that answers none, or has another length, is unrequested: it never reaches
 *   attribution, and too many of them drop the wire (DownloadAccount).
 * - Normal path: when every block of a verified piece was delivered and each
 *   block's deliveries are byte-identical, they are what was hashed; all are
 *   credited with no extra read.
 * - Otherwise (two deliveries of a block differ: endgame junk; or a block came
 *   by a path we did not see) the verified piece is read back: deliveries equal
 *   to it are credited, those that differ are proven junk, a strike.
 * - Smart ban (libtorrent): a failed piece supplied by one peer is that peer's
 *   strike at once. A failed piece with several suppliers keeps a SHA-256 of
 *   each delivery; when the piece later passes, every earlier supplier whose
 *   block differs from the verified one gets a strike, honest co-suppliers none.
 *   Digests are taken only on this rare path: the common path hashes nothing
 *   (WebTorrent holds the delivered blocks until the piece is hashed anyway).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual } from '../codec/bytes.ts';
import { BLOCK_LENGTH, MAX_FAILED_ATTEMPTS_KEPT } from './constants.ts';

/** What a piece's verdict means for its suppliers. */
export interface PieceOutcome<P> {
  /** Bytes to credit each supplier: its requested blocks, proven equal to the verified piece. */
  readonly credits: Map<P, number>;
  /** Strikes: one per supplier per attempt in which it delivered a block that differs from the verified piece. */
  readonly strikes: Map<P, number>;
}

/** A verified piece is settled at once, or needs its bytes read back (rare). */
export type Verification<P> =
  | { readonly kind: 'settled'; readonly outcome: PieceOutcome<P> }
  | { readonly kind: 'needs-piece'; resolve(piece: Uint8Array): PieceOutcome<P> };

interface Delivery<P> {
  readonly supplier: P;
  readonly bytes: Uint8Array;
}

interface Fingerprint<P> {
  readonly supplier: P;
  readonly digest: Uint8Array;
}

/** Deliveries of one attempt at a piece, by block number. */
type Attempt<P> = Map<number, Delivery<P>[]>;
/** What is kept of a failed attempt with several suppliers, by block number. */
type FailedAttempt<P> = Map<number, Fingerprint<P>[]>;

function emptyOutcome<P>(): PieceOutcome<P> {
  return { credits: new Map(), strikes: new Map() };
}

function add<P>(m: Map<P, number>, key: P, n: number): void {
  m.set(key, (m.get(key) ?? 0) + n);
}

/** The digest kept per block of a failed piece: collision-resistant, so junk cannot pass for the real block. */
export const blockDigest = (bytes: Uint8Array): Uint8Array => sha256(bytes);

export class Attribution<P> {
  /** The current attempt at each piece not yet verified. */
  private readonly open = new Map<number, Attempt<P>>();
  /** Failed attempts with several suppliers, awaiting the verified piece for blame. */
  private readonly failedAttempts = new Map<number, FailedAttempt<P>[]>();

  /** `pieceLength(index)`: the piece's length in bytes (the last piece is shorter). */
  constructor(private readonly pieceLength: (index: number) => number) {}

  /** Length of block `block` of piece `index`, or undefined when there is no such block. */
  private blockLength(index: number, block: number): number | undefined {
    const length = this.pieceLength(index);
    const offset = block * BLOCK_LENGTH;
    return offset < length ? Math.min(BLOCK_LENGTH, length - offset) : undefined;
  }

  /**
   * A block we requested from `supplier` arrived. Returns false (and keeps
   * nothing) when it is not a whole block of the piece: it can earn nothing.
   */
  deliver(supplier: P, index: number, offset: number, bytes: Uint8Array): boolean {
    if (offset % BLOCK_LENGTH !== 0) return false;
    const block = offset / BLOCK_LENGTH;
    if (this.blockLength(index, block) !== bytes.length) return false;
    let attempt = this.open.get(index);
    if (attempt === undefined) this.open.set(index, (attempt = new Map()));
    const deliveries = attempt.get(block);
    if (deliveries === undefined) attempt.set(block, [{ supplier, bytes }]);
    else deliveries.push({ supplier, bytes });
    return true;
  }

  /** Piece `index` failed its hash check: its deliveries earn nothing; a sole supplier is struck now, several are judged when the piece passes. */
  failed(index: number): PieceOutcome<P> {
    const outcome = emptyOutcome<P>();
    const attempt = this.open.get(index);
    this.open.delete(index);
    if (attempt === undefined) return outcome;
    const suppliers = new Set([...attempt.values()].flatMap((ds) => ds.map((d) => d.supplier)));
    if (suppliers.size === 1 && attempt.size === this.blockCount(index)) {
      // It alone supplied every block that was hashed: proven.
      add(outcome.strikes, [...suppliers][0]!, 1);
      return outcome;
    }
    const kept: FailedAttempt<P> = new Map();
    for (const [block, ds] of attempt) kept.set(block, ds.map((d) => ({ supplier: d.supplier, digest: blockDigest(d.bytes) })));
    const earlier = this.failedAttempts.get(index) ?? [];
    earlier.push(kept);
    this.failedAttempts.set(index, earlier.slice(-MAX_FAILED_ATTEMPTS_KEPT));
    return outcome;
  }

  /** Piece `index` passed its hash check. */
  verified(index: number): Verification<P> {
    const attempt = this.open.get(index) ?? new Map<number, Delivery<P>[]>();
    const failed = this.failedAttempts.get(index) ?? [];
    this.open.delete(index);
    this.failedAttempts.delete(index);
    if (failed.length === 0 && (attempt.size === 0 || this.provenByHash(index, attempt))) {
      const outcome = emptyOutcome<P>();
      for (const ds of attempt.values()) for (const d of ds) add(outcome.credits, d.supplier, d.bytes.length);
      return { kind: 'settled', outcome };
    }
    return { kind: 'needs-piece', resolve: (piece) => this.judge(index, attempt, failed, piece) };
  }

  private blockCount(index: number): number {
    return Math.ceil(this.pieceLength(index) / BLOCK_LENGTH);
  }

  /** Whether the hash check alone proves every delivery: each block delivered, and all copies of a block identical. */
  private provenByHash(index: number, attempt: Attempt<P>): boolean {
    const blocks = this.blockCount(index);
    for (let block = 0; block < blocks; block++) {
      const ds = attempt.get(block);
      if (ds === undefined) return false;
      for (let i = 1; i < ds.length; i++) if (!bytesEqual(ds[i]!.bytes, ds[0]!.bytes)) return false;
    }
    return true;
  }

  private judge(index: number, attempt: Attempt<P>, failed: readonly FailedAttempt<P>[], piece: Uint8Array): PieceOutcome<P> {
    const outcome = emptyOutcome<P>();
    const length = this.pieceLength(index);
    // A short read proves nothing either way: nobody is paid or struck for this piece.
    if (piece.length < length) return outcome;
    const good = (block: number): Uint8Array => piece.subarray(block * BLOCK_LENGTH, Math.min((block + 1) * BLOCK_LENGTH, length));
    const junkSenders = new Set<P>();
    for (const [block, ds] of attempt) {
      const expected = good(block);
      for (const d of ds) {
        if (bytesEqual(d.bytes, expected)) add(outcome.credits, d.supplier, d.bytes.length);
        else junkSenders.add(d.supplier);
      }
    }
    for (const s of junkSenders) add(outcome.strikes, s, 1);
    const goodDigests = new Map<number, Uint8Array>();
    for (const kept of failed) {
      const blamed = new Set<P>();
      for (const [block, fps] of kept) {
        let digest = goodDigests.get(block);
        if (digest === undefined) goodDigests.set(block, (digest = blockDigest(good(block))));
        for (const fp of fps) if (!bytesEqual(fp.digest, digest)) blamed.add(fp.supplier);
      }
      for (const s of blamed) add(outcome.strikes, s, 1);
    }
    return outcome;
  }

  /** Pieces with deliveries or failed attempts held (diagnostics, tests). */
  get held(): number {
    return new Set([...this.open.keys(), ...this.failedAttempts.keys()]).size;
  }
}

/**
 * One wire's outstanding requests, as we made them. A piece message counts as
 * requested only if it answers one exactly (index, offset and length), once.
 */
export class RequestBook {
  private readonly outstanding = new Map<string, number>();

  private static key(index: number, offset: number, length: number): string {
    return `${index}:${offset}:${length}`;
  }

  requested(index: number, offset: number, length: number): void {
    const k = RequestBook.key(index, offset, length);
    this.outstanding.set(k, (this.outstanding.get(k) ?? 0) + 1);
  }

  /** Takes the request a delivery answers; false when it answers none (unrequested, or another length). */
  take(index: number, offset: number, length: number): boolean {
    const k = RequestBook.key(index, offset, length);
    const n = this.outstanding.get(k);
    if (n === undefined) return false;
    if (n === 1) this.outstanding.delete(k);
    else this.outstanding.set(k, n - 1);
    return true;
  }

  /** The request ended without data (cancelled, rejected, choked, timed out, closed). */
  ended(index: number, offset: number, length: number): void {
    this.take(index, offset, length);
  }

  get size(): number {
    return this.outstanding.size;
  }
}
