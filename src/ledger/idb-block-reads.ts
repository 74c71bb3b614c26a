/**
 * The block store's queries (BlockStoreReader) over IndexedDB, each in a read
 * transaction of its own (ownTransactionReads) or sharing one with the queries
 * made together (sharedTransactionReads), so that validating a block, a dozen
 * range and edge queries, costs the browser one transaction instead of a dozen.
 */
import type { IDBPDatabase, IDBPObjectStore } from 'idb';
import { toHex } from '../codec/bytes.ts';
import type { HalfBlock } from './block.ts';
import { adoptBlock } from './block-codec.ts';
import type { BlockStoreReader } from './block-store.ts';
import { MAX_SEQ } from './constants.ts';
import type { BlockRecord, LedgerSchema } from './idb-schema.ts';

export type BlocksStore = IDBPObjectStore<LedgerSchema, ['blocks'], 'blocks', 'readonly'>;

const decode = (r: BlockRecord | undefined): HalfBlock | undefined => (r === undefined ? undefined : adoptBlock(r.bytes));
const decodeAll = (rs: BlockRecord[]): HalfBlock[] => rs.map((r) => adoptBlock(r.bytes));

export class BlockReads implements BlockStoreReader {
  /** `query` runs each request on an object store; it may run it again on a fresh one (see sharedTransactionReads). */
  constructor(private readonly query: <T>(request: (blocks: BlocksStore) => Promise<T>) => Promise<T>) {}

  async get(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return decode(await this.query((s) => s.get([toHex(publicKey), seq])));
  }

  private async edge(owner: string, from: number, to: number, direction: 'next' | 'prev'): Promise<HalfBlock | undefined> {
    if (from > to) return undefined;
    const cursor = await this.query((s) => s.openCursor(IDBKeyRange.bound([owner, from], [owner, to]), direction));
    return decode(cursor?.value);
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
    return decodeAll(await this.query((s) => s.getAll(IDBKeyRange.bound([owner, from], [owner, to]))));
  }

  async agreementsFor(proposerKey: Uint8Array, proposalSeq: number): Promise<HalfBlock[]> {
    return decodeAll(await this.query((s) => s.index('link').getAll([toHex(proposerKey), proposalSeq])));
  }

  async agreementsInRange(proposerKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    if (from > to) return [];
    const owner = toHex(proposerKey);
    return decodeAll(await this.query((s) => s.index('link').getAll(IDBKeyRange.bound([owner, from], [owner, to]))));
  }

  /** Several positions in one transaction, requests pipelined. */
  async getMany(positions: readonly { publicKey: Uint8Array; seq: number }[]): Promise<(HalfBlock | undefined)[]> {
    return this.query((s) => Promise.all(positions.map(async (p) => decode(await s.get([toHex(p.publicKey), p.seq])))));
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
