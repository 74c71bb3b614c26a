/** Persists the profile's identity in IndexedDB. Browser glue. */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { createIdentity, type Identity } from './identity.ts';

const DB_NAME = 'trustmesh-identity';
const DB_VERSION = 1;
const STORE = 'identity';
const SELF = 'self';

interface StoredIdentity {
  seed: Uint8Array;
  publicKey: Uint8Array;
  createdAt: number;
}

interface IdentitySchema extends DBSchema {
  identity: { key: string; value: StoredIdentity };
}

export class IdentityStore {
  private constructor(private readonly db: IDBPDatabase<IdentitySchema>) {}

  static async open(): Promise<IdentityStore> {
    const db = await openDB<IdentitySchema>(DB_NAME, DB_VERSION, {
      upgrade(database) {
        database.createObjectStore(STORE);
      },
    });
    return new IdentityStore(db);
  }

  async load(): Promise<Identity | undefined> {
    const stored = await this.db.get(STORE, SELF);
    return stored === undefined ? undefined : { seed: stored.seed, publicKey: stored.publicKey, createdAt: stored.createdAt };
  }

  /** Loads the identity, creating and durably storing one on the first visit. */
  async loadOrCreate(): Promise<{ identity: Identity; created: boolean }> {
    const existing = await this.load();
    if (existing !== undefined) return { identity: existing, created: false };
    const identity = createIdentity((n) => crypto.getRandomValues(new Uint8Array(n)), Date.now);
    await this.save(identity);
    return { identity, created: true };
  }

  async save(identity: Identity): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite', { durability: 'strict' });
    await tx.store.put({ seed: identity.seed, publicKey: identity.publicKey, createdAt: identity.createdAt }, SELF);
    await tx.done;
  }

  close(): void {
    this.db.close();
  }
}
