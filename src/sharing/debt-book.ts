/**
 * What each remote key and we owe each other, across its connections,
 * torrents and our reloads. Pure (clock injected; storage is debt-store.ts).
 *
 * Debt follows the key, not the connection: the unpaid window is checked
 * against a key's total, so a peer that reconnects does not start afresh.
 * Peers that prove no key (stock clients, or a Trustmesh peer before its
 * proof) share one pooled account, the stock allowance.
 *
 * Per key:
 *   unpaid  bytes we sent it that it has not paid for; forgiven slowly while
 *           it has no open connection (a window per UNPAID_FORGIVEN_MS; the
 *           pool refills over STOCK_REFILL_MS)
 *   acked   of those, bytes it acknowledged on connections now closed and we
 *           have not been paid for: its next connection proposes them
 *   owed    bytes it sent us that passed their hash check and we have not
 *           paid: we agree to its carried proposal up to this
 *   sent    bytes we ever sent it (what a key got from us in total)
 * Open connections add their live figures (LiveBooks) to what is saved, so a
 * reload keeps them; when a connection closes they are folded into the record.
 */
import { STOCK_ALLOWANCE_BYTES, STOCK_REFILL_MS, UNPAID_FORGIVEN_MS, UNPAID_WINDOW_BYTES } from './constants.ts';

/** The pooled account of stock clients and unproven peers. */
export const STOCK_POOL = 'stock';

export interface DebtRecord {
  /** Hex Ed25519 key, or STOCK_POOL. */
  key: string;
  unpaid: bigint;
  acked: bigint;
  owed: bigint;
  sent: bigint;
  /** When `unpaid` was last forgiven up to (ms). */
  at: number;
}

/** One open connection's figures that are not in the record until it closes. */
export interface LiveBooks {
  /** Acknowledged by the peer, neither paid nor in a proposal in flight. */
  carryable(): bigint;
  /** Verified from the peer and not paid by us. */
  owed(): bigint;
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const positive = (a: bigint): bigint => (a > 0n ? a : 0n);

export class DebtAccount {
  /** Paid to us in this session (not saved): what a balance read earlier cannot know yet. */
  paidTotal = 0n;
  /**
   * Bytes in our payment proposals to the key still in flight, over its connections: the key
   * may already have agreed to them (and show it in its head) while `unpaid` still counts them.
   */
  inFlight = 0n;
  private readonly live = new Set<LiveBooks>();

  constructor(
    private readonly rec: DebtRecord,
    /** Unpaid bytes beyond this are refused. */
    readonly limit: bigint,
    /** Time in which `limit` bytes are forgiven. */
    private readonly forgiveMs: number,
    private readonly now: () => number,
    private readonly touched: (a: DebtAccount) => void,
  ) {}

  get key(): string {
    return this.rec.key;
  }

  get unpaid(): bigint {
    this.forgive();
    return this.rec.unpaid;
  }

  get sent(): bigint {
    return this.rec.sent;
  }

  /** Bytes owed to the peer from connections now closed (an open one answers for its own). */
  get carriedOwed(): bigint {
    return this.rec.owed;
  }

  get carriedAcked(): bigint {
    return this.rec.acked;
  }

  /** True while the key (or the pool) holds more unpaid bytes than it may. */
  overLimit(): boolean {
    return this.unpaid > this.limit;
  }

  charge(bytes: bigint): void {
    this.forgive();
    this.rec.unpaid += bytes;
    this.rec.sent += bytes;
    this.touched(this);
  }

  paid(bytes: bigint): void {
    this.forgive();
    this.rec.unpaid = positive(this.rec.unpaid - bytes);
    this.rec.acked = min(this.rec.acked, this.rec.unpaid);
    this.paidTotal += bytes;
    this.touched(this);
  }

  /** Acknowledged, unpaid bytes of a connection that ended, for the next one to propose. */
  carryAcked(bytes: bigint): void {
    if (bytes <= 0n) return;
    this.rec.acked = min(this.rec.acked + bytes, this.unpaid);
    this.touched(this);
  }

