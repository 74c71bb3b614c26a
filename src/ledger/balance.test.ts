import { describe, expect, it } from 'vitest';
import { balanceHistory, balanceOf, ZERO_BALANCE } from './balance.ts';
import { createProposal } from './chain.ts';
import { registry, testPeer, transfer } from './test-support.ts';

describe('balance', () => {
  it('is the latest running totals, uploaded minus downloaded', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    transfer(alice, bob, 1000n);
    transfer(bob, alice, 300n);
    expect(balanceOf(alice.chain, registry)).toMatchObject({ up: 1000n, down: 300n, net: 700n, sequenceNumber: 2 });
    expect(balanceOf(bob.chain, registry)).toMatchObject({ net: -700n });
    expect(balanceOf([], registry).net).toBe(0n);
    expect(balanceHistory([...alice.chain].reverse(), registry).map((p) => p.net)).toEqual([1000n, 700n]);
  });
});

describe('balance history', () => {
  it('gives one point per token block with its seq, timestamp and balance, skipping other types', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    transfer(alice, bob, 100n, 1000);
    alice.chain.push(createProposal(alice, alice.chain.at(-1), bob.publicKey, 'future-type', new Uint8Array(0), 1500));
    transfer(bob, alice, 30n, 2000);
    expect(balanceHistory(alice.chain, registry)).toEqual([
      { sequenceNumber: 1, timestamp: 1000, net: 100n },
      { sequenceNumber: 3, timestamp: 2001, net: 70n },
    ]);
    expect(balanceOf(alice.chain, registry)).toEqual({ up: 100n, down: 30n, net: 70n, sequenceNumber: 3 });
    expect(balanceOf(alice.chain.slice(1, 2), registry)).toBe(ZERO_BALANCE);
  });
});
