/** Neighbours' relay debts in IndexedDB, so a reload does not wipe them (browser glue for relay-debt.ts). */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Debt, DebtStore } from './relay-debt.ts';

const DB_NAME = 'trustmesh-circuits';
const DB_VERSION = 1;

interface CircuitsSchema extends DBSchema {
  /** By neighbour key (hex); the debt as a decimal string (it may pass 2^53). */
  debts: { key: string; value: { debt: string; at: number } };
}

export class IdbDebtStore implements DebtStore {
  private constructor(private readonly db: IDBPDatabase<CircuitsSchema>) {}

  static async open(): Promise<IdbDebtStore> {
    return new IdbDebtStore(
      await openDB<CircuitsSchema>(DB_NAME, DB_VERSION, {
        upgrade(db) {
          db.createObjectStore('debts');
        },
      }),
    );
  }

  async load(): Promise<Map<string, Debt>> {
    const tx = this.db.transaction('debts');
    const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
    await tx.done;
    return new Map(keys.map((k, i) => [k, { debt: BigInt(values[i]!.debt), at: values[i]!.at }]));
  }

  /** One transaction for the whole batch. */
  async save(changes: ReadonlyMap<string, Debt | undefined>): Promise<void> {
    const tx = this.db.transaction('debts', 'readwrite');
    for (const [k, d] of changes) void (d === undefined ? tx.store.delete(k) : tx.store.put({ debt: d.debt.toString(), at: d.at }, k));
    await tx.done;
  }

  close(): void {
    this.db.close();
  }
}
