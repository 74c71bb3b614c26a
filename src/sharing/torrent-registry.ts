/** The torrents this profile shares or downloads, kept across reloads (IndexedDB). Browser glue. */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

const DB_NAME = 'trustmesh-sharing';
const DB_VERSION = 1;

export interface TorrentRecord {
  infoHash: string;
  name: string;
  /**
   * The .torrent file, so the torrent is re-added (and its stored data re-verified) without the network.
   * Absent while a hidden download has not yet had the metadata from a seeder.
   */
  torrentFile?: Uint8Array | undefined;
  addedAt: number;
  /** Bytes we were paid for uploading this torrent, and paid others for downloading it (decimal strings: u64). */
  earned: string;
  paid: string;
  /** Shared or fetched only over circuits: never announced to trackers. */
  hidden?: boolean;
  /** A hidden download's relay hops on our side, so a reload resumes it as anonymously as it was asked. */
  hops?: number;
  /**
   * A hidden download's magnet link or .torrent file as the user gave it, trackers included: never
   * used while hidden (only its infohash and name are), kept for "Download directly".
   */
  original?: string | Uint8Array;
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

  get(infoHash: string): Promise<TorrentRecord | undefined> {
    return this.db.get('torrents', infoHash);
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
