/**
 * The owner's chain head and the only path by which we sign blocks.
 *
 * Signing is serialised (one head, one next sequence number). Every signed
 * block is committed to IndexedDB with strict durability before the caller may
 * send it; commits are grouped, so concurrent signers share one disk flush.
 * If a commit fails, the in-memory head is reset from disk: nothing built on
 * the lost blocks ever left the peer, so no sequence number is signed twice.
 *
 * A restored identity may be behind its other copy: signing can be held until
 * its head was asked of peers (holdSigning), and a later own head found in the
 * store is adopted (adoptStoredHead), so it never signs at a used position.
 * Whatever the timing, a commit whose position already holds another
 * device's block stores nothing and fails (OwnPositionTakenError): the head
 * is re-read from disk and the signature never leaves.
 */
import type { HalfBlock } from './block.ts';
import { bytesEqual } from '../codec/bytes.ts';
import { PositionTakenError, type IdbBlockStore } from './idb-store.ts';
import type { LedgerSeams } from './seams.ts';
import type { TokenAmounts, TransactionRegistry } from './transactions/registry.ts';

interface QueuedCommit {
  blocks: HalfBlock[];
  resolve: () => void;
  reject: (err: Error) => void;
}

export class OwnChain {
  private head: HalfBlock | undefined;
  private totals: TokenAmounts | undefined;
  private tokenHead: HalfBlock | undefined;
  private lock: Promise<void> = Promise.resolve();
  private queue: QueuedCommit[] = [];
  private flushing: Promise<void> | null = null;
  /** Signing waits for this first (a restored identity's head sync, bounded). */
  private gate: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: IdbBlockStore,
    private readonly publicKey: Uint8Array,
    private readonly registry: TransactionRegistry,
    private readonly seams: LedgerSeams | undefined,
  ) {}

  static async load(store: IdbBlockStore, publicKey: Uint8Array, registry: TransactionRegistry, seams?: LedgerSeams): Promise<OwnChain> {
    const chain = new OwnChain(store, publicKey, registry, seams);
    await chain.reload();
    return chain;
  }

  /** Re-reads the head and running totals from disk. */
  private async reload(): Promise<void> {
    this.head = await this.store.latest(this.publicKey);
    this.totals = undefined;
    this.tokenHead = undefined;
    for (let b = this.head; b !== undefined; b = await this.store.before(this.publicKey, b.sequenceNumber)) {
      const t = this.registry.tokensOf(b);
      if (t !== undefined && t !== null) {
        this.totals = t;
        this.tokenHead = b;
        break;
      }
    }
  }

  get latest(): HalfBlock | undefined {
    return this.head;
  }

  get tokenTotals(): TokenAmounts | undefined {
    return this.totals;
  }

  /** The latest token-carrying own block: what proves our balance to others. */
  get latestTokenBlock(): HalfBlock | undefined {
    return this.tokenHead;
  }

  /**
   * Runs `build` with exclusive access to the head; `build` returns the blocks
   * to commit (its new own block first, plus any others to store with it, e.g.
   * the proposal being countersigned). Resolves once they are durable.
   */
  async sign(build: (head: HalfBlock | undefined, totals: TokenAmounts | undefined) => HalfBlock[] | Promise<HalfBlock[]>): Promise<HalfBlock[]> {
    // Outside the lock: the head sync that opens the gate takes the lock itself.
    await this.gate;
    const blocks = await this.exclusive(async () => {
      const built = await build(this.head, this.totals);
      const own = built[0];
      if (own !== undefined) {
        this.head = own;
        const t = this.registry.tokensOf(own);
        if (t !== undefined && t !== null) {
          this.totals = t;
          this.tokenHead = own;
        }
      }
      return built;
    });
    await this.commit(blocks);
    return blocks;
  }

  /** Holds every signature until `until` settles or `maxWaitMs` passes, whichever is first. */
  holdSigning(until: Promise<unknown>, maxWaitMs: number): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, maxWaitMs)));
    const settled = until.then(
      () => undefined,
      () => undefined,
    );
    this.gate = Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Adopts the stored own block with the highest sequence number as the head
   * if it is later than ours (our own blocks learnt from peers after a
   * restore). Waits for pending commits, so it never steps back over them.
   */
  async adoptStoredHead(): Promise<HalfBlock | undefined> {
    return this.exclusive(async () => {
      while (this.flushing !== null) await this.flushing;
      const stored = await this.store.latest(this.publicKey);
      if (stored !== undefined && (this.head === undefined || stored.sequenceNumber > this.head.sequenceNumber)) await this.reload();
      return this.head;
    });
  }

  private async exclusive<T>(run: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const previous = this.lock;
    this.lock = new Promise((r) => (release = r));
    await previous;
    try {
      return await run();
    } finally {
      release();
    }
  }

  private commit(blocks: HalfBlock[]): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.queue.push({ blocks, resolve, reject }));
    this.flushing ??= this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        // Pinned: our own blocks and the proposals we countersign (the other halves of our pairs). All or nothing:
        // a position already taken (another device signing with this identity) leaves nothing half-stored.
        await this.store.putMany(batch.flatMap((c) => c.blocks), 'strict', 'pinned', { allOrNothing: true });
        for (const c of batch) this.seams?.afterCommit?.(c.blocks);
        for (const c of batch) c.resolve();
      } catch (err) {
        // Nothing in this batch (or queued behind it) was sent: drop it and resume from disk.
        const failed = [...batch, ...this.queue];
        this.queue = [];
        await this.reload().catch(() => undefined);
        const error = err instanceof PositionTakenError && bytesEqual(err.block.publicKey, this.publicKey) ? new OwnPositionTakenError(err.block.sequenceNumber) : new LedgerStorageError(err as Error);
        for (const c of failed) c.reject(error);
      }
    }
    this.flushing = null;
  }
}

/**
 * Our signature would have gone to a position of our chain that another device
 * with this identity already used (its block reached us first): it was not
 * stored and never leaves, so no fork; the chain goes on after that block.
 */
export class OwnPositionTakenError extends Error {
  override name = 'OwnPositionTakenError';
  constructor(readonly sequenceNumber: number) {
    super(
      `Another device using this identity already signed block ${sequenceNumber} of your chain, so this tab did not sign over it and continues after it. ` +
        'Run an identity in one browser at a time: two devices signing at once would fork the chain, and a fork gets the identity refused everywhere.',
    );
  }
}

export class LedgerStorageError extends Error {
  override name = 'LedgerStorageError';
  constructor(cause: Error) {
    super(
      cause.name === 'QuotaExceededError'
        ? 'The browser refused to store more ledger data (storage quota reached). Free some space for this site, then try again.'
        : `Could not save to the ledger: ${cause.message}`,
    );
  }
}
