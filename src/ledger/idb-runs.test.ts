import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { openLegacyLedgerDb } from './idb-test-support.ts';
import { toHex } from '../codec/bytes.ts';
import { encodeBlock } from './block-codec.ts';
import { IdbBlockStore } from './idb-store.ts';
import { blockAt, blockCount, blocksIn, consecutiveRuns, RUN_MAX_BLOCKS, RUN_MAX_BYTES, runRecord, splitRun } from './idb-runs.ts';
import { testPeer, transfer } from './test-support.ts';

let n = 0;
const freshName = (): string => `runs-test-${++n}`;

/** alice proposes `pairs` transfers to bob: alice's chain is proposals, bob's agreements, both consecutive. */
function pairs(count: number): { alice: ReturnType<typeof testPeer>; bob: ReturnType<typeof testPeer> } {
  const alice = testPeer('alice', 1);
  const bob = testPeer('bob', 2);
  for (let i = 0; i < count; i++) transfer(alice, bob, 1n);
  return { alice, bob };
}

/** Records in the database, whatever their kind: what each write costs in Chromium. */
async function recordCount(name: string): Promise<number> {
  const db = await openDB(name);
  const count = await db.count('blocks');
  db.close();
  return count;
}

describe('runs of blocks in one record', () => {
  it('give back each block byte for byte, by position and in ranges', () => {
    const { bob } = pairs(5);
    const r = runRecord(bob.chain, 'general', 7);
    expect({ first: r.first, seq: r.seq, count: blockCount(r) }).toEqual({ first: 1, seq: 5, count: 5 });
    for (const b of bob.chain) expect(encodeBlock(blockAt(r, b.sequenceNumber)!)).toEqual(encodeBlock(b));
    expect(blockAt(r, 0)).toBeUndefined();
    expect(blockAt(r, 6)).toBeUndefined();
    expect(blocksIn(r, 2, 4).map((b) => b.sequenceNumber)).toEqual([2, 3, 4]);
    // Bob's five agreements answer alice's proposals 1-5: one bucket.
    expect(r.links).toEqual([[toHex(bob.chain[0]!.linkPublicKey), 0]]);
    // One block is a single record, as version 2 wrote it (in the link index).
    const single = runRecord([bob.chain[0]!], 'general', 7);
    expect(single).toMatchObject({ seq: 1, linkSeq: 1 });
    expect('first' in single || 'offsets' in single).toBe(false);
  });

  it('split on gaps and at RUN_MAX_BLOCKS', () => {
    const { alice } = pairs(RUN_MAX_BLOCKS + 10);
    const gapped = alice.chain.filter((b) => b.sequenceNumber !== 5);
    expect(consecutiveRuns(gapped.reverse()).map((r) => [r[0]!.sequenceNumber, r.at(-1)!.sequenceNumber])).toEqual([
      [1, 4],
      [6, RUN_MAX_BLOCKS + 5],
      [RUN_MAX_BLOCKS + 6, RUN_MAX_BLOCKS + 10],
    ]);
  });

  it('stay under RUN_MAX_BYTES when their blocks are large', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    // Transfers carry small transactions; blocks padded near the 4 KiB transaction limit stand for a chain filled on purpose.
    for (let i = 0; i < 40; i++) transfer(alice, bob, 1n);
    const big = alice.chain.map((b) => ({ ...b, transaction: new Uint8Array(4000) }));
    const runs = consecutiveRuns(big);
    expect(runs.flat()).toHaveLength(40);
    for (const run of runs) expect(run.reduce((t, b) => t + encodeBlock(b).length, 0)).toBeLessThanOrEqual(RUN_MAX_BYTES);
    expect(runs.length).toBeGreaterThan(1);
  });

  it('are written again around blocks that move up a tier, each stretch keeping its own tier and time', () => {
    const { alice } = pairs(6);
    const r = runRecord(alice.chain, 'general', 1);
    const pieces = splitRun(r, 'general', new Map([[3, 'pinned'], [4, 'pinned'], [6, 'pinned']]), 9);
    expect(pieces.map((p) => [p.first ?? p.seq, p.seq, p.pinned, p.insertedAt])).toEqual([
      [1, 2, 0, 1],
      [3, 4, 1, 9],
      [5, 5, 0, 1],
      [6, 6, 1, 9],
    ]);
    expect(pieces.flatMap((p) => blocksIn(p))).toEqual(blocksIn(r));
  });
});

