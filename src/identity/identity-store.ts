/** Persists the profile's identity in IndexedDB. Browser glue. */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { createIdentityNatively, type Identity } from './identity.ts';

const DB_NAME = 'trustmesh-identity';
const DB_VERSION = 1;
const STORE = 'identity';
const SELF = 'self';

interface StoredIdentity {
  seed: Uint8Array;
  publicKey: Uint8Array;
  createdAt: number;
  /**
   * Restored from a backup, and its chain head not yet asked of peers: its
   * other copy may have signed past the backup, so it must sync before signing.
   */
  restoredUnsynced?: boolean;
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
    const identity = await createIdentityNatively((n) => crypto.getRandomValues(new Uint8Array(n)), Date.now);
    await this.save(identity);
    return { identity, created: true };
  }

  /** `restored`: the identity comes from a backup (see StoredIdentity.restoredUnsynced). */
  async save(identity: Identity, opts: { restored?: boolean } = {}): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite', { durability: 'strict' });
    await tx.store.put({ seed: identity.seed, publicKey: identity.publicKey, createdAt: identity.createdAt, ...(opts.restored === true ? { restoredUnsynced: true } : {}) }, SELF);
    await tx.done;
  }

  /** Whether the identity was restored and has not yet learnt its chain head from a peer. */
  async restoredUnsynced(): Promise<boolean> {
    return (await this.db.get(STORE, SELF))?.restoredUnsynced === true;
  }

  /** The restored identity synced its head with a peer: later starts sign at once. */
  async markSynced(): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite', { durability: 'strict' });
    const stored = await tx.store.get(SELF);
    if (stored?.restoredUnsynced === true) {
      const { restoredUnsynced: _, ...rest } = stored;
      await tx.store.put(rest, SELF);
    }
    await tx.done;
  }

  close(): void {
    this.db.close();
  }
}
