/** Memory stand-ins for the piece store's files (tests only). */
import type { LegacyPieces, PieceDirectory, SyncFile } from './piece-files.ts';

export class MemoryFile implements SyncFile {
  bytes = new Uint8Array(0);
  flushed = new Uint8Array(0);
  closed = false;
  /** Bytes the "disk" has room for: a write past it throws QuotaExceededError, as a synchronous handle does. */
  constructor(private readonly quota = Infinity) {}
  read(buffer: Uint8Array, o: { at: number }): number {
    const part = this.bytes.subarray(o.at, o.at + buffer.length);
    buffer.set(part);
    return part.length;
  }
  write(buffer: Uint8Array, o: { at: number }): number {
    const end = o.at + buffer.length;
    if (end > this.quota) throw Object.assign(new Error('the quota was reached'), { name: 'QuotaExceededError' });
    if (end > this.bytes.length) {
      const grown = new Uint8Array(end);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(buffer, o.at);
    return buffer.length;
  }
  getSize(): number {
    return this.bytes.length;
  }
  flush(): void {
    this.flushed = this.bytes.slice();
  }
  close(): void {
    this.closed = true;
  }
}

/** Files by name, and an earlier version's per-piece directories. */
export class MemoryDirectory implements PieceDirectory {
  readonly files = new Map<string, MemoryFile>();
  readonly legacyDirs = new Map<string, Map<number, Uint8Array>>();
  /** Files open now: a second open of one is refused, as OPFS refuses a second sync handle. */
  private readonly open_ = new Set<MemoryFile>();
  quota = Infinity;
  sync = true;

  supported(): boolean {
    return this.sync;
  }
  async open(name: string): Promise<SyncFile> {
    let f = this.files.get(name);
    if (f === undefined) this.files.set(name, (f = new MemoryFile(this.quota)));
    if (this.open_.has(f)) throw Object.assign(new Error('the file is open elsewhere'), { name: 'NoModificationAllowedError' });
    this.open_.add(f);
    f.closed = false;
    const file = f;
    return {
      read: (b, o) => file.read(b, o),
      write: (b, o) => file.write(b, o),
      getSize: () => file.getSize(),
      flush: () => file.flush(),
      close: () => {
        this.open_.delete(file);
        file.close();
      },
    };
  }
  /** The machine lost power: every file keeps only what was flushed, and nothing is open. */
  crash(): void {
    for (const f of this.files.values()) f.bytes = f.flushed.slice();
    this.open_.clear();
  }
  async remove(name: string): Promise<void> {
    this.files.delete(name);
  }
  async legacy(dir: string): Promise<LegacyPieces | undefined> {
    const pieces = this.legacyDirs.get(dir);
    if (pieces === undefined) return undefined;
    return {
      indices: async () => [...pieces.keys()].sort((a, b) => a - b),
      read: async (i) => pieces.get(i)!.slice(),
      remove: async (indices) => indices.forEach((i) => pieces.delete(i)),
      removeAll: async () => void this.legacyDirs.delete(dir),
    };
  }
}
