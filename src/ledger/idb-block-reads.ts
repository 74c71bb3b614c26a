/**
 * The block store's queries (BlockStoreReader) over IndexedDB, each in a read
 * transaction of its own (ownTransactionReads) or sharing one with the queries
 * made together (sharedTransactionReads), so that validating a block, a dozen
 * range and edge queries, costs the browser one transaction instead of a dozen.
 */
import type { IDBPDatabase, IDBPObjectStore, StoreNames } from 'idb';
import { toHex } from '../codec/bytes.ts';
import { isAgreement, type HalfBlock } from './block.ts';
import { adoptBlock } from './block-codec.ts';
import type { BlockStoreReader } from './block-store.ts';
import { MAX_SEQ } from './constants.ts';
import type { BlockRecord, LedgerSchema } from './idb-schema.ts';
import { agreementsLinkingTo, blockAt, blocksIn, firstSeq, linkBucket } from './idb-runs.ts';

export type BlocksStore = IDBPObjectStore<LedgerSchema, ['blocks'], 'blocks', 'readonly'>;
/** The blocks store in any transaction that includes it. */
export type AnyBlocksStore = IDBPObjectStore<LedgerSchema, ArrayLike<StoreNames<LedgerSchema>>, 'blocks', IDBTransactionMode>;

const ofOwner = (owner: string, from: number, to: number): IDBKeyRange => IDBKeyRange.bound([owner, from], [owner, to]);

/** The record holding `seq`, or else the owner's next one: the first keyed at or after `seq` (runs never overlap). */
export async function recordAtOrAfter(s: AnyBlocksStore, owner: string, seq: number): Promise<BlockRecord | undefined> {
  return seq > MAX_SEQ ? undefined : (await s.getAll(ofOwner(owner, seq, MAX_SEQ), 1))[0];
}

export class BlockReads implements BlockStoreReader {
  /** `query` runs each request on an object store; it may run it again on a fresh one (see sharedTransactionReads). */
  constructor(private readonly query: <T>(request: (blocks: BlocksStore) => Promise<T>) => Promise<T>) {}

  async get(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    const owner = toHex(publicKey);
    const r = await this.query((s) => recordAtOrAfter(s, owner, seq));
    return r === undefined ? undefined : blockAt(r, seq);
  }

  /** The highest block with from <= seq <= to: `to` itself inside a run, else the last block of the record keyed highest in the range. */
  private async highest(owner: string, from: number, to: number): Promise<HalfBlock | undefined> {
    if (from > to) return undefined;
    const [holding, below] = await this.query((s) => Promise.all([to < MAX_SEQ ? recordAtOrAfter(s, owner, to) : undefined, s.openCursor(ofOwner(owner, from, to), 'prev')]));
    if (holding !== undefined && firstSeq(holding) <= to) return blockAt(holding, to);
    return below === null ? undefined : blockAt(below.value, below.value.seq);
  }

  latest(publicKey: Uint8Array): Promise<HalfBlock | undefined> {
    return this.highest(toHex(publicKey), 0, MAX_SEQ);
  }

  before(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.highest(toHex(publicKey), 0, seq - 1);
  }

  /** The lowest block above `seq`: in the first record keyed above it. */
  async after(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    const owner = toHex(publicKey);
    const r = await this.query((s) => recordAtOrAfter(s, owner, seq + 1));
    return r === undefined ? undefined : blockAt(r, Math.max(seq + 1, firstSeq(r)));
  }

  async range(publicKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    if (from > to) return [];
    const owner = toHex(publicKey);
    const [within, straddling] = await this.query((s) => Promise.all([s.getAll(ofOwner(owner, from, to)), to < MAX_SEQ ? recordAtOrAfter(s, owner, to + 1) : undefined]));
    return [...within, ...(straddling === undefined ? [] : [straddling])].flatMap((r) => blocksIn(r, from, to));
  }

  agreementsFor(proposerKey: Uint8Array, proposalSeq: number): Promise<HalfBlock[]> {
    return this.agreementsInRange(proposerKey, proposalSeq, proposalSeq);
  }

  /** Single blocks from the `link` index, runs from `runLinks` by bucket (a run in two buckets of the range comes twice). */
  async agreementsInRange(proposerKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    if (from > to) return [];
    const owner = toHex(proposerKey);
    const [singles, runs] = await this.query((s) => Promise.all([s.index('link').getAll(ofOwner(owner, from, to)), s.index('runLinks').getAll(IDBKeyRange.bound(linkBucket(owner, from), linkBucket(owner, to)))]));
    const distinctRuns = [...new Map(runs.map((r) => [`${r.owner}:${r.seq}`, r] as const)).values()];
    return [...singles.map((r) => adoptBlock(r.bytes)).filter(isAgreement), ...distinctRuns.flatMap((r) => agreementsLinkingTo(r, owner, from, to))];
  }

  /** Several positions in one transaction, requests pipelined. */
  async getMany(positions: readonly { publicKey: Uint8Array; seq: number }[]): Promise<(HalfBlock | undefined)[]> {
    const records = await this.query((s) => Promise.all(positions.map((p) => recordAtOrAfter(s, toHex(p.publicKey), p.seq))));
    return records.map((r, i) => (r === undefined ? undefined : blockAt(r, positions[i]!.seq)));
  }
}

/** Each query in a read transaction of its own. */
export function ownTransactionReads(db: IDBPDatabase<LedgerSchema>): BlockReads {
  return new BlockReads((request) => request(db.transaction('blocks').store));
}

/**
 * Queries that share one read transaction while it lives. IndexedDB commits a
 * transaction once no request is pending at the end of a task, so a query made
 * after the batch paused (an await on something else) finds it finished: it
 * then runs on a new one. Nothing is read twice and no query fails for it.
 */
export function sharedTransactionReads(db: IDBPDatabase<LedgerSchema>): BlockReads {
  let blocks: BlocksStore | undefined;
  const fresh = (): BlocksStore => (blocks = db.transaction('blocks').store);
  return new BlockReads(<T>(request: (s: BlocksStore) => Promise<T>) => {
    // A request on a finished transaction throws at once or rejects: either way it read nothing.
    const first = (async () => request(blocks ?? fresh()))();
    return first.catch((err: unknown) => {
      if (!isInactive(err)) throw err;
      return request(fresh());
    });
  });
}

function isInactive(err: unknown): boolean {
  return err instanceof DOMException && (err.name === 'TransactionInactiveError' || err.name === 'InvalidStateError');
}
