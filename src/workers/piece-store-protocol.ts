/**
 * Messages between a tab's torrent chunk stores (piece-chunk-store.ts) and the
 * piece store worker (piece-store.worker.ts), which keeps each torrent's pieces
 * in one OPFS file it writes and reads in place through a synchronous access
 * handle. Structured-clone messages inside one tab, never a wire format.
 */

/** What a store needs to find and bound its torrent's file. */
export interface PieceFileSpec {
  /** The torrent's infohash (hex): the file's name. */
  file: string;
  pieceLength: number;
  /** The torrent's length in bytes. */
  length: number;
  /** The directory an earlier version kept this torrent's pieces in (one file per piece), moved in on open. */
  legacyDir?: string | undefined;
}

export type PieceRequest =
  /** Whether this browser gives workers synchronous file access (else the tab keeps WebTorrent's own store). */
  | { id: number; op: 'probe' }
  | ({ id: number; op: 'open' } & PieceFileSpec)
  /** `data` is a copy the store transferred. */
  | { id: number; op: 'put'; file: string; index: number; data: Uint8Array }
  | { id: number; op: 'get'; file: string; index: number; offset: number; length: number }
  | { id: number; op: 'close'; file: string }
  | { id: number; op: 'destroy'; file: string; legacyDir?: string | undefined };

/** A request before the client numbers it. */
export type PieceCall = PieceRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export type PieceResponse =
  /** `size`: an open's answer, the file's length in bytes once open (pieces wholly past it are not stored). */
  | { id: number; ok: true; data?: Uint8Array; supported?: boolean; size?: number }
  /** `name` is the DOMException's (QuotaExceededError, NotFoundError, …) so the page can say what happened. */
  | { id: number; ok: false; name: string; message: string };

/** The length of piece `index` of a torrent of `length` bytes: `pieceLength`, but the last one is short. */
export function pieceLengthAt(length: number, pieceLength: number, index: number): number {
  const last = Math.ceil(length / pieceLength) - 1;
  return index === last ? length - last * pieceLength : pieceLength;
}

/** The error a failed request rejects with: the worker's error name and message. */
export class PieceStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}
