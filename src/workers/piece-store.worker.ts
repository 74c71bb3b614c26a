/// <reference lib="webworker" />
/// <reference lib="webworker.asynciterable" />
/**
 * The piece store worker (browser glue): PieceFiles over the origin private
 * file system, each torrent's file open through a synchronous access handle
 * (only dedicated workers have them), which reads and writes in place without
 * a round trip to the browser process per piece.
 */
import { PieceFiles, type LegacyPieces, type PieceDirectory, type SyncFile } from './piece-files.ts';
import { OPEN_RETRIES, OPEN_RETRY_MS, PIECES_DIR, PIECE_FLUSH_MS } from './piece-store-constants.ts';
import type { PieceRequest } from './piece-store-protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

const root = (): Promise<FileSystemDirectoryHandle> => navigator.storage.getDirectory();
const piecesDir = async (): Promise<FileSystemDirectoryHandle> => (await root()).getDirectoryHandle(PIECES_DIR, { create: true });
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function openSync(handle: FileSystemFileHandle): Promise<SyncFile> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await handle.createSyncAccessHandle();
    } catch (err) {
      // Held by the page this one replaced, whose worker is going away.
      if ((err as Error).name !== 'NoModificationAllowedError' || attempt >= OPEN_RETRIES) throw err;
      await wait(OPEN_RETRY_MS);
    }
  }
}

async function legacyPieces(name: string): Promise<LegacyPieces | undefined> {
  const top = await root();
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await top.getDirectoryHandle(name);
  } catch {
    return undefined; // none, or a name the old store could not have made
  }
  return {
    async indices() {
      const found: number[] = [];
      for await (const [entry, h] of dir.entries()) if (h.kind === 'file' && /^\d+$/.test(entry)) found.push(Number(entry));
      return found.sort((a, b) => a - b);
    },
    async read(index) {
      const file = await (await dir.getFileHandle(String(index))).getFile();
      return new Uint8Array(await file.arrayBuffer());
    },
    async remove(indices) {
      for (const i of indices) await dir.removeEntry(String(i)).catch(() => undefined);
    },
    async removeAll() {
      await top.removeEntry(name, { recursive: true }).catch(() => undefined);
    },
  };
}

const directory: PieceDirectory = {
  supported: () => typeof FileSystemFileHandle !== 'undefined' && 'createSyncAccessHandle' in FileSystemFileHandle.prototype,
  open: async (name) => openSync(await (await piecesDir()).getFileHandle(name, { create: true })),
  remove: async (name) => (await piecesDir()).removeEntry(name).catch(() => undefined),
  legacy: legacyPieces,
};

const files = new PieceFiles(directory);
setInterval(() => files.flushAll(), PIECE_FLUSH_MS);

self.onmessage = (e: MessageEvent<PieceRequest>) => {
  void files.handle(e.data).then((res) => {
    const data = res.ok ? res.data : undefined;
    self.postMessage(res, data === undefined ? [] : [data.buffer]);
  });
};
