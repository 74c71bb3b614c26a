import { describe, expect, it } from 'vitest';
import { createProposal } from './chain.ts';
import { registry, testPeer, transfer } from './test-support.ts';
import { bandwidthType, nextBandwidth } from './transactions/bandwidth.ts';
import { EMPTY_TALLY, extendTally } from './verified-balance.ts';

describe('verified balance', () => {
  it('counts a proposal\'s upload only with its agreement', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    transfer(alice, bob, 100n); // agreed
    // A proposal bob never countersigns: it raises alice's running totals, not her verified balance.
    alice.chain.push(createProposal(alice, alice.chain.at(-1), bob.publicKey, 'bandwidth', bandwidthType.encode(nextBandwidth({ totalUp: 100n, totalDown: 0n }, 5000n, 0n)), 1));
    const agreedSeqs = new Set([1]);
    const { total, resumable } = extendTally(EMPTY_TALLY, alice.chain, (s) => agreedSeqs.has(s), registry);
    expect(total).toEqual({ up: 100n, down: 0n, through: 2 });
    expect(resumable).toEqual({ up: 100n, down: 0n, through: 1 });
    // Once answered, resuming counts it.
    agreedSeqs.add(2);
    expect(extendTally(resumable, alice.chain.slice(1), (s) => agreedSeqs.has(s), registry).total).toEqual({ up: 5100n, down: 0n, through: 2 });
  });

  it('always counts downloads, and agreements in full', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    transfer(alice, bob, 300n);
    transfer(bob, alice, 50n);
    const bobTally = extendTally(EMPTY_TALLY, bob.chain, () => false, registry).total;
    expect(bobTally).toEqual({ up: 0n, down: 300n, through: 2 });
    const aliceTally = extendTally(EMPTY_TALLY, alice.chain, () => true, registry).total;
    expect(aliceTally).toEqual({ up: 300n, down: 50n, through: 2 });
  });

  it('stops at a gap', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 3; i++) transfer(alice, bob, 10n);
    expect(extendTally(EMPTY_TALLY, [alice.chain[0]!, alice.chain[2]!], () => true, registry).total.through).toBe(1);
  });
});
