/** Test hooks for the default download path: where a hidden download's reach stands, and switching it to direct. */
import { TorrentRegistry } from '../../sharing/torrent-registry.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';

export function downloadHooks(session: AppSession) {
  return {
    reachStatus: (infoHash: string) => running(session).hidden.reachStatus(infoHash),
    hiddenDownloads: () => running(session).sharing.hiddenDownloads(),
    downloadDirectly: (infoHash: string) => running(session).sharing.downloadDirectly(infoHash),
    /**
     * Bytes of a torrent's pieces committed to the browser's storage (WebTorrent's fsa-chunk-store keeps
     * one file per piece in a directory named "<name> - <first 8 hex of the infohash>").
     */
    async storedBytes(infoHash: string): Promise<number> {
      const name = running(session).sharing.views().find((v) => v.infoHash === infoHash)?.name;
      if (name === undefined) return 0;
      const root = await navigator.storage.getDirectory();
      const dir = await root.getDirectoryHandle(`${name} - ${infoHash.slice(0, 8)}`).catch(() => undefined);
      let bytes = 0;
      if (dir !== undefined) for await (const handle of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) if (handle.kind === 'file') bytes += (await (handle as FileSystemFileHandle).getFile()).size;
      return bytes;
    },
    /**
     * Rewrites a kept torrent's record as a hidden download of `magnet`, so that after a reload it
     * resumes as one with the pieces it already stored (a hidden download whose seeder left midway).
     */
    async keepAsHidden(infoHash: string, magnet: string, hops = 1): Promise<void> {
      const registry = await TorrentRegistry.open();
      try {
        const record = await registry.get(infoHash);
        if (record === undefined) throw new Error(`no kept torrent ${infoHash}`);
        await registry.put({ ...record, hidden: true, hops, original: magnet });
      } finally {
        registry.close();
      }
    },
  };
}
