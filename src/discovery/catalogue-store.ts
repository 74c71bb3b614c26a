/**
 * The catalogue and the per-torrent announce switches, kept across reloads
 * (IndexedDB; browser glue). Records are written in batches with relaxed
 * durability: losing the last second of gossip to a crash costs nothing, as
 * neighbours send their freshest records again on the next connection. The
 * store holds what the catalogue holds, so the catalogue's limits bound it.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { toHex } from '../codec/bytes.ts';
import type { Catalogue, CatalogueChange } from './catalogue.ts';
import { decodeRecord, encodeRecord, type SwarmRecord } from './swarm-record-wire.ts';

const DB_NAME = 'trustmesh-discovery';
const DB_VERSION = 1;
/** Catalogue changes are collected this long, then written in one transaction. */
const WRITE_BATCH_MS = 1_000;

interface DiscoverySchema extends DBSchema {
  /** Key: infohash hex ':' announcer hex; value: the record's canonical encoding. */
  records: { key: string; value: Uint8Array };
  /** Key: infohash hex; value: whether we announce it (absent: the default, on). */
  announce: { key: string; value: boolean };
}

const keyOf = (r: SwarmRecord): string => `${toHex(r.infoHash)}:${toHex(r.announcer)}`;

export class CatalogueStore {
  /** Pending writes by record key: the record to put, or null to delete. */
  private readonly pending = new Map<string, SwarmRecord | null>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private unfollow: (() => void) | undefined;

  private constructor(
    private readonly db: IDBPDatabase<DiscoverySchema>,
    /** Switches read at open, so `announces` answers synchronously. */
    private readonly switches: Map<string, boolean>,
  ) {}

  static async open(): Promise<CatalogueStore> {
    const db = await openDB<DiscoverySchema>(DB_NAME, DB_VERSION, {
      upgrade(d) {
        d.createObjectStore('records');
        d.createObjectStore('announce');
      },
    });
    const tx = db.transaction('announce');
    const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
    return new CatalogueStore(db, new Map(keys.map((k, i) => [k, values[i]!])));
  }

  /** The records kept; any that no longer decode are dropped. */
  async records(): Promise<SwarmRecord[]> {
    const tx = this.db.transaction('records', 'readwrite', { durability: 'relaxed' });
    const out: SwarmRecord[] = [];
    for await (const cursor of tx.store.iterate()) {
      try {
        out.push(decodeRecord(cursor.value));
      } catch {
        await cursor.delete();
      }
    }
    await tx.done;
    return out;
  }

  /** Writes the catalogue's changes from now on (batched). */
  follow(catalogue: Catalogue): void {
    this.unfollow?.();
    this.unfollow = catalogue.onChange((c: CatalogueChange) => {
      if ('put' in c) this.pending.set(keyOf(c.put), c.put);
      else this.pending.set(keyOf(c.removed), null);
      this.timer ??= setTimeout(() => void this.flush(), WRITE_BATCH_MS);
    });
  }

  /** Whether we announce this torrent (on unless switched off). */
  announces(infoHash: string): boolean {
    return this.switches.get(infoHash) ?? true;
  }

  async setAnnounces(infoHash: string, on: boolean): Promise<void> {
    this.switches.set(infoHash, on);
    if (on) await this.db.delete('announce', infoHash);
    else await this.db.put('announce', false, infoHash);
  }

  /** Writes what is pending now. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending];
    this.pending.clear();
    if (batch.length === 0) return this.writing;
    this.writing = this.writing.then(async () => {
      const tx = this.db.transaction('records', 'readwrite', { durability: 'relaxed' });
      for (const [key, r] of batch) void (r === null ? tx.store.delete(key) : tx.store.put(encodeRecord(r), key));
      await tx.done;
    }).catch(() => undefined); // a failed write loses a batch of gossip, which neighbours resend
    return this.writing;
  }

  async close(): Promise<void> {
    this.unfollow?.();
    await this.flush();
    this.db.close();
  }
}
