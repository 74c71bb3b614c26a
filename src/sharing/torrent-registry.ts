/** The torrents this profile shares or downloads, kept across reloads (IndexedDB). Browser glue. */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

const DB_NAME = 'trustmesh-sharing';
const DB_VERSION = 1;

export interface TorrentRecord {
  infoHash: string;
  name: string;
  /** The .torrent file, so the torrent is re-added (and its stored data re-verified) without the network. */
  torrentFile: Uint8Array;
  addedAt: number;
  /** Bytes we were paid for uploading this torrent, and paid others for downloading it (decimal strings: u64). */
  earned: string;
  paid: string;
  /** Shared or fetched only over circuits: never announced to trackers. */
  hidden?: boolean;
}

interface SharingSchema extends DBSchema {
  torrents: { key: string; value: TorrentRecord };
}

/** Adds a settled payment to a torrent's totals. */
export function addSettlement(r: TorrentRecord, tokens: bigint, earned: boolean): void {
  if (earned) r.earned = (BigInt(r.earned) + tokens).toString();
  else r.paid = (BigInt(r.paid) + tokens).toString();
}

export class TorrentRegistry {
  private constructor(private readonly db: IDBPDatabase<SharingSchema>) {}

  static async open(): Promise<TorrentRegistry> {
    return new TorrentRegistry(
      await openDB<SharingSchema>(DB_NAME, DB_VERSION, {
        upgrade(db) {
          db.createObjectStore('torrents', { keyPath: 'infoHash' });
        },
      }),
    );
  }

  all(): Promise<TorrentRecord[]> {
    return this.db.getAll('torrents');
  }

  async put(record: TorrentRecord): Promise<void> {
    await this.db.put('torrents', record);
  }

  async remove(infoHash: string): Promise<void> {
    await this.db.delete('torrents', infoHash);
  }

  /** Adds to the paid/earned counters of a torrent. */
  async addSettlement(infoHash: string, bytes: bigint, earned: boolean): Promise<void> {
    const tx = this.db.transaction('torrents', 'readwrite');
    const r = await tx.store.get(infoHash);
    if (r !== undefined) {
      addSettlement(r, bytes, earned);
      await tx.store.put(r);
    }
    await tx.done;
  }

  close(): void {
    this.db.close();
  }
}
