/**
 * Keeps the debt book (debt-book.ts) in IndexedDB, so a reload does not wipe
 * what peers owe us and we owe them. Writes are batched: at most one a
 * DEBT_FLUSH_MS while anything changed, and one when the page hides. Browser glue.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { DEBT_FLUSH_MS } from './constants.ts';
import { DebtBook, isEmpty, type DebtRecord } from './debt-book.ts';

const DB_NAME = 'trustmesh-debts';
const DB_VERSION = 1;

interface DebtSchema extends DBSchema {
  /** By key (hex) or STOCK_POOL; bigints are stored as they are (structured clone). */
  debts: { key: string; value: DebtRecord };
}

export class DebtKeeper {
  private readonly timer: ReturnType<typeof setInterval>;
  private writing: Promise<void> = Promise.resolve();
  private readonly onHide = (): void => void this.flush();

  private constructor(
    private readonly db: IDBPDatabase<DebtSchema> | undefined,
    readonly book: DebtBook,
  ) {
    this.timer = setInterval(() => void this.flush(), DEBT_FLUSH_MS);
    globalThis.addEventListener?.('pagehide', this.onHide);
  }

  /** The book as last saved; counted in memory only if storage will not open (it still holds within the session). */
  static async open(now: () => number = Date.now): Promise<DebtKeeper> {
    try {
      const db = await openDB<DebtSchema>(DB_NAME, DB_VERSION, {
        upgrade(d) {
          d.createObjectStore('debts', { keyPath: 'key' });
        },
      });
      return new DebtKeeper(db, new DebtBook(now, await db.getAll('debts')));
    } catch {
      return new DebtKeeper(undefined, new DebtBook(now));
    }
  }

  /** Writes what changed (and open connections' figures); resolves when stored. */
  flush(): Promise<void> {
    const changes = this.book.changes();
    const db = this.db;
    if (db === undefined || changes.length === 0) return this.writing;
    // One write at a time, in order, so an older batch never lands after a newer one.
    this.writing = this.writing
      .then(async () => {
        const tx = db.transaction('debts', 'readwrite');
        for (const r of changes) void (isEmpty(r) ? tx.store.delete(r.key) : tx.store.put(r));
        await tx.done;
      })
      .catch(() => undefined);
    return this.writing;
  }

  /** What storage holds for a key now (diagnostics). */
  async stored(key: string): Promise<DebtRecord | undefined> {
    return this.db?.get('debts', key);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    globalThis.removeEventListener?.('pagehide', this.onHide);
    await this.flush();
    this.db?.close();
  }
}
