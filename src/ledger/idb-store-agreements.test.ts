import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { IdbBlockStore } from './idb-store.ts';
import { testPeer, transfer } from './test-support.ts';

/** My store, whose clock ticks once per transaction, and two other peers. */
async function storeOfMe(name: string) {
  const [me, alice, bob] = [testPeer('me', 1), testPeer('alice', 2), testPeer('bob', 3)];
  let clock = 0;
  return { me, alice, bob, s: await IdbBlockStore.open(me.publicKey, () => ++clock, name) };
}

describe('IdbBlockStore.newestAgreements', () => {
  it('lists agreements of every tier newest first, never a proposal, at most `limit`', async () => {
    const { me, alice, bob, s } = await storeOfMe('ledger-newest-agreements');
    const mine = transfer(alice, me, 10n); // my agreement: pinned
    const theirs = transfer(alice, bob, 20n); // general
    const last = transfer(bob, alice, 30n);
    await s.putMany([mine.proposal, mine.agreement], 'strict');
    await s.putMany([theirs.proposal, theirs.agreement], 'strict');
    await s.putMany([last.proposal, last.agreement], 'strict', 'stranger');
    const seqs = (list: { sequenceNumber: number; publicKey: Uint8Array }[]) => list.map((b) => [b.publicKey, b.sequenceNumber]);
    expect(seqs(await s.newestAgreements(10))).toEqual(seqs([last.agreement, theirs.agreement, mine.agreement]));
    expect(seqs(await s.newestAgreements(2))).toEqual(seqs([last.agreement, theirs.agreement]));
    s.close();
  });
});

describe('IdbBlockStore.storedSince', () => {
  const ids = (blocks: { publicKey: Uint8Array; sequenceNumber: number }[]) => [...new Set(blocks.map((b) => `${toHex(b.publicKey)}:${b.sequenceNumber}`))].sort();

  it('reads what was stored from a time on, in every tier; a tier cut at the limit holds the next read back to where it was cut, so nothing is skipped', async () => {
    const { me, alice, bob, s } = await storeOfMe('ledger-stored-since');
    expect(await s.newestStoredAt()).toBe(0);
    const pairs = [transfer(alice, me, 10n), transfer(alice, bob, 20n), transfer(bob, alice, 30n), transfer(alice, bob, 40n), transfer(bob, alice, 50n)];
    // Stored at 1 (pinned: mine), 2, 3, 4 (general), 5 (stranger).
    for (const [i, p] of pairs.entries()) await s.putMany([p.proposal, p.agreement], 'relaxed', i === 4 ? 'stranger' : 'general');
    expect(await s.newestStoredAt()).toBe(5);
    expect(ids((await s.storedSince(4, 10)).blocks)).toEqual(ids([pairs[3]!.proposal, pairs[3]!.agreement, pairs[4]!.proposal, pairs[4]!.agreement]));

    // Three per tier: the general tier (Alice's proposal at 1, then two at 2, ...) is cut at 2, so the next read starts there, not at 5.
    const first = await s.storedSince(0, 3);
    expect(first.through).toBe(2);
    const seen = [...first.blocks];
    let through = first.through;
    for (let reads = 0; reads < 5; reads++) {
      const next = await s.storedSince(through, 3);
      seen.push(...next.blocks);
      if (next.through === through) break;
      through = next.through;
    }
    expect(through).toBe(5);
    expect(ids(seen)).toEqual(ids(pairs.flatMap((p) => [p.proposal, p.agreement])));
    s.close();
  });
});
