/**
 * What each neighbour owes a relay, by key (pure; clock and storage injected).
 * The neighbour that hands us a circuit's cells is the one that pays us for
 * them (hop by hop), so its debt is one token per byte carried on its
 * circuits, less what it paid us, plus what of that we passed on to the next
 * hop (that part was not for us). Kept per key, not per circuit or
 * connection, and persisted: building a new circuit, reconnecting or
 * reloading the relay does not wipe it. Debt is forgiven at one
 * RELAY_UNPAID_WINDOW_BYTES per RELAY_DEBT_FORGIVEN_MS (final payments lost
 * to a reload or a dropped link). Writes are batched (RELAY_DEBT_FLUSH_MS),
 * so a cell costs no storage write. A negative debt is a payment ahead of the bytes.
 */
import { MAX_RELAY_DEBTORS, RELAY_DEBT_FLUSH_MS, RELAY_DEBT_FORGIVEN_MS, RELAY_UNPAID_WINDOW_BYTES } from './constants.ts';

/** A key's debt in tokens (bytes), forgiven up to time `at` (ms). */
export interface Debt {
  debt: bigint;
  at: number;
}

/** Where debts persist (IndexedDB in the tab, memory in tests). */
export interface DebtStore {
  /** Every key's debt as last saved (keys in hex). */
  load(): Promise<Map<string, Debt>>;
  /** Saves these keys' debts; undefined forgets the key. */
  save(changes: ReadonlyMap<string, Debt | undefined>): Promise<void>;
}

/** A DebtStore in memory: survives a node's restart when the same object is passed again (tests). */
export class MemoryDebtStore implements DebtStore {
  readonly saved = new Map<string, Debt>();
  writes = 0;

  async load(): Promise<Map<string, Debt>> {
    return new Map([...this.saved].map(([k, d]) => [k, { ...d }]));
  }

  async save(changes: ReadonlyMap<string, Debt | undefined>): Promise<void> {
    this.writes++;
    for (const [k, d] of changes) {
      if (d === undefined) this.saved.delete(k);
      else this.saved.set(k, { ...d });
    }
  }
}

export class RelayDebts {
  private readonly dirty = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly debts: Map<string, Debt>,
    private readonly now: () => number,
    private readonly store: DebtStore | undefined,
  ) {}

  /** Debts as `store` last saved them. */
  static async open(now: () => number, store: DebtStore): Promise<RelayDebts> {
    return new RelayDebts(await store.load(), now, store);
  }

  /** Debts from zero, written to `store` if given (a fresh store; without one, counted in memory only). */
  static empty(now: () => number, store?: DebtStore): RelayDebts {
    return new RelayDebts(new Map(), now, store);
  }

  /** What the neighbour with this key (hex) owes us now, in tokens (bytes). */
  of(key: string): bigint {
    const d = this.debts.get(key);
    return d === undefined ? 0n : this.forgive(d).debt;
  }

  /** Adds `delta` to a key's debt (bytes carried: positive; a payment kept: negative). */
  add(key: string, delta: bigint): void {
    if (delta === 0n) return;
    const d = this.debts.get(key);
    if (d === undefined) this.debts.set(key, { debt: delta, at: this.now() });
    else {
      this.forgive(d).debt += delta;
      if (d.debt === 0n) this.debts.delete(key);
    }
    if (this.debts.size > MAX_RELAY_DEBTORS) this.evictSmallest();
    this.dirty.add(key);
    if (this.store !== undefined && this.timer === undefined) this.timer = setTimeout(() => void this.flush(), RELAY_DEBT_FLUSH_MS);
  }

  /** Writes every change not yet written; resolves when the store has it. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.store === undefined || this.dirty.size === 0) return this.writing;
    const changes = new Map([...this.dirty].map((k) => [k, this.debts.get(k) && { ...this.debts.get(k)! }]));
    this.dirty.clear();
    const store = this.store;
    // One write at a time, in order, so an older batch never lands after a newer one.
    this.writing = this.writing.then(() => store.save(changes)).catch(() => undefined);
    return this.writing;
  }

  /** Brings a debt's forgiveness up to now (whole bytes; the clock moves on only when a byte was forgiven). */
  private forgive(d: Debt): Debt {
    const now = this.now();
    if (d.debt <= 0n) d.at = now; // a credit earns no forgiveness for later debt
    if (d.debt <= 0n || now <= d.at) return d;
    const forgiven = (BigInt(now - d.at) * BigInt(RELAY_UNPAID_WINDOW_BYTES)) / BigInt(RELAY_DEBT_FORGIVEN_MS);
    if (forgiven === 0n) return d;
    d.debt = forgiven >= d.debt ? 0n : d.debt - forgiven;
    d.at = now;
    return d;
  }

  /** Over MAX_RELAY_DEBTORS keys: the smallest debt goes (a flood of fresh keys cannot push out a large debtor). */
  private evictSmallest(): void {
    let smallest: string | undefined;
    let least = 0n;
    for (const k of this.debts.keys()) {
      const v = this.of(k);
      if (smallest === undefined || v < least) [smallest, least] = [k, v];
    }
    if (smallest === undefined) return;
    this.debts.delete(smallest);
    this.dirty.add(smallest);
  }
}
