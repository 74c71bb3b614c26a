import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TRACKED_SENDERS, SENDER_BLOCKS_PER_MINUTE, SENDER_BURST_BLOCKS } from './constants.ts';
import { isLinkedPair, ownAndLinked, SenderBuckets } from './intake-limits.ts';
import { resign, testPeer, transfer } from './test-support.ts';

describe('SenderBuckets', () => {
  it('grants a burst, then only the refill rate, per sender', () => {
    let now = 0;
    const buckets = new SenderBuckets(() => now);
    expect(buckets.take('mallory', SENDER_BURST_BLOCKS + 50)).toBe(SENDER_BURST_BLOCKS);
    expect(buckets.take('mallory', 1)).toBe(0);
    expect(buckets.take('alice', 2)).toBe(2); // one sender's flood costs the others nothing
    now += 60_000;
    expect(buckets.take('mallory', 10 * SENDER_BLOCKS_PER_MINUTE)).toBe(Math.min(SENDER_BURST_BLOCKS, SENDER_BLOCKS_PER_MINUTE));
    now += 1_000;
    expect(buckets.take('mallory', 1_000)).toBe(Math.floor(SENDER_BLOCKS_PER_MINUTE / 60));
  });

  it('never grants more than burst + rate × time, whatever the pattern of asks', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(5_000), fc.nat(400)), { maxLength: 200 }), (asks) => {
        let now = 0;
        const buckets = new SenderBuckets(() => now);
        let granted = 0;
        for (const [dt, n] of asks) {
          now += dt;
          const g = buckets.take('x', n);
          expect(g).toBeGreaterThanOrEqual(0);
          expect(g).toBeLessThanOrEqual(n);
          granted += g;
        }
        expect(granted).toBeLessThanOrEqual(SENDER_BURST_BLOCKS + (now * SENDER_BLOCKS_PER_MINUTE) / 60_000);
      }),
    );
  });

  it('remembers a bounded number of senders', () => {
    const buckets = new SenderBuckets(() => 0);
    for (let i = 0; i < MAX_TRACKED_SENDERS + 10; i++) buckets.take(`s${i}`, 1);
    expect(buckets.size).toBe(MAX_TRACKED_SENDERS);
  });
});

describe('pairs and context', () => {
  it('a pair is two halves of one transaction', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const carol = testPeer('carol', 3);
    const { proposal, agreement } = transfer(alice, bob, 1n);
    const other = transfer(alice, carol, 1n);
    expect(isLinkedPair(proposal, agreement)).toBe(true);
    expect(isLinkedPair(agreement, proposal)).toBe(false);
    expect(isLinkedPair(other.proposal, agreement)).toBe(false); // answers another proposal
    // An agreement by someone the proposal was not addressed to.
    expect(isLinkedPair(other.proposal, resign(bob, agreement, { linkSequenceNumber: other.proposal.sequenceNumber }))).toBe(false);
  });

  it("keeps the owner's blocks in range and their other halves, drops everything else", () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const carol = testPeer('carol', 3);
    const t1 = transfer(alice, bob, 1n);
    const t2 = transfer(bob, alice, 1n);
    const t3 = transfer(alice, bob, 1n);
    const stranger = transfer(carol, bob, 1n);
    const offered = [t1.proposal, t1.agreement, t2.proposal, t2.agreement, t3.proposal, t3.agreement, stranger.proposal, stranger.agreement];
    expect(ownAndLinked(alice.publicKey, offered)).toEqual([t1.proposal, t1.agreement, t2.proposal, t2.agreement, t3.proposal, t3.agreement]);
    expect(ownAndLinked(alice.publicKey, offered, (seq) => seq >= 2)).toEqual([t2.proposal, t2.agreement, t3.proposal, t3.agreement]);
    // An agreement's proposal comes along; a proposal out of range does not bring its agreement.
    expect(ownAndLinked(bob.publicKey, [stranger.proposal, stranger.agreement])).toEqual([stranger.proposal, stranger.agreement]);
    expect(ownAndLinked(alice.publicKey, offered, (seq) => seq === 2)).toEqual([t2.proposal, t2.agreement]);
  });
});
