/**
 * The ledger's IndexedDB store (browser glue; also runs in Node tests on
 * fake-indexeddb). Blocks are kept as their canonical bytes, keyed by
 * [owner hex, seq], with link indexes for agreements and an eviction index;
 * consecutive blocks stored together share one record (a run, idb-runs.ts).
 *
 * Storage only for what we have reason to keep. Every block sits in one tier,
 * chosen by whoever stores it:
 *   pinned    our own blocks and the other halves of pairs we signed; never evicted
 *   general   chains linked to us, and what we asked for; bounded by the general budget
 *   stranger  unknown types, chains with no verified link to us; a small budget
 * Budgets are enforced in the transaction that inserts, oldest first, so the
 * store never holds more than pinned + general + stranger budgets. A block
 * stored again in a tier with more reason to keep it moves up (never down).
 * Fraud proofs are kept for good.
 */
import { openDB, unwrap, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { toHex } from '../codec/bytes.ts';
import { isAgreement, type HalfBlock } from './block.ts';
import { sameBlock } from './block-codec.ts';
import type { BlockStoreReader, PutResult } from './block-store.ts';
import { ownTransactionReads, recordAtOrAfter, sharedTransactionReads, type AnyBlocksStore, type BlockReads } from './idb-block-reads.ts';
import { blockAt, blockCount, blocksIn, consecutiveRuns, holds, runRecord, sizeAt, splitRun } from './idb-runs.ts';
import { lowerBound } from './memory-store.ts';
import { TIER_CODE, type BlockRecord, type LedgerSchema, type Tier, type TierCode, type Tiers, type TierUsage } from './idb-schema.ts';
import { GENERAL_BUDGET_BLOCKS, GENERAL_BUDGET_BYTES, MAX_SEQ, STRANGER_BUDGET_BLOCKS, STRANGER_BUDGET_BYTES } from './constants.ts';
import { decodeFraudProof, encodeFraudProof, fraudProofId, type FraudProof } from './fraud.ts';

export type { Tier, TierUsage } from './idb-schema.ts';

export const LEDGER_DB_NAME = 'trustmesh-ledger';
/** 2: tiers (pinning needs our signature on the pair; strangers get their own budget). 3: runs (idb-runs.ts). */
const DB_VERSION = 3;

export interface StorageBudget {
  maxBlocks: number;
  maxBytes: number;
}

export interface StorageBudgets {
  general: StorageBudget;
  stranger: StorageBudget;
}

export const DEFAULT_STORAGE_BUDGET: StorageBudget = { maxBlocks: GENERAL_BUDGET_BLOCKS, maxBytes: GENERAL_BUDGET_BYTES };
export const DEFAULT_STRANGER_BUDGET: StorageBudget = { maxBlocks: STRANGER_BUDGET_BLOCKS, maxBytes: STRANGER_BUDGET_BYTES };
export const DEFAULT_BUDGETS: StorageBudgets = { general: DEFAULT_STORAGE_BUDGET, stranger: DEFAULT_STRANGER_BUDGET };

/** Where a caller puts the blocks it stores: one tier for all, or one per block. Our own blocks are always pinned. */
export type Placement = Tier | ((block: HalfBlock) => Tier);

const TIER_OF: readonly Tier[] = ['general', 'pinned', 'stranger'];
/** Which tier wins when a stored block is offered again. */
const KEEP_RANK: Record<Tier, number> = { stranger: 0, general: 1, pinned: 2 };

export interface Usage {
  blocks: number;
  bytes: number;
  pinnedBlocks: number;
  tiers: Tiers;
}

type UpgradeTx = IDBPTransaction<LedgerSchema, ('blocks' | 'fraud' | 'meta')[], 'versionchange'>;

export interface StoredFraud {
  id: string;
  offender: Uint8Array;
  proof: FraudProof;
  receivedAt: number;
}

const emptyTiers = (): Tiers => ({ pinned: { blocks: 0, bytes: 0 }, general: { blocks: 0, bytes: 0 }, stranger: { blocks: 0, bytes: 0 } });
const copyTiers = (t: Tiers): Tiers => ({ pinned: { ...t.pinned }, general: { ...t.general }, stranger: { ...t.stranger } });
const ALL_OF_TIER = (code: TierCode): IDBKeyRange => IDBKeyRange.bound([code, -Infinity], [code, Infinity]);

/** A block's position already holds a different block (putMany with allOrNothing stored nothing). */
export class PositionTakenError extends Error {
  override name = 'PositionTakenError';
  constructor(readonly block: HalfBlock) {
    super(`position ${block.sequenceNumber} of ${toHex(block.publicKey).slice(0, 8)}… already holds a different block`);
  }
}

/** A request's own failure surfaces as its transaction's (tx.done rejects); the request's promise needs no handler of its own. */
const failedWithTransaction = (): void => undefined;

export class IdbBlockStore implements BlockStoreReader {
  private tiers: Tiers = emptyTiers();
  private readonly fraudsters = new Set<string>();
  /** Owners of pinned blocks other than us: the counterparties of pairs we signed. */
  private readonly partners = new Set<string>();
  private readonly reads: BlockReads;

  private constructor(
    private readonly db: IDBPDatabase<LedgerSchema>,
    private readonly me: string,
    private readonly now: () => number,
    readonly budgets: StorageBudgets,
  ) {
    this.reads = ownTransactionReads(db);
  }

  static async open(me: Uint8Array, now: () => number = Date.now, name: string = LEDGER_DB_NAME, budgets: StorageBudgets = DEFAULT_BUDGETS): Promise<IdbBlockStore> {
    const meHex = toHex(me);
    const db = await openDB<LedgerSchema>(name, DB_VERSION, {
      async upgrade(database, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) {
          const blocks = database.createObjectStore('blocks', { keyPath: ['owner', 'seq'] });
          blocks.createIndex('link', ['linkOwner', 'linkSeq']);
          blocks.createIndex('evictable', ['pinned', 'insertedAt']);
          database.createObjectStore('fraud', { keyPath: 'id' }).createIndex('offender', 'offender');
          database.createObjectStore('meta');
        }
        if (oldVersion === 1) await migrateToTiers(tx, meHex);
        // Records written before version 3 are all single blocks: the new index starts empty and stays right.
        if (oldVersion < 3) tx.objectStore('blocks').createIndex('runLinks', 'links', { multiEntry: true });
      },
    });
    const store = new IdbBlockStore(db, meHex, now, budgets);
    const stored = await db.get('meta', 'usage');
    if (stored?.pinned !== undefined) store.tiers = copyTiers(stored);
    for (const r of await db.getAll('fraud')) store.fraudsters.add(r.offender);
    for (const [owner] of await db.getAllKeysFromIndex('blocks', 'evictable', ALL_OF_TIER(TIER_CODE.pinned))) if (owner !== meHex) store.partners.add(owner);
    // A migrated database (or smaller budgets than last time) may start over budget.
    await store.evict();
    return store;
  }

  get(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.reads.get(publicKey, seq);
  }

  latest(publicKey: Uint8Array): Promise<HalfBlock | undefined> {
    return this.reads.latest(publicKey);
  }

  before(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.reads.before(publicKey, seq);
  }

  after(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.reads.after(publicKey, seq);
  }

  range(publicKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    return this.reads.range(publicKey, from, to);
  }

  agreementsFor(proposerKey: Uint8Array, proposalSeq: number): Promise<HalfBlock[]> {
    return this.reads.agreementsFor(proposerKey, proposalSeq);
  }

  agreementsInRange(proposerKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    return this.reads.agreementsInRange(proposerKey, from, to);
  }

  /** Several positions in one transaction, requests pipelined. */
  getMany(positions: readonly { publicKey: Uint8Array; seq: number }[]): Promise<(HalfBlock | undefined)[]> {
    return this.reads.getMany(positions);
  }

  /** A reader for a batch of queries made together (a validation window): they share one read transaction. */
  batchReader(): BlockReads {
    return sharedTransactionReads(this.db);
  }

  /**
   * The newest `limit` stored agreements (by when they were stored), newest
   * first, from every tier: what the reputation graph is built from at start
   * (each names its proposal). One read transaction, cursors walked backwards.
   */
  async newestAgreements(limit: number): Promise<HalfBlock[]> {
    const index = this.db.transaction('blocks').store.index('evictable');
    const found: { insertedAt: number; block: HalfBlock }[] = [];
    for (const code of Object.values(TIER_CODE)) {
      let taken = 0;
      for (let c = await index.openCursor(ALL_OF_TIER(code), 'prev'); c !== null && taken < limit; c = await c.continue()) {
        const agreements = blocksIn(c.value).filter(isAgreement).reverse().slice(0, limit - taken);
        for (const block of agreements) found.push({ insertedAt: c.value.insertedAt, block });
        taken += agreements.length;
      }
    }
    return found
      .sort((a, b) => b.insertedAt - a.insertedAt)
      .slice(0, limit)
      .map((f) => f.block);
  }

  /**
   * Blocks stored (or moved between tiers) at `since` or later, by the store's
   * clock, oldest first per tier, at most `limit` records per tier (a record is a block or a run): one getAll per
   * tier, so a reader that keeps up (the reputation feed) never walks cursors.
   * `through` is where the next read starts: the last time read in full (a
   * tier cut at `limit` holds it back). Blocks at `through` come again; the
   * reader de-duplicates.
   */
  async storedSince(since: number, limit: number): Promise<{ blocks: HalfBlock[]; through: number }> {
    const index = this.db.transaction('blocks').store.index('evictable');
    const perTier = await Promise.all(Object.values(TIER_CODE).map((code) => index.getAll(IDBKeyRange.bound([code, since], [code, Infinity]), limit)));
    let through = since;
    let cut = Infinity;
    for (const records of perTier) {
      const last = records.at(-1)?.insertedAt;
      if (last === undefined) continue;
      through = Math.max(through, last);
      // A tier cut short is read on from its last time; a cut at `since` itself moves on, or it would never advance.
      if (records.length >= limit) cut = Math.min(cut, Math.max(last, since + 1));
    }
    return { blocks: perTier.flat().flatMap((r) => blocksIn(r)), through: Math.min(through, cut) };
  }

  /** When the newest stored block was stored (0 for an empty store): where a reader of `storedSince` starts. */
  async newestStoredAt(): Promise<number> {
    const index = this.db.transaction('blocks').store.index('evictable');
    const newest = await Promise.all(Object.values(TIER_CODE).map(async (code) => (await index.openCursor(ALL_OF_TIER(code), 'prev'))?.value.insertedAt ?? 0));
    return Math.max(0, ...newest);
  }

  /** The tier a stored block is kept in. */
  async tierOf(publicKey: Uint8Array, seq: number): Promise<Tier | undefined> {
    const r = await recordAtOrAfter(this.db.transaction('blocks').store, toHex(publicKey), seq);
    return r === undefined || !holds(r, seq) ? undefined : TIER_OF[r.pinned];
  }

  /** Whether `publicKey` is the counterparty of a pair we signed (its chain has a verified link to us). */
  isPartner(publicKey: Uint8Array): boolean {
    return this.partners.has(toHex(publicKey));
  }

  /**
   * Stores blocks in one transaction, in the tiers `placement` chooses, and
   * evicts what the budgets no longer hold in the same transaction. `strict`
   * durability: the commit reaches disk before the promise resolves (required
   * before our own signatures leave). A block whose position already holds a
   * different block is not stored; the same block moves up to a tier with
   * more reason to keep it (e.g. the other half of a pair we just signed).
   * `allOrNothing`: a position holding a different block stores none of
   * them, and throws PositionTakenError (our own signatures: never one half of
   * a batch without the other, never a block over another device's).
   */
  async putMany(blocks: readonly HalfBlock[], durability: 'strict' | 'relaxed', placement: Placement = 'general', opts: { allOrNothing?: boolean } = {}): Promise<PutResult[]> {
    const tierOf = (b: HalfBlock, owner: string): Tier => (owner === this.me ? 'pinned' : typeof placement === 'function' ? placement(b) : placement);
    const tx = this.db.transaction(['blocks', 'meta'], 'readwrite', { durability });
    const store = tx.objectStore('blocks');
    const held = await heldPositions(store, blocks);
    const tiers = await this.countersIn(tx);
    const insertedAt = this.now();
    const results: PutResult[] = [];
    /** Blocks new to the store, by position, each in the best tier it was offered in. */
    const fresh = new Map<string, { block: HalfBlock; owner: string; tier: Tier }>();
    /** Stored records with blocks offered in a better tier: sequence number → that tier. */
    const raised = new Map<BlockRecord, Map<number, Tier>>();
    for (const b of blocks) {
      const owner = toHex(b.publicKey);
      const tier = tierOf(b, owner);
      const k = `${owner}:${b.sequenceNumber}`;
      const offered = fresh.get(k);
      const record = held.get(k);
      const existing = offered?.block ?? (record === undefined ? undefined : blockAt(record, b.sequenceNumber));
      if (existing === undefined) {
        fresh.set(k, { block: b, owner, tier });
        results.push('added');
      } else if (!sameBlock(existing, b)) {
        results.push('conflict');
      } else {
        results.push('exists');
        if (offered !== undefined) {
          if (KEEP_RANK[tier] > KEEP_RANK[offered.tier]) offered.tier = tier;
        } else {
          const moves = raised.get(record!) ?? new Map<number, Tier>();
          if (KEEP_RANK[tier] > KEEP_RANK[moves.get(b.sequenceNumber) ?? TIER_OF[record!.pinned]!]) raised.set(record!, moves.set(b.sequenceNumber, tier));
        }
      }
    }
    const conflict = results.indexOf('conflict');
    if (opts.allOrNothing === true && conflict >= 0) {
      tx.abort();
      await tx.done.catch(failedWithTransaction);
      throw new PositionTakenError(blocks[conflict]!);
    }
    const newPartners = new Set<string>();
    const noteTier = (tier: Tier, owner: string): void => {
      if (tier === 'pinned' && owner !== this.me) newPartners.add(owner);
    };
    // Writes go to the raw store: idb's promise and listeners per request cost more than the write;
    // a failed write fails the transaction, which tx.done reports.
    const rawStore = unwrap(store);
    // New blocks: one record per run of consecutive blocks of one owner in one tier.
    for (const group of groupBy(fresh.values(), (f) => `${f.owner}:${f.tier}`)) {
      const { owner, tier } = group[0]!;
      for (const run of consecutiveRuns(group.map((f) => f.block))) {
        const record = runRecord(run, tier, insertedAt);
        rawStore.add(record);
        tiers[tier].blocks += run.length;
        tiers[tier].bytes += record.size;
        noteTier(tier, owner);
      }
    }
    // Stored blocks moving up a tier: their record is written again, split around them.
    for (const [record, moves] of raised) {
      for (const [seq, tier] of moves) {
        move(tiers, TIER_OF[record.pinned]!, tier, sizeAt(record, seq));
        noteTier(tier, record.owner);
      }
      rawStore.delete([record.owner, record.seq]);
      for (const piece of splitRun(record, TIER_OF[record.pinned]!, moves, insertedAt)) rawStore.put(piece);
    }
    await evictOver(tx, tiers, 'stranger', this.budgets.stranger);
    await evictOver(tx, tiers, 'general', this.budgets.general);
    void tx.objectStore('meta').put(tiers, 'usage');
    await tx.done;
    this.tiers = tiers;
    for (const p of newPartners) this.partners.add(p);
    return results;
  }

  /** The counters as committed (another instance on the same database, e.g. a restore, may have moved them). */
  private async countersIn(tx: IDBPTransaction<LedgerSchema, ('blocks' | 'meta')[], 'readwrite'>): Promise<Tiers> {
    const stored = await tx.objectStore('meta').get('usage');
    return copyTiers(stored?.pinned !== undefined ? stored : this.tiers);
  }

  async put(block: HalfBlock): Promise<PutResult> {
    return (await this.putMany([block], 'relaxed'))[0]!;
  }

  /**
   * Evicts general and stranger blocks, oldest first, until each tier fits its
   * budget (`general` overrides the general one). Inserts already do this;
   * it matters after a migration or when budgets shrink. Returns how many went.
   */
  async evict(general: StorageBudget = this.budgets.general): Promise<number> {
    const tx = this.db.transaction(['blocks', 'meta'], 'readwrite');
    const tiers = await this.countersIn(tx);
    const removed = (await evictOver(tx, tiers, 'stranger', this.budgets.stranger)) + (await evictOver(tx, tiers, 'general', general));
    if (removed > 0) void tx.objectStore('meta').put(tiers, 'usage');
    await tx.done;
    this.tiers = tiers;
    return removed;
  }

  usage(): Usage {
    const t = this.tiers;
    return {
      blocks: t.pinned.blocks + t.general.blocks + t.stranger.blocks,
      bytes: t.pinned.bytes + t.general.bytes + t.stranger.bytes,
      pinnedBlocks: t.pinned.blocks,
      tiers: copyTiers(t),
    };
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

function move(tiers: Tiers, from: Tier, to: Tier, size: number): void {
  tiers[from].blocks -= 1;
  tiers[from].bytes -= size;
  tiers[to].blocks += 1;
  tiers[to].bytes += size;
}

/**
 * The stored records holding positions of `blocks`, by `owner:seq`. Per owner, one key query over
 * the batch's span (and the key just after it, a run may reach into the span from there), then one
 * read per record that may hold a position: the first keyed at or after it.
 */
async function heldPositions(store: AnyBlocksStore, blocks: readonly HalfBlock[]): Promise<Map<string, BlockRecord>> {
  const held = new Map<string, BlockRecord>();
  const byOwner = groupBy(blocks, (b) => toHex(b.publicKey));
  await Promise.all(
    byOwner.map(async (owned) => {
      const owner = toHex(owned[0]!.publicKey);
      const seqs = owned.map((b) => b.sequenceNumber);
      const [lo, hi] = [Math.min(...seqs), Math.max(...seqs)];
      const [keys, next] = await Promise.all([store.getAllKeys(IDBKeyRange.bound([owner, lo], [owner, hi])), hi < MAX_SEQ ? store.getKey(IDBKeyRange.bound([owner, hi + 1], [owner, MAX_SEQ])) : undefined]);
      const lasts = [...keys, ...(next === undefined ? [] : [next])].map(([, last]) => last);
      const candidates = new Set(seqs.map((seq) => lasts[lowerBound(lasts, seq)]).filter((last) => last !== undefined));
      const records = await Promise.all([...candidates].map((last) => store.get([owner, last])));
      for (const r of records) for (const seq of seqs) if (r !== undefined && holds(r, seq)) held.set(`${owner}:${seq}`, r);
    }),
  );
  return held;
}

function groupBy<T>(items: Iterable<T>, key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return [...groups.values()];
}

/** Blocks read per eviction step: deletes are pipelined, not awaited one by one. */
const EVICT_STEP = 512;

/** Deletes a tier's oldest blocks until it fits `budget`, in the caller's transaction; returns how many went. */
async function evictOver(tx: IDBPTransaction<LedgerSchema, ('blocks' | 'meta')[], 'readwrite'>, tiers: Tiers, tier: Exclude<Tier, 'pinned'>, budget: StorageBudget): Promise<number> {
  const t = tiers[tier];
  const over = (): boolean => t.blocks > budget.maxBlocks || t.bytes > budget.maxBytes;
  const blocks = tx.objectStore('blocks');
  let removed = 0;
  while (over()) {
    // The oldest few (enough for the block budget, at least a step for the byte budget), then delete from the front.
    const oldest = await blocks.index('evictable').getAll(ALL_OF_TIER(TIER_CODE[tier]), Math.max(EVICT_STEP, t.blocks - budget.maxBlocks));
    if (oldest.length === 0) break;
    for (const r of oldest) {
      if (!over()) break;
      void blocks.delete([r.owner, r.seq]);
      t.blocks -= blockCount(r);
      t.bytes -= r.size;
      removed += blockCount(r);
    }
  }
  return removed;
}

/**
 * Version 1 pinned every block that named us. Now a block is pinned only if
 * it is ours or the other half of a pair we signed: an agreement to our
 * proposal from the key it was addressed to, or a proposal we agreed to.
 * Blocks that merely named us go to the stranger tier, unless their owner is
 * a real counterparty; counters are recounted.
 */
async function migrateToTiers(tx: UpgradeTx, me: string): Promise<void> {
  const blocks = tx.objectStore('blocks');
  // Our own blocks say which other halves are real: `owner|linkSeq` of agreements to our proposals, `owner:seq` of proposals we agreed to.
  const answers = new Set<string>();
  const agreedTo = new Set<string>();
  for (let c = await blocks.openCursor(IDBKeyRange.bound([me, 0], [me, MAX_SEQ])); c !== null; c = await c.continue()) {
    const r = c.value;
    if (r.linkSeq === 0) answers.add(`${r.linkOwner}|${r.seq}`);
    else agreedTo.add(`${r.linkOwner}:${r.linkSeq}`);
  }
  const isRealHalf = (r: BlockRecord): boolean => r.linkOwner === me && (r.linkSeq === 0 ? agreedTo.has(`${r.owner}:${r.seq}`) : answers.has(`${r.owner}|${r.linkSeq}`));
  const partners = new Set<string>();
  for (let c = await blocks.openCursor(); c !== null; c = await c.continue()) if (c.value.owner !== me && isRealHalf(c.value)) partners.add(c.value.owner);
  const tiers = emptyTiers();
  for (let c = await blocks.openCursor(); c !== null; c = await c.continue()) {
    const r = c.value;
    let tier: Tier;
    if (r.owner === me || isRealHalf(r)) tier = 'pinned';
    else if (r.pinned === TIER_CODE.pinned) tier = partners.has(r.owner) ? 'general' : 'stranger';
    else tier = 'general';
    if (TIER_CODE[tier] !== r.pinned) void c.update({ ...r, pinned: TIER_CODE[tier] });
    tiers[tier].blocks += 1;
    tiers[tier].bytes += r.size;
  }
  await tx.objectStore('meta').put(tiers, 'usage');
}
