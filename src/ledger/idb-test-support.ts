/** Test support: a ledger database as an earlier version of IdbBlockStore created it, to test upgrades. */
import { openDB, type IDBPDatabase } from 'idb';

/** Versions 1 and 2 had the same stores and indexes; they differ in what the records' `pinned` field means. */
export function openLegacyLedgerDb(name: string, version: 1 | 2): Promise<IDBPDatabase> {
  return openDB(name, version, {
    upgrade(db) {
      const blocks = db.createObjectStore('blocks', { keyPath: ['owner', 'seq'] });
      blocks.createIndex('link', ['linkOwner', 'linkSeq']);
      blocks.createIndex('evictable', ['pinned', 'insertedAt']);
      db.createObjectStore('fraud', { keyPath: 'id' }).createIndex('offender', 'offender');
      db.createObjectStore('meta');
    },
  });
}
