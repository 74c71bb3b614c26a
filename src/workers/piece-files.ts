/**
 * The piece store worker's logic (pure: its files are injected, so Node tests
 * run it over memory). One file per torrent, each piece at index × pieceLength,
 * written and read in place; a piece past the file's end is missing. Pieces an
 * earlier version kept (fsa-chunk-store: one file per piece, named by its index,
 * in a directory per torrent) are moved in when the torrent opens, in batches,
 * each flushed before its old files are removed, so a crash mid-move loses
 * nothing and the next open finishes the move.
 */
import { pieceLengthAt, PieceStoreError, type PieceFileSpec, type PieceRequest, type PieceResponse } from './piece-store-protocol.ts';
import { MIGRATION_BATCH_PIECES } from './piece-store-constants.ts';

/** FileSystemSyncAccessHandle, as far as this store uses it. */
export interface SyncFile {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  getSize(): number;
  flush(): void;
  close(): void;
}

/** Pieces an earlier version kept for one torrent. */
export interface LegacyPieces {
  /** The indices of the piece files present. */
  indices(): Promise<number[]>;
  read(index: number): Promise<Uint8Array>;
  remove(indices: number[]): Promise<void>;
  /** Removes the (emptied) directory itself. */
  removeAll(): Promise<void>;
}

/** Where the files live (OPFS in the worker). */
export interface PieceDirectory {
  /** Whether files can be opened for synchronous access here. */
  supported(): boolean;
  /** Opens, creating it if need be, the named file for exclusive synchronous access. */
  open(name: string): Promise<SyncFile>;
  /** Removes the named file, if it exists. */
  remove(name: string): Promise<void>;
  /** An earlier version's pieces in `dir`, or undefined when there are none. */
  legacy(dir: string): Promise<LegacyPieces | undefined>;
}

interface OpenFile extends PieceFileSpec {
  handle: SyncFile;
  pieces: number;
  dirty: boolean;
}

export class PieceFiles {
  private readonly files = new Map<string, OpenFile>();
  /** Requests run one at a time, in order: a close sent before an open of the same file always runs first. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: PieceDirectory) {}

  /** Answers a request; what it reads is transferable (a buffer of its own). */
  handle(req: PieceRequest): Promise<PieceResponse> {
    const run = this.queue.then(() => this.run(req));
    this.queue = run.catch(() => undefined);
    return run.then(
      (r) => ({ id: req.id, ok: true as const, ...r }),
      (err: unknown) => ({ id: req.id, ok: false as const, name: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) }),
    );
  }

  /** Makes what was written durable (the worker calls it on a timer and the store on close). */
  flushAll(): void {
    for (const f of this.files.values()) {
      if (!f.dirty) continue;
      f.handle.flush();
      f.dirty = false;
    }
  }

  private async run(req: PieceRequest): Promise<{ data?: Uint8Array; supported?: boolean; size?: number }> {
    switch (req.op) {
      case 'probe':
        return { supported: this.dir.supported() };
      case 'open':
        return { size: (await this.open(req)).handle.getSize() };
      case 'put':
        this.put(this.opened(req.file), req.index, req.data);
        return {};
      case 'get':
        return { data: this.get(this.opened(req.file), req.index, req.offset, req.length) };
      case 'close':
        this.close(req.file);
        return {};
      case 'destroy':
        this.close(req.file);
        await this.dir.remove(req.file);
        if (req.legacyDir !== undefined) await (await this.dir.legacy(req.legacyDir))?.removeAll();
        return {};
    }
  }

  private async open(spec: PieceFileSpec): Promise<OpenFile> {
    if (!(spec.pieceLength > 0) || !(spec.length > 0) || !Number.isSafeInteger(spec.pieceLength) || !Number.isSafeInteger(spec.length)) {
      throw new PieceStoreError('TypeError', `a torrent of ${spec.length} bytes in pieces of ${spec.pieceLength} cannot be stored`);
    }
    const open = this.files.get(spec.file);
    if (open !== undefined) return open;
    const handle = await this.dir.open(spec.file);
    const pieces = Math.ceil(spec.length / spec.pieceLength);
    const f: OpenFile = { ...spec, handle, pieces, dirty: false };
    this.files.set(spec.file, f);
    if (spec.legacyDir !== undefined) await this.moveLegacy(f, spec.legacyDir);
    return f;
  }

  private async moveLegacy(f: OpenFile, legacyDir: string): Promise<void> {
    const legacy = await this.dir.legacy(legacyDir);
    if (legacy === undefined) return;
    // Only whole pieces of this torrent: anything else there is not ours to keep.
    const indices = (await legacy.indices()).filter((i) => i < f.pieces);
    for (let at = 0; at < indices.length; at += MIGRATION_BATCH_PIECES) {
      const batch = indices.slice(at, at + MIGRATION_BATCH_PIECES);
      for (const index of batch) {
        const data = await legacy.read(index);
        // A short or empty file is a piece the old store never finished: WebTorrent fetches it again.
        if (data.length === this.pieceLengthOf(f, index)) this.put(f, index, data);
      }
      f.handle.flush();
      f.dirty = false;
      await legacy.remove(batch);
    }
    await legacy.removeAll();
  }

  private opened(file: string): OpenFile {
    const f = this.files.get(file);
    if (f === undefined) throw new PieceStoreError('InvalidStateError', 'the torrent’s storage is closed');
    return f;
  }

  private pieceLengthOf(f: OpenFile, index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= f.pieces) throw new PieceStoreError('RangeError', `piece ${index} is not in a torrent of ${f.pieces} pieces`);
    return pieceLengthAt(f.length, f.pieceLength, index);
  }

  private put(f: OpenFile, index: number, data: Uint8Array): void {
    const expected = this.pieceLengthOf(f, index);
    if (data.length !== expected) throw new PieceStoreError('RangeError', `piece ${index} must be ${expected} bytes, not ${data.length}`);
    const at = index * f.pieceLength;
    for (let done = 0; done < data.length; ) {
      const n = f.handle.write(data.subarray(done), { at: at + done });
      if (n <= 0) throw new PieceStoreError('UnknownError', `the browser wrote no bytes of piece ${index}`);
      done += n;
    }
    f.dirty = true;
  }

  private get(f: OpenFile, index: number, offset: number, length: number): Uint8Array {
    const pieceLength = this.pieceLengthOf(f, index);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > pieceLength) {
      throw new PieceStoreError('RangeError', `bytes ${offset}+${length} are not in piece ${index} of ${pieceLength} bytes`);
    }
    const at = index * f.pieceLength + offset;
    // Past the end: a piece never written (pieces inside the file but never written read as zeros and fail their hash).
    if (at + length > f.handle.getSize()) throw new PieceStoreError('NotFoundError', `piece ${index} is not stored`);
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const n = f.handle.read(out.subarray(done), { at: at + done });
      if (n <= 0) throw new PieceStoreError('NotFoundError', `piece ${index} is not stored`);
      done += n;
    }
    return out;
  }

  private close(file: string): void {
    const f = this.files.get(file);
    if (f === undefined) return;
    this.files.delete(file);
    if (f.dirty) f.handle.flush();
    f.handle.close();
  }
}