  /** Hands the carried acknowledged bytes to a new connection, which proposes them. */
  takeAcked(): bigint {
    const taken = min(this.rec.acked, this.unpaid);
    this.rec.acked = 0n;
    this.touched(this);
    return taken;
  }

  /** Agrees to be paid-for bytes carried from closed connections: false if they do not cover `bytes`. */
  spendOwed(bytes: bigint): boolean {
    if (bytes <= 0n || bytes > this.rec.owed) return false;
    this.rec.owed -= bytes;
    this.touched(this);
    return true;
  }

  /** An open connection's figures count with the key's until `detach` folds them in. */
  attach(books: LiveBooks): () => void {
    this.live.add(books);
    this.touched(this);
    return () => {
      if (!this.live.delete(books)) return;
      this.carryAcked(books.carryable());
      this.rec.owed += positive(books.owed());
      this.touched(this);
    };
  }

  get hasLive(): boolean {
    return this.live.size > 0;
  }

  /** The record as it should be saved now, live connections included. */
  record(): DebtRecord {
    this.forgive();
    let acked = this.rec.acked;
    let owed = this.rec.owed;
    for (const l of this.live) {
      acked += positive(l.carryable());
      owed += positive(l.owed());
    }
    return { ...this.rec, acked: min(acked, this.rec.unpaid), owed };
  }

  /**
   * Forgives `limit` bytes per `forgiveMs`; time only counts while there is
   * debt and, for a key, while none of its connections is open (what is
   * forgiven is what a dropped connection left; an open one can still pay).
   */
  private forgive(): void {
    const t = this.now();
    if (this.rec.unpaid === 0n || t <= this.rec.at || (this.live.size > 0 && this.key !== STOCK_POOL)) {
      this.rec.at = Math.max(this.rec.at, t);
      return;
    }
    const forgiven = (this.limit * BigInt(Math.floor(t - this.rec.at))) / BigInt(this.forgiveMs);
    if (forgiven >= this.rec.unpaid) {
      this.rec.unpaid = 0n;
      this.rec.at = t;
    } else {
      this.rec.unpaid -= forgiven;
      // Only the time those bytes took is used up (rounded up: never faster than the rate), so frequent reads lose no more than a millisecond each.
      this.rec.at += Math.ceil(Number(forgiven * BigInt(this.forgiveMs)) / Number(this.limit));
    }
    this.rec.acked = min(this.rec.acked, this.rec.unpaid);
  }
}

export class DebtBook {
  private readonly accounts = new Map<string, DebtAccount>();
  private readonly dirty = new Set<DebtAccount>();

  constructor(
    private readonly now: () => number,
    records: Iterable<DebtRecord> = [],
  ) {
    for (const r of records) this.open({ ...r });
  }

  /** The account of a key (hex). */
  account(key: string): DebtAccount {
    return this.accounts.get(key) ?? this.open(empty(key, this.now()));
  }

  /** The account stock clients and unproven peers share. */
  pool(): DebtAccount {
    return this.account(STOCK_POOL);
  }

  /** Records to save: those changed since the last call, and those with open connections (isEmpty: delete it). */
  changes(): DebtRecord[] {
    const out = [...new Set([...this.dirty, ...[...this.accounts.values()].filter((a) => a.hasLive)])].map((a) => a.record());
    this.dirty.clear();
    return out;
  }

  private open(r: DebtRecord): DebtAccount {
    const pool = r.key === STOCK_POOL;
    const a = new DebtAccount(r, BigInt(pool ? STOCK_ALLOWANCE_BYTES : UNPAID_WINDOW_BYTES), pool ? STOCK_REFILL_MS : UNPAID_FORGIVEN_MS, this.now, (x) => this.dirty.add(x));
    this.accounts.set(r.key, a);
    return a;
  }
}

function empty(key: string, at: number): DebtRecord {
  return { key, unpaid: 0n, acked: 0n, owed: 0n, sent: 0n, at };
}

/** Nothing owed either way: the record can go (`sent` alone is not worth keeping). */
export function isEmpty(r: DebtRecord): boolean {
  return r.unpaid === 0n && r.acked === 0n && r.owed === 0n;
}
