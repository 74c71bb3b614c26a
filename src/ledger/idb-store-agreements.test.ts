import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IdbBlockStore } from './idb-store.ts';
import { testPeer, transfer } from './test-support.ts';

describe('IdbBlockStore.newestAgreements', () => {
  it('lists agreements of every tier newest first, never a proposal, at most `limit`', async () => {
    const me = testPeer('me', 1);
    const alice = testPeer('alice', 2);
    const bob = testPeer('bob', 3);
    let clock = 0;
    const s = await IdbBlockStore.open(me.publicKey, () => ++clock, 'ledger-newest-agreements');
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
