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
