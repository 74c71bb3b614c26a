/**
 * The chunk store WebTorrent writes and reads a torrent's pieces through
 * (abstract-chunk-store's interface), backed by the piece store worker: one
 * OPFS file per torrent, written in place. It replaces WebTorrent's browser
 * default, which wrote every piece to a file of its own through a swap file
 * and read each back through a blob: most of a download's CPU went there.
 */
import type { PieceStoreClient } from '../workers/piece-store-client.ts';
import { pieceLengthAt, PieceStoreError } from '../workers/piece-store-protocol.ts';

type Callback<T = void> = (err: Error | null, value?: T) => void;
const noop = (): void => undefined;

/** What WebTorrent passes a store it constructs (torrent.js). */
export interface ChunkStoreOptions {
  torrent?: { infoHash: string };
  length?: number;
  /** `<torrent name> - <first 8 of the infohash>`: where the default store kept this torrent's pieces. */
  name?: string;
}

export interface ChunkStore {
  readonly chunkLength: number;
  put(index: number, buf: Uint8Array, cb?: Callback): void;
  get(index: number, opts: { offset?: number; length?: number } | null | undefined | Callback<Uint8Array>, cb?: Callback<Uint8Array>): void;
  close(cb?: Callback): void;
  destroy(cb?: Callback): void;
}

/** A store class bound to the tab's worker, for WebTorrent's `store` option. */
export function pieceChunkStore(client: PieceStoreClient): new (chunkLength: number, opts?: ChunkStoreOptions) => ChunkStore {
  return class PieceChunkStore implements ChunkStore {
    readonly chunkLength: number;
    private readonly file: string;
    private readonly legacyDir: string | undefined;
    private readonly length: number;
    /** Resolves with the file's size when it was opened. */
    private readonly opened: Promise<{ size?: number }>;
    /** Pieces put since the file was opened, a bit each: the only ones past its size at open that can be stored. */
    private readonly written: Uint8Array;
    private closed = false;

    constructor(chunkLength: number, opts: ChunkStoreOptions = {}) {
      this.chunkLength = Number(chunkLength);
      if (!(this.chunkLength > 0)) throw new Error('First argument must be a chunk length');
      const infoHash = opts.torrent?.infoHash;
      if (infoHash === undefined || !/^[0-9a-f]{40}$/.test(infoHash)) throw new Error('the piece store needs the torrent’s infohash');
      if (!(Number(opts.length) > 0)) throw new Error('the piece store needs the torrent’s length');
      this.file = infoHash;
      this.length = Number(opts.length);
      this.legacyDir = opts.name;
      this.written = new Uint8Array(Math.ceil(Math.ceil(this.length / this.chunkLength) / 8));
      this.opened = client.request({ op: 'open', file: this.file, pieceLength: this.chunkLength, length: this.length, legacyDir: this.legacyDir });
      this.opened.catch(noop); // reported by the first put or get
    }

    put(index: number, buf: Uint8Array, cb: Callback = noop): void {
      if (this.closed) return queueMicrotask(() => cb(new Error('Storage is closed')));
      // A copy of its own to transfer: WebTorrent keeps using `buf` (it serves reads from it until the put ends).
      const data = buf.slice();
      this.markWritten(index);
      this.after(client.request({ op: 'put', file: this.file, index, data }, [data.buffer]), () => undefined, cb);
    }

    get(index: number, opts: { offset?: number; length?: number } | null | undefined | Callback<Uint8Array>, cb: Callback<Uint8Array> = noop): void {
      if (typeof opts === 'function') return this.get(index, undefined, opts);
      if (this.closed) return queueMicrotask(() => cb(new Error('Storage is closed')));
      const pieceLength = pieceLengthAt(this.length, this.chunkLength, index);
      const offset = opts?.offset ?? 0;
      const length = opts?.length ?? pieceLength - offset;
      if (length === 0 && offset >= 0 && offset <= pieceLength) return queueMicrotask(() => cb(null, new Uint8Array(0)));
      // WebTorrent asks for every piece of a new download before it requests any (to verify what it has): a piece
      // past the file as it was opened, and not put since, is answered here, not by a round trip to the worker each.
      const read = this.opened.then(({ size }) => {
        const end = index * this.chunkLength + offset + length;
        if (size !== undefined && end > size && !this.isWritten(index)) throw new PieceStoreError('NotFoundError', `piece ${index} is not stored`);
        return client.request({ op: 'get', file: this.file, index, offset, length });
      });
      this.after(read, (r) => r.data ?? new Uint8Array(0), cb);
    }

    close(cb: Callback = noop): void {
      if (this.closed) return queueMicrotask(() => cb(new Error('Storage is closed')));
      this.closed = true;
      this.after(client.request({ op: 'close', file: this.file }), () => undefined, cb);
    }

    destroy(cb: Callback = noop): void {
      this.closed = true;
      this.after(client.request({ op: 'destroy', file: this.file, legacyDir: this.legacyDir }), () => undefined, cb);
    }

    private markWritten(index: number): void {
      // An index outside the torrent marks nothing: the worker refuses its put.
      if (Number.isInteger(index) && index >= 0 && index >> 3 < this.written.length) this.written[index >> 3]! |= 1 << (index & 7);
    }

    private isWritten(index: number): boolean {
      return Number.isInteger(index) && index >= 0 && ((this.written[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
    }

    /** Runs `request` once the file is open, and answers `cb` with `pick` of its result or the error. */
    private after<R, T>(request: Promise<R>, pick: (r: R) => T, cb: Callback<T>): void {
      request.catch(noop); // a failed open fails it too, and the open's error is the one to report
      this.opened.then(() => request).then(
        (r) => cb(null, pick(r)),
        (err: Error) => cb(err),
      );
    }
  };
}
