/**
 * The ledger's IndexedDB store (browser glue; also runs in Node tests on
 * fake-indexeddb). Blocks are kept as their canonical bytes, keyed by
 * [owner hex, seq], with a link index for agreements and an eviction index.
 *
 * Growth is bounded: the own chain and every block linked to it are pinned;
 * other chains' blocks are evicted oldest-first beyond the budget. Fraud
 * proofs are kept for good.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { toHex } from '../codec/bytes.ts';
import type { HalfBlock } from './block.ts';
import { decodeBlock, encodeBlock, sameBlock } from './block-codec.ts';
import type { BlockStoreReader, PutResult } from './block-store.ts';
import { MAX_SEQ } from './constants.ts';
import { decodeFraudProof, encodeFraudProof, fraudProofId, type FraudKind, type FraudProof } from './fraud.ts';

export const LEDGER_DB_NAME = 'trustmesh-ledger';
const DB_VERSION = 1;

/** Default budget for other peers' blocks: ~50k blocks is ~10 MB, enough to check every recent partner. */
export const DEFAULT_STORAGE_BUDGET: StorageBudget = { maxBlocks: 50_000, maxBytes: 32 * 1024 * 1024 };

export interface StorageBudget {
  maxBlocks: number;
  maxBytes: number;
}

interface BlockRecord {
  owner: string;
  seq: number;
  linkOwner: string;
  linkSeq: number;
  bytes: Uint8Array;
  size: number;
  insertedAt: number;
  /** 1: own chain or linked to it, never evicted. */
  pinned: 0 | 1;
}

interface FraudRecord {
  id: string;
  offender: string;
  kind: FraudKind;
  bytes: Uint8Array;
  receivedAt: number;
}

interface Usage {
  blocks: number;
  bytes: number;
  pinnedBlocks: number;
}

interface LedgerSchema extends DBSchema {
  blocks: { key: [string, number]; value: BlockRecord; indexes: { link: [string, number]; evictable: [number, number] } };
  fraud: { key: string; value: FraudRecord; indexes: { offender: string } };
  meta: { key: string; value: Usage };
}

export interface StoredFraud {
  id: string;
  offender: Uint8Array;
  proof: FraudProof;
  receivedAt: number;
}

export class IdbBlockStore implements BlockStoreReader {
  private usageCache: Usage = { blocks: 0, bytes: 0, pinnedBlocks: 0 };
  private readonly fraudsters = new Set<string>();

  private constructor(
    private readonly db: IDBPDatabase<LedgerSchema>,
    private readonly me: string,
    private readonly now: () => number,
  ) {}

  static async open(me: Uint8Array, now: () => number = Date.now, name: string = LEDGER_DB_NAME): Promise<IdbBlockStore> {
    const db = await openDB<LedgerSchema>(name, DB_VERSION, {
      upgrade(database) {
        const blocks = database.createObjectStore('blocks', { keyPath: ['owner', 'seq'] });
        blocks.createIndex('link', ['linkOwner', 'linkSeq']);
        blocks.createIndex('evictable', ['pinned', 'insertedAt']);
        database.createObjectStore('fraud', { keyPath: 'id' }).createIndex('offender', 'offender');
        database.createObjectStore('meta');
      },
    });
    const store = new IdbBlockStore(db, toHex(me), now);
    store.usageCache = (await db.get('meta', 'usage')) ?? store.usageCache;
    for (const r of await db.getAll('fraud')) store.fraudsters.add(r.offender);
    return store;
  }

  private decode(r: BlockRecord | undefined): HalfBlock | undefined {
    return r === undefined ? undefined : decodeBlock(r.bytes);
  }

  async get(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.decode(await this.db.get('blocks', [toHex(publicKey), seq]));
  }

  private async edge(owner: string, from: number, to: number, direction: 'next' | 'prev'): Promise<HalfBlock | undefined> {
    if (from > to) return undefined;
    const cursor = await this.db.transaction('blocks').store.openCursor(IDBKeyRange.bound([owner, from], [owner, to]), direction);
    return this.decode(cursor?.value);
  }

  latest(publicKey: Uint8Array): Promise<HalfBlock | undefined> {
    return this.edge(toHex(publicKey), 0, MAX_SEQ, 'prev');
  }

  before(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.edge(toHex(publicKey), 0, seq - 1, 'prev');
  }

  after(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.edge(toHex(publicKey), seq + 1, MAX_SEQ, 'next');
  }

  async range(publicKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    if (from > to) return [];
    const owner = toHex(publicKey);
    return (await this.db.getAll('blocks', IDBKeyRange.bound([owner, from], [owner, to]))).map((r) => decodeBlock(r.bytes));
  }

  async agreementsFor(proposerKey: Uint8Array, proposalSeq: number): Promise<HalfBlock[]> {
    return (await this.db.getAllFromIndex('blocks', 'link', [toHex(proposerKey), proposalSeq])).map((r) => decodeBlock(r.bytes));
  }

  async agreementsInRange(proposerKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    if (from > to) return [];
    const owner = toHex(proposerKey);
    return (await this.db.getAllFromIndex('blocks', 'link', IDBKeyRange.bound([owner, from], [owner, to]))).map((r) => decodeBlock(r.bytes));
  }

