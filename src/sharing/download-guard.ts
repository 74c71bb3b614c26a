/**
 * Holds a torrent's downloads to "pay only for what was asked for and
 * proven". Browser glue around attribution.ts: books each wire's requests (by
 * wrapping `wire.request` as WebTorrent calls it), attributes the blocks that
 * answer them, applies piece verdicts to each supplier's DownloadAccount
 * (credit, strikes), and drops and bans wires that send junk or unrequested data.
 */
import type { Torrent, Wire } from 'webtorrent';
import type { DownloadAccount } from './accounting.ts';
import { Attribution, RequestBook, type PieceOutcome } from './attribution.ts';

/** A wire we download from, and where its proven bytes go. */
export interface Supplier {
  readonly wire: Wire;
  readonly account: DownloadAccount;
  /** Bytes newly credited to it: acknowledge them, or pay for them. */
  credited(bytes: number): void;
  /**
   * Who is banned when it sends junk (default: its BitTorrent peer id). Over
   * an exit relay the junk may be the exit's or the peer's, so the pair is
   * banned, and the same peer stays reachable through another exit.
   */
  readonly banKey?: string;
  /** It was dropped for junk. */
  dropped?(reason: DroppedSupplier['reason']): void;
}

export interface DroppedSupplier {
  readonly peer: string;
  readonly reason: 'hash-failures' | 'unrequested';
  readonly account: DownloadAccount;
}

export class DownloadGuard {
  private readonly attribution: Attribution<Supplier>;
  /** BitTorrent peer ids of dropped suppliers: their reconnections are dropped at once. */
  private readonly banned = new Set<string>();
  /** Suppliers dropped for junk (diagnostics). */
  readonly dropped: DroppedSupplier[] = [];

  constructor(private readonly torrent: Torrent) {
    this.attribution = new Attribution((index) => (index === torrent.pieces.length - 1 ? torrent.lastPieceLength : torrent.pieceLength));
  }

  /** Books the wire's requests and attributes the blocks that answer them. Call before the wire requests anything. */
  watch(supplier: Supplier): void {
    const { wire, account } = supplier;
    if (this.banned.has(supplier.banKey ?? wire.peerId)) {
      wire.destroy();
      return;
    }
    const book = new RequestBook();
    const request = wire.request.bind(wire);
    wire.request = (index, offset, length, cb) => {
      book.requested(index, offset, length);
      request(index, offset, length, (err, chunk) => {
        if (err !== null) book.ended(index, offset, length);
        cb?.(err, chunk);
      });
    };
    wire.on('piece', (index: number, offset: number, buffer: Uint8Array) => {
      if (!book.take(index, offset, buffer.length)) {
        if (account.onUnrequested(buffer.length)) this.drop(supplier, 'unrequested');
        return;
      }
      // A block of a piece we already hold is not used (WebTorrent drops it): nothing to attribute.
      if (this.torrent.bitfield?.get(index) !== true) this.attribution.deliver(supplier, index, offset, buffer);
    });
  }

  onVerified(index: number): void {
    const v = this.attribution.verified(index);
    if (v.kind === 'settled') return this.apply(v.outcome);
    // Rare: copies of a block differed, or the piece failed before. Judge against the stored piece.
    this.torrent.store?.get(index, (err, piece) => {
      // Unreadable: nobody can be proven right or wrong for this piece, so nobody is paid or struck.
      if (err === null && piece != null) this.apply(v.resolve(piece));
    });
  }

  onFailed(index: number): void {
    this.apply(this.attribution.failed(index));
  }

  private apply(outcome: PieceOutcome<Supplier>): void {
    for (const [supplier, count] of outcome.strikes) if (supplier.account.strike(count)) this.drop(supplier, 'hash-failures');
    for (const [supplier, bytes] of outcome.credits) {
      supplier.account.credit(bytes);
      supplier.credited(bytes);
    }
  }

  private drop(supplier: Supplier, reason: DroppedSupplier['reason']): void {
    const { wire } = supplier;
    const key = supplier.banKey ?? wire.peerId;
    if (!this.banned.has(key)) {
      this.banned.add(key);
      this.dropped.push({ peer: wire.peerId, reason, account: supplier.account });
      supplier.dropped?.(reason);
    }
    if (!wire.destroyed) wire.destroy();
  }
}
