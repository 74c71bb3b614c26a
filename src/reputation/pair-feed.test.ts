import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { mintAgreement, registry, testPeer, transfer } from '../ledger/test-support.ts';
import { ContributionGraph } from './contribution-graph.ts';
import { PairFeed } from './pair-feed.ts';

const hex = (p: { publicKey: Uint8Array }) => toHex(p.publicKey);

describe('PairFeed', () => {
  it('feeds a stored pair once, however often it is read again (the graph would count it twice)', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const t = transfer(alice, bob, 700n);
    const feed = new PairFeed(registry);
    const first = feed.take([{ agreement: t.agreement, proposal: t.proposal }]);
    expect(first).toEqual([{ from: hex(alice), to: hex(bob), bytes: 700n, at: t.proposal.timestamp }]);
    expect(feed.take([{ agreement: t.agreement, proposal: t.proposal }])).toEqual([]);
    const g = new ContributionGraph();
    for (const c of [...first, ...feed.take([{ agreement: t.agreement, proposal: t.proposal }])]) g.add(c);
    expect(g.given(hex(alice)).get(hex(bob))).toBe(700n);
  });

  it('waits for a missing proposal: the agreement counts once its proposal is stored', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const t = transfer(alice, bob, 300n);
    const feed = new PairFeed(registry);
    expect(feed.take([{ agreement: t.agreement, proposal: undefined }])).toEqual([]);
    expect(feed.take([{ agreement: t.agreement, proposal: t.proposal }])).toHaveLength(1);
  });

  it('never feeds a half: a minted agreement next to some real proposal counts for nothing', () => {
    const mallory = testPeer('mallory', 6);
    const ghost = testPeer('ghost', 40);
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const real = transfer(alice, bob, 100n);
    const minted = mintAgreement(mallory, ghost.publicKey, 1n << 40n);
    expect(new PairFeed(registry).take([{ agreement: minted, proposal: real.proposal }])).toEqual([]);
  });

  it('takes at most maxPairs pairs, the first offered (newest first) kept', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const carol = testPeer('carol', 3);
    const newest = transfer(carol, bob, 5n);
    const older = transfer(alice, bob, 9n);
    const feed = new PairFeed(registry, 1);
    const taken = feed.take([newest, older].map((t) => ({ agreement: t.agreement, proposal: t.proposal })));
    expect(taken.map((c) => c.from)).toEqual([hex(carol)]);
    expect(feed.size).toBe(1);
  });
});
