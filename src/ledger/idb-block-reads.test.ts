import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdbBlockStore } from './idb-store.ts';
import { loadWindow } from './window.ts';
import { testPeer, transfer } from './test-support.ts';

let n = 0;
afterEach(() => vi.restoreAllMocks());

async function storeWithPairs(pairs: number): Promise<{ store: IdbBlockStore; alice: ReturnType<typeof testPeer>; bob: ReturnType<typeof testPeer> }> {
  const alice = testPeer('alice', 1);
  const bob = testPeer('bob', 2);
  for (let i = 0; i < pairs; i++) transfer(alice, bob, 1n);
  const store = await IdbBlockStore.open(alice.publicKey, () => 1, `reads-test-${++n}`);
  await store.putMany([...alice.chain, ...bob.chain], 'relaxed');
  return { store, alice, bob };
}

describe('batch reads of the IndexedDB block store', () => {
  it('answers like the store, query by query, in one read transaction', async () => {
    const { store, alice, bob } = await storeWithPairs(6);
    const opened = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const batch = store.batchReader();
    const answers = await Promise.all([batch.latest(alice.publicKey), batch.before(alice.publicKey, 4), batch.after(alice.publicKey, 4), batch.range(bob.publicKey, 2, 4), batch.agreementsFor(alice.publicKey, 3), batch.agreementsInRange(alice.publicKey, 1, 6), batch.get(bob.publicKey, 5)]);
    expect(opened).toHaveBeenCalledTimes(1);
    opened.mockClear();
    const single = await Promise.all([store.latest(alice.publicKey), store.before(alice.publicKey, 4), store.after(alice.publicKey, 4), store.range(bob.publicKey, 2, 4), store.agreementsFor(alice.publicKey, 3), store.agreementsInRange(alice.publicKey, 1, 6), store.get(bob.publicKey, 5)]);
    expect(opened).toHaveBeenCalledTimes(7);
    expect(answers).toEqual(single);
    store.close();
  });

  it('loads a validation window in one read transaction', async () => {
    const { store, alice, bob } = await storeWithPairs(8);
    const opened = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const view = await loadWindow(store, [alice.chain[4]!, bob.chain[4]!], () => true);
    expect(opened).toHaveBeenCalledTimes(1);
    expect(view.getSync(alice.publicKey, 4)).toEqual(alice.chain[3]);
    expect(view.getSync(bob.publicKey, 6)).toEqual(bob.chain[5]);
    store.close();
  });

  it('answers a query made after its transaction finished (the batch awaited something else) on a new one, shared again', async () => {
    const { store, alice } = await storeWithPairs(3);
    const batch = store.batchReader();
    expect((await batch.latest(alice.publicKey))?.sequenceNumber).toBe(3);
    // A write to the same store starts only once the earlier read transaction has finished.
    await store.putMany([alice.chain[0]!], 'relaxed');
    const opened = vi.spyOn(IDBDatabase.prototype, 'transaction');
    expect((await batch.range(alice.publicKey, 1, 3)).map((b) => b.sequenceNumber)).toEqual([1, 2, 3]);
    expect(await batch.getMany([{ publicKey: alice.publicKey, seq: 2 }, { publicKey: alice.publicKey, seq: 9 }])).toEqual([alice.chain[1], undefined]);
    expect(opened).toHaveBeenCalledTimes(1);
    store.close();
  });
});
