import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { signBlock } from './block-codec.ts';
import { makeFraudProof } from './fraud.ts';
import { openLegacyLedgerDb } from './idb-test-support.ts';
import { toHex } from '../codec/bytes.ts';
import type { HalfBlock } from './block.ts';
import { encodeBlock } from './block-codec.ts';
import { DEFAULT_BUDGETS, IdbBlockStore } from './idb-store.ts';
import { GENESIS_HASH, STRANGER_BUDGET_BLOCKS, UNKNOWN_SEQ } from './constants.ts';
import { testPeer, transfer } from './test-support.ts';

/** A block of an unknown type from a fresh key (signatures are not the store's business). */
function strangerBlock(i: number, t = 'spam'): HalfBlock {
  const publicKey = new Uint8Array(32);
  new DataView(publicKey.buffer).setUint32(0, i + 1);
  const linkPublicKey = publicKey.map((b, j) => (j === 31 ? 1 : b)); // another fresh key
  return { publicKey, sequenceNumber: 1, linkPublicKey, linkSequenceNumber: UNKNOWN_SEQ, previousHash: GENESIS_HASH, timestamp: i, type: t, transaction: new Uint8Array(16), signature: new Uint8Array(64) };
}

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
    // Only alice's own blocks are pinned: bob's agreements name her, but she was not told they are halves of her pairs.
    expect(s.usage()).toMatchObject({ blocks: 8, pinnedBlocks: 3, tiers: { pinned: { blocks: 3 }, general: { blocks: 5 } } });
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

  it('pins a block that names us only when told it is the other half of our pair, even if it was stored first', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const { proposal, agreement } = transfer(alice, bob, 1n);
    const s = await IdbBlockStore.open(alice.publicKey, () => 1, freshName());
    expect(await s.putMany([agreement], 'relaxed', 'stranger')).toEqual(['added']); // arrived by gossip first
    expect(await s.tierOf(bob.publicKey, 1)).toBe('stranger');
    expect(s.isPartner(bob.publicKey)).toBe(false);
    expect(await s.putMany([proposal, agreement], 'strict', 'pinned')).toEqual(['added', 'exists']); // our pair committed
    expect(await s.tierOf(bob.publicKey, 1)).toBe('pinned');
    expect(s.isPartner(bob.publicKey)).toBe(true);
    // Offered again with less reason, it stays pinned.
    await s.putMany([agreement], 'relaxed', 'stranger');
    expect(await s.tierOf(bob.publicKey, 1)).toBe('pinned');
    expect(s.usage().tiers).toMatchObject({ pinned: { blocks: 2 }, general: { blocks: 0 }, stranger: { blocks: 0, bytes: 0 } });
    s.close();
  });

  it('keeps each tier within its budget at insert time, oldest first, never touching pinned blocks', async () => {
    const me = testPeer('me', 9);
    const bob = testPeer('bob', 2);
    transfer(me, bob, 1n);
    let t = 0;
    const budgets = { general: { maxBlocks: 2, maxBytes: 1 << 30 }, stranger: { maxBlocks: 3, maxBytes: 1 << 30 } };
    const s = await IdbBlockStore.open(me.publicKey, () => ++t, freshName(), budgets);
    await s.putMany(me.chain, 'strict', 'pinned');
    for (let i = 0; i < 10; i++) await s.putMany([strangerBlock(i)], 'relaxed', 'stranger');
    for (let i = 10; i < 15; i++) await s.putMany([strangerBlock(i)], 'relaxed', 'general');
    expect(s.usage().tiers).toMatchObject({ pinned: { blocks: 1 }, general: { blocks: 2 }, stranger: { blocks: 3 } });
    expect(await s.get(strangerBlock(6).publicKey, 1)).toBeUndefined();
    expect(await s.get(strangerBlock(7).publicKey, 1)).toBeDefined();
    expect(await s.get(strangerBlock(13).publicKey, 1)).toBeDefined();
    expect(await s.get(me.publicKey, 1)).toBeDefined();
    // A byte budget binds as well.
    const small = await IdbBlockStore.open(me.publicKey, () => ++t, freshName(), { ...budgets, stranger: { maxBlocks: 100, maxBytes: 2 * encodeBlock(strangerBlock(0)).length } });
    await small.putMany([0, 1, 2, 3].map((i) => strangerBlock(i)), 'relaxed', 'stranger');
    expect(small.usage().tiers.stranger.blocks).toBe(2);
    s.close();
    small.close();
  });

  it('a flood of 50,000 blocks of unknown types and fresh keys stays within pinned + budget, and own blocks still commit', { timeout: 120_000 }, async () => {
    const me = testPeer('me', 9);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 3; i++) transfer(me, bob, 1n);
    const s = await IdbBlockStore.open(me.publicKey, Date.now, freshName());
    await s.putMany([me.chain[0]!, bob.chain[0]!], 'strict', 'pinned');
    const flood = 50_000;
    const batch = 1_000;
    let maxStranger = 0;
    for (let i = 0; i < flood; i += batch) {
      await s.putMany(Array.from({ length: batch }, (_, j) => strangerBlock(i + j)), 'relaxed', 'stranger');
      maxStranger = Math.max(maxStranger, s.usage().tiers.stranger.blocks);
    }
    expect(maxStranger).toBeLessThanOrEqual(DEFAULT_BUDGETS.stranger.maxBlocks);
    expect(s.usage().tiers.stranger.bytes).toBeLessThanOrEqual(DEFAULT_BUDGETS.stranger.maxBytes);
    expect(s.usage().blocks).toBeLessThanOrEqual(2 + STRANGER_BUDGET_BLOCKS);
    expect(await s.putMany([me.chain[1]!, bob.chain[1]!], 'strict', 'pinned')).toEqual(['added', 'added']);
    expect(s.usage().tiers.pinned.blocks).toBe(4);
    s.close();
  });

  it('migrates a version 1 database: unpins blocks that merely name us, keeps own blocks and real other halves', async () => {
    const me = testPeer('me', 9);
    const bob = testPeer('bob', 2);
    const mallory = testPeer('mallory', 6);
    const carol = testPeer('carol', 3);
    const ours = transfer(me, bob, 1n); // ours.agreement: a real other half
    const theirs = transfer(bob, me, 2n); // theirs.proposal: a real other half
    const namesMe = transfer(mallory, carol, 3n).proposal; // signed by mallory...
    const fake = { ...namesMe, linkPublicKey: me.publicKey }; // ...naming us: pinned by version 1
    const other = transfer(carol, bob, 4n).proposal; // unpinned in version 1
    const name = freshName();
    const v1 = await openLegacyLedgerDb(name, 1);
    const rows = [ours.proposal, ours.agreement, theirs.proposal, theirs.agreement, fake, other];
    const meHex = toHex(me.publicKey);
    let bytes = 0;
    let pinned = 0;
    for (const b of rows) {
      const enc = encodeBlock(b);
      const p = toHex(b.publicKey) === meHex || toHex(b.linkPublicKey) === meHex ? 1 : 0;
      bytes += enc.length;
      pinned += p;
      await v1.put('blocks', { owner: toHex(b.publicKey), seq: b.sequenceNumber, linkOwner: toHex(b.linkPublicKey), linkSeq: b.linkSequenceNumber, bytes: enc, size: enc.length, insertedAt: 1, pinned: p });
    }
    await v1.put('meta', { blocks: rows.length, bytes, pinnedBlocks: pinned }, 'usage');
    v1.close();
    expect(pinned).toBe(5);

    const s = await IdbBlockStore.open(me.publicKey, () => 2, name);
    expect(await s.tierOf(me.publicKey, 1)).toBe('pinned');
    expect(await s.tierOf(me.publicKey, 2)).toBe('pinned');
    expect(await s.tierOf(bob.publicKey, ours.agreement.sequenceNumber)).toBe('pinned');
    expect(await s.tierOf(bob.publicKey, theirs.proposal.sequenceNumber)).toBe('pinned');
    expect(await s.tierOf(mallory.publicKey, 1)).toBe('stranger');
    expect(await s.tierOf(carol.publicKey, other.sequenceNumber)).toBe('general');
    expect(s.isPartner(bob.publicKey)).toBe(true);
    expect(s.isPartner(mallory.publicKey)).toBe(false);
    const u = s.usage();
    expect(u).toMatchObject({ blocks: 6, bytes, pinnedBlocks: 4, tiers: { stranger: { blocks: 1 }, general: { blocks: 1 } } });
    s.close();
    // The recount is what a reopened store reads.
    const again = await IdbBlockStore.open(me.publicKey, () => 3, name);
    expect(again.usage()).toEqual(u);
    again.close();
  });
});
