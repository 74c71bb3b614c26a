import { describe, expect, it } from 'vitest';
import { UploadAccount } from './accounting.ts';
import { MIN_SETTLEMENT_BYTES, STOCK_ALLOWANCE_BYTES, STOCK_REFILL_MS, UNPAID_FORGIVEN_MS, UNPAID_WINDOW_BYTES } from './constants.ts';
import { DebtBook, isEmpty, STOCK_POOL, type LiveBooks } from './debt-book.ts';

const KEY = 'ab'.repeat(32);
const WINDOW = BigInt(UNPAID_WINDOW_BYTES);
const MiB = 1024 * 1024;

/** A clock the test moves. */
function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/** One connection of the key as the seeder's PeerLink wires it: charged to the pool until the key is proven. */
function connect(book: DebtBook, key = KEY): { upload: UploadAccount; close(): void } {
  const upload = new UploadAccount(book.pool());
  upload.bind(book.account(key));
  const detach = book.account(key).attach({ carryable: () => upload.carryable, owed: () => 0n });
  return {
    upload,
    close: () => {
      upload.close();
      detach();
    },
  };
}

describe('debt follows the key', () => {
  it('a fresh UploadAccount on reconnect still sees the debt: no second window', () => {
    const book = new DebtBook(clock().now);
    const first = connect(book);
    first.upload.onSent(UNPAID_WINDOW_BYTES);
    expect(first.upload.overWindow()).toBe(false);
    first.close();

    const second = connect(book);
    expect(second.upload.sent).toBe(0n);
    expect(second.upload.unpaid).toBe(WINDOW);
    second.upload.onSent(1);
    expect(second.upload.overWindow()).toBe(true);
  });

  it('adds up the key over its wires at once', () => {
    const book = new DebtBook(clock().now);
    const [a, b] = [connect(book), connect(book)];
    a.upload.onSent(UNPAID_WINDOW_BYTES / 2);
    b.upload.onSent(UNPAID_WINDOW_BYTES / 2 + 1);
    expect(a.upload.overWindow()).toBe(true);
    expect(b.upload.overWindow()).toBe(true);
    expect(connect(book, 'cd'.repeat(32)).upload.overWindow()).toBe(false);
  });

  it('a payment on any wire of the key reopens the window on all of them', () => {
    const book = new DebtBook(clock().now);
    const [a, b] = [connect(book), connect(book)];
    a.upload.onSent(UNPAID_WINDOW_BYTES);
    b.upload.onSent(MiB);
    a.upload.onAck(a.upload.sent);
    a.upload.onProposed(a.upload.nextProposal()!);
    a.upload.onAgreed(a.upload.pending);
    expect(b.upload.unpaid).toBe(BigInt(MiB));
    expect(book.account(KEY).paidTotal).toBe(WINDOW);
  });

  it('forgives a window a day, only while there is debt and no connection of the key is open', () => {
    const c = clock();
    const book = new DebtBook(c.now);
    c.advance(UNPAID_FORGIVEN_MS); // no debt yet: no credit builds up
    const conn = connect(book);
    conn.upload.onSent(UNPAID_WINDOW_BYTES + MiB);
    c.advance(UNPAID_FORGIVEN_MS); // open: it can still pay, nothing is forgiven
    expect(conn.upload.unpaid).toBe(WINDOW + BigInt(MiB));
    conn.close();
    for (let i = 0; i < 1000; i++) {
      c.advance(1); // frequent reads lose no fractions
      void conn.upload.unpaid;
    }
    c.advance(UNPAID_FORGIVEN_MS / 2 - 1000);
    const half = WINDOW / 2n + BigInt(MiB);
    expect(conn.upload.unpaid).toBeGreaterThanOrEqual(half); // never faster than the rate
    expect(conn.upload.unpaid - half).toBeLessThan(1024n); // and frequent reads cost next to nothing
    c.advance(UNPAID_FORGIVEN_MS);
    expect(conn.upload.unpaid).toBe(0n);
  });
});

describe('the stock pool', () => {
  it('is one allowance shared by every unproven connection, refilled slowly', () => {
    const c = clock();
    const book = new DebtBook(c.now);
    const quarter = STOCK_ALLOWANCE_BYTES / 4;
    const stock = [new UploadAccount(book.pool()), new UploadAccount(book.pool()), new UploadAccount(book.pool())];
    for (const s of stock) s.onSent(quarter);
    expect(stock[0]!.overWindow()).toBe(false);
    stock[2]!.onSent(quarter + 1); // the third takes what is left, and a byte more
    expect(stock.every((s) => s.overWindow())).toBe(true);
    expect(new UploadAccount(book.pool()).overWindow()).toBe(true); // a new stock client gets nothing either

    c.advance(STOCK_REFILL_MS / 4); // the allowance refills over STOCK_REFILL_MS
    expect(book.pool().unpaid).toBe(BigInt(3 * quarter + 1));
    expect(stock[0]!.overWindow()).toBe(false);
  });

  it('keeps what a peer took before proving its key in the pool, not on its key', () => {
    const book = new DebtBook(clock().now);
    const u = new UploadAccount(book.pool());
    u.onSent(1000);
    u.bind(book.account(KEY));
    u.onSent(500);
    expect(book.pool().unpaid).toBe(1000n);
    expect(book.account(KEY).unpaid).toBe(500n);
  });
});

