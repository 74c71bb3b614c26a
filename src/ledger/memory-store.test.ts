import { describe, expect, it } from 'vitest';
import { signBlock } from './block-codec.ts';
import { linkedTo } from './block-store.ts';
import { MemoryBlockStore } from './memory-store.ts';
import { testPeer, transfer } from './test-support.ts';

describe('MemoryBlockStore', () => {
  it('answers position, neighbour, range and link queries', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 5; i++) transfer(alice, bob, 1n);
    const s = new MemoryBlockStore();
    for (const b of [alice.chain[4]!, alice.chain[0]!, alice.chain[2]!, ...bob.chain]) await s.put(b);
    expect((await s.latest(alice.publicKey))?.sequenceNumber).toBe(5);
    expect((await s.before(alice.publicKey, 5))?.sequenceNumber).toBe(3);
    expect((await s.after(alice.publicKey, 1))?.sequenceNumber).toBe(3);
    expect(await s.after(alice.publicKey, 5)).toBeUndefined();
    expect((await s.range(alice.publicKey, 2, 5)).map((b) => b.sequenceNumber)).toEqual([3, 5]);
    expect((await s.agreementsFor(alice.publicKey, 3)).map((b) => b.sequenceNumber)).toEqual([3]);
  });

  it('reports duplicates and conflicts without overwriting', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    transfer(alice, bob, 1n);
    const s = new MemoryBlockStore();
    const b = alice.chain[0]!;
    expect(await s.put(b)).toBe('added');
    expect(await s.put(b)).toBe('exists');
    const { signature: _, ...rest } = { ...b, timestamp: 1 };
    expect(await s.put(signBlock(rest, alice.seed))).toBe('conflict');
    expect(s.getSync(alice.publicKey, 1)).toBe(b);
  });
});

describe('linkedTo', () => {
  it('finds a proposal\'s agreements and an agreement\'s proposal', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const { proposal, agreement } = transfer(alice, bob, 1n);
    const s = new MemoryBlockStore();
    expect(await linkedTo(s, proposal)).toEqual([]);
    expect(await linkedTo(s, agreement)).toEqual([]);
    await s.put(proposal);
    await s.put(agreement);
    expect(await linkedTo(s, proposal)).toEqual([agreement]);
    expect(await linkedTo(s, agreement)).toEqual([proposal]);
  });

  it('range and neighbours of an unknown owner are empty', async () => {
    const s = new MemoryBlockStore();
    const pk = new Uint8Array(32).fill(9);
    expect(await s.latest(pk)).toBeUndefined();
    expect(await s.before(pk, 5)).toBeUndefined();
    expect(await s.after(pk, 0)).toBeUndefined();
    expect(await s.range(pk, 1, 100)).toEqual([]);
  });
});
