/**
 * Test hooks for where torrents keep their pieces: the upgrade from the layout
 * earlier versions used (WebTorrent's default browser store, fsa-chunk-store:
 * one file per piece, named by its index, in `<torrent name> - <infohash[0..8]>`)
 * to the piece store worker's one file per torrent.
 */
import type { Torrent } from 'webtorrent';
import { PIECES_DIR } from '../../workers/piece-store-constants.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';

/** The worker lets go of a file once the torrent's close reaches it: try again shortly, a bounded number of times. */
async function once<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const legacyName = (t: { name: string; infoHash: string }): string => `${t.name} - ${t.infoHash.slice(0, 8)}`;

export function storageHooks(session: AppSession) {
  const torrentOf = (infoHash: string): Torrent => {
    const entries = (running(session).sharing as unknown as { entries: Map<string, { torrent: Torrent }> }).entries;
    const t = entries.get(infoHash)?.torrent;
    if (t === undefined) throw new Error(`no torrent ${infoHash} here`);
    return t;
  };
  return {
    /** Stops the peer and lays the torrent's pieces out as an earlier version kept them; reload to start the upgraded app. */
    async asEarlierVersion(infoHash: string): Promise<void> {
      const t = torrentOf(infoHash);
      const { pieceLength } = t;
      const name = legacyName({ name: t.name ?? '', infoHash });
      await session.stop();
      const root = await navigator.storage.getDirectory();
      const pieces = await root.getDirectoryHandle(PIECES_DIR);
      const file = await once(async () => (await pieces.getFileHandle(infoHash)).getFile());
      const legacy = await root.getDirectoryHandle(name, { create: true });
      for (let i = 0; i * pieceLength < file.size; i++) {
        const w = await (await legacy.getFileHandle(String(i), { create: true })).createWritable();
        await w.write(file.slice(i * pieceLength, (i + 1) * pieceLength));
        await w.close();
      }
      await once(() => pieces.removeEntry(infoHash));
    },
    /** Bytes of the torrent's pieces in its file (a piece never written reads as zeros: the data tests store is random). */
    async storedBytes(infoHash: string): Promise<number> {
      const { pieceLength } = torrentOf(infoHash);
      const pieces = await (await navigator.storage.getDirectory()).getDirectoryHandle(PIECES_DIR);
      const bytes = new Uint8Array(await (await (await pieces.getFileHandle(infoHash)).getFile()).arrayBuffer());
      let stored = 0;
      for (let at = 0; at < bytes.length; at += pieceLength) {
        const piece = bytes.subarray(at, at + pieceLength);
        if (piece.some((b) => b !== 0)) stored += piece.length;
      }
      return stored;
    },
    /** Which layouts hold the torrent now: the piece store's file, the earlier per-piece directory. */
    async layout(infoHash: string): Promise<{ pieceFile: boolean; earlierDirectory: boolean }> {
      const t = torrentOf(infoHash);
      const root = await navigator.storage.getDirectory();
      const exists = (p: Promise<unknown>) => p.then(() => true, () => false);
      return {
        pieceFile: await exists(root.getDirectoryHandle(PIECES_DIR).then((d) => d.getFileHandle(infoHash))),
        earlierDirectory: await exists(root.getDirectoryHandle(legacyName({ name: t.name ?? '', infoHash }))),
      };
    },
  };
}
