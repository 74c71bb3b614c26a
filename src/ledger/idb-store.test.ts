import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { signBlock } from './block-codec.ts';
import { makeFraudProof } from './fraud.ts';
import { IdbBlockStore } from './idb-store.ts';
import { testPeer, transfer } from './test-support.ts';

let dbCounter = 0;
const freshName = (): string => `ledger-test-${++dbCounter}`;

describe('IdbBlockStore', () => {
  it('stores and answers the same queries as the memory store', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 5; i++) transfer(alice, bob, 1n);
    const s = await IdbBlockStore.open(alice.publicKey, () => 1, freshName());
    expect(await s.putMany([alice.chain[4]!, alice.chain[0]!, alice.chain[2]!, ...bob.chain], 'strict')).toEqual(Array(8).fill('added'));
    expect((await s.latest(alice.publicKey))?.sequenceNumber).toBe(5);
    expect((await s.before(alice.publicKey, 5))?.sequenceNumber).toBe(3);
    expect((await s.after(alice.publicKey, 1))?.sequenceNumber).toBe(3);
    expect((await s.range(alice.publicKey, 2, 5)).map((b) => b.sequenceNumber)).toEqual([3, 5]);
    expect((await s.agreementsFor(alice.publicKey, 3)).map((b) => b.sequenceNumber)).toEqual([3]);
    expect(await s.get(alice.publicKey, 2)).toBeUndefined();
    expect(s.usage()).toMatchObject({ blocks: 8, pinnedBlocks: 8 }); // alice's own, and bob's agreements link to alice
    s.close();
  });

  it('keeps the first block at a position and reports a conflicting one', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    transfer(alice, bob, 1n);
    const s = await IdbBlockStore.open(bob.publicKey, () => 1, freshName());
    const b = alice.chain[0]!;
    const { signature: _, ...rest } = { ...b, timestamp: 7 };
    expect(await s.putMany([b, b, signBlock(rest, alice.seed)], 'relaxed')).toEqual(['added', 'exists', 'conflict']);
    expect((await s.get(alice.publicKey, 1))?.timestamp).toBe(b.timestamp);
    s.close();
  });

  it('survives reopening (usage, blocks, fraudsters)', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    transfer(alice, bob, 1n);
    transfer(alice, bob, 1n);
    const name = freshName();
    const s = await IdbBlockStore.open(bob.publicKey, () => 1, name);
    await s.putMany(alice.chain, 'strict');
    const { signature: _, ...rest } = { ...alice.chain[1]!, timestamp: 9 };
    await s.putFraud(makeFraudProof('double-sign', alice.chain[1]!, signBlock(rest, alice.seed)), alice.publicKey);
    s.close();
    const again = await IdbBlockStore.open(bob.publicKey, () => 1, name);
    expect(again.usage().blocks).toBe(2);
    expect(again.isFraudster(alice.publicKey)).toBe(true);
    expect((await again.fraudProofs())[0]!.offender).toEqual(alice.publicKey);
    expect((await again.latest(alice.publicKey))?.sequenceNumber).toBe(2);
    again.close();
  });

  it('evicts other chains oldest-first beyond the budget, never the pinned own chain', async () => {
    const me = testPeer('me', 9);
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 6; i++) transfer(alice, bob, 1n);
    transfer(me, bob, 1n);
    let t = 0;
    const s = await IdbBlockStore.open(me.publicKey, () => ++t, freshName());
    for (const b of [...me.chain, ...alice.chain]) await s.putMany([b], 'relaxed');
    expect(s.usage()).toMatchObject({ blocks: 7, pinnedBlocks: 1 });
    expect(await s.evict({ maxBlocks: 2, maxBytes: 1 << 30 })).toBe(4);
    expect((await s.range(alice.publicKey, 1, 10)).map((b) => b.sequenceNumber)).toEqual([5, 6]);
    expect(await s.get(me.publicKey, 1)).toBeDefined();
    expect(s.usage()).toMatchObject({ blocks: 3, pinnedBlocks: 1 });
    s.close();
  });
});
