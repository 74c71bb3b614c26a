import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { UploadAccount } from './accounting.ts';
import { UNPAID_WINDOW_BYTES } from './constants.ts';
import { DebtKeeper } from './debt-store.ts';

const KEY = '12'.repeat(32);
const open: DebtKeeper[] = [];
const keeper = async (): Promise<DebtKeeper> => {
  const k = await DebtKeeper.open(() => 1_000);
  open.push(k);
  return k;
};

afterEach(async () => {
  for (const k of open.splice(0)) await k.close();
  indexedDB.deleteDatabase('trustmesh-debts');
});

describe('DebtKeeper', () => {
  it('a reload (a new keeper on the same storage) still sees the key over its window, and its open connection', async () => {
    const before = await keeper();
    const upload = new UploadAccount(before.book.pool());
    upload.bind(before.book.account(KEY));
    before.book.account(KEY).attach({ carryable: () => upload.carryable, owed: () => 0n });
    upload.onSent(UNPAID_WINDOW_BYTES + 1);
    upload.onAck(2048n);
    await before.flush(); // what the once-a-second timer and pagehide do

    const after = await keeper();
    expect(after.book.account(KEY).overLimit()).toBe(true);
    expect(new UploadAccount(after.book.account(KEY)).overWindow()).toBe(true);
    expect(after.book.account(KEY).carriedAcked).toBe(2048n);
    expect((await after.stored(KEY))?.sent).toBe(BigInt(UNPAID_WINDOW_BYTES + 1));
  });

  it('forgets a key once it owes nothing either way', async () => {
    const k = await keeper();
    const upload = new UploadAccount(k.book.account(KEY));
    upload.onSent(100_000);
    await k.flush();
    expect(await k.stored(KEY)).toBeDefined();
    upload.onAck(100_000n);
    upload.onProposed(upload.nextProposal(true)!);
    upload.onAgreed(upload.pending);
    await k.flush();
    expect(await k.stored(KEY)).toBeUndefined();
  });
});
