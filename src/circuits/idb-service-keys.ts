/** Hidden swarms' service keys in IndexedDB, so a reload publishes under the same key (browser glue for service-keys.ts). */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { SEED_LENGTH } from '../crypto/ed25519.ts';
import type { ServiceKeyStore } from './service-keys.ts';

/** A database of its own: the circuits database's schema belongs to the debt store. */
const DB_NAME = 'trustmesh-hidden-services';
const DB_VERSION = 1;

interface ServiceKeysSchema extends DBSchema {
  /** By infohash (hex): the service key's Ed25519 seed. */
  keys: { key: string; value: Uint8Array };
}

export class IdbServiceKeyStore implements ServiceKeyStore {
  private db: Promise<IDBPDatabase<ServiceKeysSchema>> | undefined;

  private open(): Promise<IDBPDatabase<ServiceKeysSchema>> {
    this.db ??= openDB<ServiceKeysSchema>(DB_NAME, DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('keys');
      },
    });
    return this.db;
  }

  async seedFor(infoHash: string): Promise<Uint8Array> {
    const db = await this.open();
    const tx = db.transaction('keys', 'readwrite');
    let seed = await tx.store.get(infoHash);
    if (seed === undefined || seed.length !== SEED_LENGTH) {
      seed = crypto.getRandomValues(new Uint8Array(SEED_LENGTH));
      await tx.store.put(seed, infoHash);
    }
    await tx.done;
    return seed;
  }
}
