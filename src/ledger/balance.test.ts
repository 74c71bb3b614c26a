import { describe, expect, it } from 'vitest';
import { balanceHistory, balanceOf } from './balance.ts';
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