describe('persistence', () => {
  it('a reloaded book holds every key, the pool and the live figures of open connections', () => {
    const c = clock();
    const book = new DebtBook(c.now);
    const conn = connect(book);
    conn.upload.onSent(3 * MiB);
    conn.upload.onAck(BigInt(2 * MiB));
    let owed = 123n;
    const detach = book.account('ee'.repeat(32)).attach({ carryable: () => 0n, owed: () => owed });
    new UploadAccount(book.pool()).onSent(7);

    const saved = book.changes();
    expect(book.changes().map((r) => r.key).sort()).toEqual([KEY, 'ee'.repeat(32)]); // only live ones are rewritten
    const reloaded = new DebtBook(c.now, structuredClone(saved));
    expect(reloaded.account(KEY).unpaid).toBe(BigInt(3 * MiB));
    expect(reloaded.account(KEY).carriedAcked).toBe(BigInt(2 * MiB));
    expect(reloaded.account(KEY).sent).toBe(BigInt(3 * MiB));
    expect(reloaded.account('ee'.repeat(32)).carriedOwed).toBe(123n);
    expect(reloaded.pool().unpaid).toBe(7n);

    owed = 200n;
    detach();
    expect(book.account('ee'.repeat(32)).carriedOwed).toBe(200n);
    detach(); // twice folds in nothing more
    expect(book.account('ee'.repeat(32)).carriedOwed).toBe(200n);
  });

  it('marks a settled key for deletion', () => {
    const book = new DebtBook(clock().now);
    const conn = connect(book);
    conn.upload.onSent(MiB);
    conn.upload.onAck(BigInt(MiB));
    conn.upload.onProposed(conn.upload.nextProposal(true)!);
    conn.upload.onAgreed(conn.upload.pending);
    conn.close();
    const [r] = book.changes();
    expect(r!.key).toBe(KEY);
    expect(isEmpty(r!)).toBe(true);
    expect(STOCK_POOL).not.toBe(KEY);
  });
});

describe("an honest peer's carried debt", () => {
  it('is proposed on its next connection and agreed from what the downloader owes that key', () => {
    const seeder = new DebtBook(clock().now);
    const leecher = new DebtBook(clock().now);
    const SEEDER_KEY = 'cd'.repeat(32);

    // Connection 1: 3 MiB sent, verified and acknowledged, then it drops before a proposal (due only every 4 MiB).
    const one = connect(seeder);
    const down = { verified: 0n, agreed: 0n }; // the download side's figures for this connection
    const leecherSide: LiveBooks = { carryable: () => 0n, owed: () => down.verified - down.agreed };
    const detachLeecher = leecher.account(SEEDER_KEY).attach(leecherSide);
    one.upload.onSent(3 * MiB);
    down.verified = BigInt(3 * MiB); // what the download side credits for those blocks
    one.upload.onAck(BigInt(3 * MiB));
    expect(one.upload.nextProposal()).toBeUndefined();
    one.close();
    detachLeecher();

    // Connection 2: the carried amount is proposed at once, and the leecher agrees to it.
    const two = connect(seeder);
    const amount = two.upload.nextProposal();
    expect(amount).toBe(BigInt(3 * MiB));
    two.upload.onProposed(amount!);
    expect(leecher.account(SEEDER_KEY).spendOwed(amount! + 1n)).toBe(false); // never more than owed
    expect(leecher.account(SEEDER_KEY).spendOwed(amount!)).toBe(true);
    two.upload.onAgreed(amount!);
    expect(two.upload.unpaid).toBe(0n);
    expect(leecher.account(SEEDER_KEY).carriedOwed).toBe(0n);
    expect(leecher.account(SEEDER_KEY).spendOwed(1n)).toBe(false); // and never twice
  });

  it('keeps a proposal that failed as the connection closed, for the next connection', () => {
    const book = new DebtBook(clock().now);
    const one = connect(book);
    one.upload.onSent(5 * MiB);
    one.upload.onAck(BigInt(5 * MiB));
    one.upload.onProposed(one.upload.nextProposal()!);
    one.close();
    expect(book.account(KEY).carriedAcked).toBe(0n); // in flight: it may still be agreed
    one.upload.onUnanswered(one.upload.pending);
    expect(book.account(KEY).carriedAcked).toBe(BigInt(5 * MiB));
    expect(connect(book).upload.nextProposal()).toBe(BigInt(5 * MiB));
  });

  it('leaves crumbs below a settlement to the next payment rather than a block pair of their own', () => {
    const book = new DebtBook(clock().now);
    const one = connect(book);
    one.upload.onSent(MIN_SETTLEMENT_BYTES - 1);
    one.upload.onAck(BigInt(MIN_SETTLEMENT_BYTES - 1));
    one.close();
    expect(connect(book).upload.nextProposal()).toBeUndefined();
  });
});