describe('IdbBlockStore with runs', () => {
  it('stores a crawled stretch of two chains in a record per run, not per block', async () => {
    const { alice, bob } = pairs(500);
    const name = freshName();
    const s = await IdbBlockStore.open(testPeer('carol', 3).publicKey, () => 1, name);
    expect(new Set(await s.putMany([...alice.chain, ...bob.chain], 'relaxed', 'general'))).toEqual(new Set(['added']));
    expect(await recordCount(name)).toBe(2 * Math.ceil(500 / RUN_MAX_BLOCKS));
    expect(s.usage().tiers.general).toEqual({ blocks: 1000, bytes: [...alice.chain, ...bob.chain].reduce((t, b) => t + encodeBlock(b).length, 0) });
    expect((await s.range(alice.publicKey, 60, 70)).map((b) => b.sequenceNumber)).toEqual([60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70]);
    expect(await s.agreementsFor(alice.publicKey, 65)).toEqual([bob.chain[64]]);
    expect((await s.agreementsInRange(alice.publicKey, 63, 66)).map((b) => b.sequenceNumber).sort((a, b) => a - b)).toEqual([63, 64, 65, 66]);
    s.close();
  });

  it('moves one block of a run up a tier and leaves its neighbours where they were', async () => {
    const { alice, bob } = pairs(10);
    const s = await IdbBlockStore.open(testPeer('carol', 3).publicKey, () => 1, freshName());
    await s.putMany(bob.chain, 'relaxed', 'stranger');
    expect(await s.putMany([bob.chain[4]!, alice.chain[0]!], 'relaxed', 'general')).toEqual(['exists', 'added']);
    expect(await Promise.all(bob.chain.map((b) => s.tierOf(bob.publicKey, b.sequenceNumber)))).toEqual(['stranger', 'stranger', 'stranger', 'stranger', 'general', 'stranger', 'stranger', 'stranger', 'stranger', 'stranger']);
    expect(s.usage().tiers).toMatchObject({ stranger: { blocks: 9 }, general: { blocks: 2 } });
    expect(await s.range(bob.publicKey, 1, 10)).toEqual(bob.chain);
    s.close();
  });

  it('refuses a different block at a position held inside a run, and stores none of an all-or-nothing batch', async () => {
    const { bob } = pairs(8);
    const s = await IdbBlockStore.open(testPeer('carol', 3).publicKey, () => 1, freshName());
    await s.putMany(bob.chain, 'relaxed');
    const forged = { ...bob.chain[3]!, timestamp: 1 };
    expect(await s.putMany([forged], 'relaxed')).toEqual(['conflict']);
    const more = pairs(9).bob.chain[8]!;
    await expect(s.putMany([more, forged], 'strict', 'general', { allOrNothing: true })).rejects.toThrow(/already holds a different block/);
    expect(await s.get(bob.publicKey, 9)).toBeUndefined();
    expect(await s.get(bob.publicKey, 4)).toEqual(bob.chain[3]);
    s.close();
  });

  it('opens a version 2 database: its single records read as before, and runs stored after it sit beside them', async () => {
    const { alice, bob } = pairs(6);
    const name = freshName();
    const v2 = await openLegacyLedgerDb(name, 2);
    const old = [...alice.chain.slice(0, 3), ...bob.chain.slice(0, 3)];
    for (const b of old) {
      const bytes = encodeBlock(b);
      await v2.put('blocks', { owner: toHex(b.publicKey), seq: b.sequenceNumber, linkOwner: toHex(b.linkPublicKey), linkSeq: b.linkSequenceNumber, bytes, size: bytes.length, insertedAt: 1, pinned: 0 });
    }
    await v2.put('meta', { pinned: { blocks: 0, bytes: 0 }, general: { blocks: 6, bytes: old.reduce((t, b) => t + encodeBlock(b).length, 0) }, stranger: { blocks: 0, bytes: 0 } }, 'usage');
    v2.close();

    const s = await IdbBlockStore.open(testPeer('carol', 3).publicKey, () => 2, name);
    expect(await s.agreementsFor(alice.publicKey, 2)).toEqual([bob.chain[1]]);
    expect(await s.putMany([...alice.chain.slice(2), ...bob.chain.slice(2)], 'relaxed')).toEqual(['exists', 'added', 'added', 'added', 'exists', 'added', 'added', 'added']);
    expect(await s.range(alice.publicKey, 1, 6)).toEqual(alice.chain);
    expect((await s.agreementsInRange(alice.publicKey, 1, 6)).map((b) => b.sequenceNumber).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await s.latest(bob.publicKey))?.sequenceNumber).toBe(6);
    expect(s.usage().blocks).toBe(12);
    s.close();
  });
});