  /** Several positions in one transaction, requests pipelined. */
  async getMany(positions: readonly { publicKey: Uint8Array; seq: number }[]): Promise<(HalfBlock | undefined)[]> {
    const store = this.db.transaction('blocks').store;
    return Promise.all(positions.map(async (p) => this.decode(await store.get([toHex(p.publicKey), p.seq]))));
  }

  /**
   * Stores blocks in one transaction. `strict` durability: the commit reaches
   * disk before the promise resolves (required before our own signatures leave).
   * A block whose position already holds a different block is not stored.
   */
  async putMany(blocks: readonly HalfBlock[], durability: 'strict' | 'relaxed'): Promise<PutResult[]> {
    const tx = this.db.transaction(['blocks', 'meta'], 'readwrite', { durability });
    const store = tx.objectStore('blocks');
    // One key query per owner finds which positions are taken; requests are pipelined, not awaited one by one.
    const byOwner = new Map<string, number[]>();
    for (const b of blocks) {
      const owner = toHex(b.publicKey);
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), b.sequenceNumber]);
    }
    const taken = new Set<string>();
    await Promise.all(
      [...byOwner].map(async ([owner, seqs]) => {
        const keys = await store.getAllKeys(IDBKeyRange.bound([owner, Math.min(...seqs)], [owner, Math.max(...seqs)]));
        for (const [o, s] of keys) taken.add(`${o}:${s}`);
      }),
    );
    const usage = { ...((await tx.objectStore('meta').get('usage')) ?? this.usageCache) };
    const insertedAt = this.now();
    const results: Promise<PutResult>[] = [];
    const fresh = new Set<string>();
    for (const b of blocks) {
      const owner = toHex(b.publicKey);
      const k = `${owner}:${b.sequenceNumber}`;
      if (taken.has(k) || fresh.has(k)) {
        // Requests run in order within the transaction, so this also sees a block added earlier in this batch.
        results.push(store.get([owner, b.sequenceNumber]).then((existing) => (existing !== undefined && sameBlock(decodeBlock(existing.bytes), b) ? 'exists' : 'conflict')));
        continue;
      }
      fresh.add(k);
      const bytes = encodeBlock(b);
      const linkOwner = toHex(b.linkPublicKey);
      const pinned = owner === this.me || linkOwner === this.me ? 1 : 0;
      void store.add({ owner, seq: b.sequenceNumber, linkOwner, linkSeq: b.linkSequenceNumber, bytes, size: bytes.length, insertedAt, pinned });
      usage.blocks += 1;
      usage.bytes += bytes.length;
      usage.pinnedBlocks += pinned;
      results.push(Promise.resolve('added'));
    }
    void tx.objectStore('meta').put(usage, 'usage');
    const settled = await Promise.all(results);
    await tx.done;
    this.usageCache = usage;
    return settled;
  }

  async put(block: HalfBlock): Promise<PutResult> {
    return (await this.putMany([block], 'relaxed'))[0]!;
  }

  /** Evicts unpinned blocks, oldest first, until the unpinned part fits the budget. Returns how many went. */
  async evict(budget: StorageBudget = DEFAULT_STORAGE_BUDGET): Promise<number> {
    const tx = this.db.transaction(['blocks', 'meta'], 'readwrite');
    const usage = { ...((await tx.objectStore('meta').get('usage')) ?? this.usageCache) };
    let removed = 0;
    let cursor = await tx.objectStore('blocks').index('evictable').openCursor(IDBKeyRange.bound([0, 0], [0, Number.MAX_SAFE_INTEGER]));
    while (cursor !== null && (usage.blocks - usage.pinnedBlocks > budget.maxBlocks || usage.bytes > budget.maxBytes)) {
      usage.blocks -= 1;
      usage.bytes -= cursor.value.size;
      removed += 1;
      await cursor.delete();
      cursor = await cursor.continue();
    }
    await tx.objectStore('meta').put(usage, 'usage');
    await tx.done;
    this.usageCache = usage;
    return removed;
  }

  usage(): Usage {
    return { ...this.usageCache };
  }

  async putFraud(proof: FraudProof, offender: Uint8Array): Promise<boolean> {
    const id = toHex(fraudProofId(proof));
    const tx = this.db.transaction('fraud', 'readwrite', { durability: 'strict' });
    const existing = await tx.store.get(id);
    if (existing === undefined) await tx.store.add({ id, offender: toHex(offender), kind: proof.kind, bytes: encodeFraudProof(proof), receivedAt: this.now() });
    await tx.done;
    this.fraudsters.add(toHex(offender));
    return existing === undefined;
  }

  isFraudster(publicKey: Uint8Array): boolean {
    return this.fraudsters.has(toHex(publicKey));
  }

  async fraudProofs(): Promise<StoredFraud[]> {
    return (await this.db.getAll('fraud')).map((r) => {
      const proof = decodeFraudProof(r.bytes);
      return { id: r.id, offender: proof.first.publicKey, proof, receivedAt: r.receivedAt };
    });
  }

  close(): void {
    this.db.close();
  }
}
