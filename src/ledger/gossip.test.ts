import { describe, expect, it } from 'vitest';
import { forwardTtl, pickGossipTargets, SeenSet } from './gossip.ts';

describe('gossip', () => {
  it('remembers ids up to its capacity, forgetting the oldest', () => {
    const s = new SeenSet(2);
    expect(s.add('a')).toBe(true);
    expect(s.add('a')).toBe(false);
    s.add('b');
    s.add('c');
    expect(s.has('a')).toBe(false);
    expect(s.has('c')).toBe(true);
  });

  it('forwards to random peers, never back to the sender, at most fanout', () => {
    const peers = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const picked = pickGossipTargets(peers, (p) => p === 'c', random, 3);
    expect(picked).toHaveLength(3);
    expect(picked).not.toContain('c');
    expect(new Set(picked).size).toBe(3);
  });

  it('decrements the TTL and stops at the last hop', () => {
    expect(forwardTtl(3)).toBe(2);
    expect(forwardTtl(1)).toBeUndefined();
  });
});
