/**
 * The market's own records of one identity in IndexedDB (browser glue): my
 * orders (their signed blocks, to send again after a reload) and my trades
 * (the signed trade-init, the settlement's snapshot after every step, the
 * Ether transactions sent), all written with durability 'strict' before
 * anything that depends on them leaves the tab.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { SettlementSnapshot, Role } from './settlement.ts';

const DB_VERSION = 1;
const ORDERS = 'orders';
const TRADES = 'trades';

export interface StoredOrder {
  id: string;
  /** The encoded ask or bid block. */
  block: Uint8Array;
  cancelled: boolean;
}

/**
 * 'initiating': trade-init proposed, not yet countersigned; 'settling': paying
 * in installments; 'closed': done or failed, trade-done recorded (or tried);
 * 'aborted': trade-init never countersigned, nothing was paid.
 */
export type TradePhase = 'initiating' | 'settling' | 'closed' | 'aborted';

export interface StoredTrade {
  /** Hex of the 16-byte trade id. */
  tradeId: string;
  role: Role;
  counterparty: string;
  /** The encoded trade-init transaction both signed (or I proposed). */
  init: Uint8Array;
  askId: string;
  bidId: string;
  startedAt: number;
  /** The match that led to it, to tell its matchmaker the outcome. */
  matchId?: string;
  phase: TradePhase;
  snapshot?: SettlementSnapshot;
  /** Ether transactions I signed, by payment index, stored before they are sent: a reload sends the same bytes again, never a second payment. */
  etherSent: Record<number, { hash: string; raw: string }>;
  /** The trade-done record was agreed (or, for a failure, proposed). */
  recorded: boolean;
  problem?: string;
}

interface MarketSchema extends DBSchema {
  [ORDERS]: { key: string; value: StoredOrder };
  [TRADES]: { key: string; value: StoredTrade };
}

export class TradeStore {
  private constructor(private readonly db: IDBPDatabase<MarketSchema>) {}

  /** One database per identity, as the ledger's. */
  static async open(identityHex: string): Promise<TradeStore> {
    const db = await openDB<MarketSchema>(`trustmesh-market-${identityHex}`, DB_VERSION, {
      upgrade(database) {
        database.createObjectStore(ORDERS, { keyPath: 'id' });
        database.createObjectStore(TRADES, { keyPath: 'tradeId' });
      },
    });
    return new TradeStore(db);
  }

  async orders(): Promise<StoredOrder[]> {
    return this.db.getAll(ORDERS);
  }

  async trades(): Promise<StoredTrade[]> {
    return this.db.getAll(TRADES);
  }

  async putOrder(order: StoredOrder): Promise<void> {
    const tx = this.db.transaction(ORDERS, 'readwrite', { durability: 'strict' });
    await tx.store.put(order);
    await tx.done;
  }

  async putTrade(trade: StoredTrade): Promise<void> {
    const tx = this.db.transaction(TRADES, 'readwrite', { durability: 'strict' });
    await tx.store.put(structuredClone(trade));
    await tx.done;
  }

  close(): void {
    this.db.close();
  }
}
