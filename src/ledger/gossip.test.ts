import { describe, expect, it } from 'vitest';
import { GOSSIP_SEEN_CAPACITY, MAX_GOSSIP_TTL } from './constants.ts';
import { forwardTtl, nextHop, pickGossipTargets, SeenSet } from './gossip.ts';

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

describe('nextHop', () => {
  const peers = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const lcg = (seed: number) => (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);

  it('decrements the TTL and forwards to at most fanout peers, never the sender', () => {
    for (let seed = 1; seed < 50; seed++) {
      const hop = nextHop({ ttl: MAX_GOSSIP_TTL, from: 'c' }, 3, peers, lcg(seed));
      expect(hop?.ttl).toBe(MAX_GOSSIP_TTL - 1);
      expect(hop?.targets).toHaveLength(3);
      expect(hop?.targets).not.toContain('c');
      expect(new Set(hop?.targets).size).toBe(3);
    }
  });

  it('drops a message whose TTL is spent, or when no peer is left', () => {
    expect(nextHop({ ttl: 1, from: 'a' }, 3, peers, Math.random)).toBeUndefined();
    expect(nextHop({ ttl: 0 }, 3, peers, Math.random)).toBeUndefined();
    expect(nextHop({ ttl: 2, from: 'a' }, 3, ['a'], Math.random)).toBeUndefined();
  });

  it('is deterministic under injected randomness, and reaches everyone over many draws', () => {
    expect(nextHop({ ttl: 3 }, 2, peers, lcg(7))).toEqual(nextHop({ ttl: 3 }, 2, peers, lcg(7)));
    const reached = new Set<string>();
    const random = lcg(3);
    for (let i = 0; i < 50; i++) for (const p of nextHop({ ttl: 3 }, 1, peers, random)!.targets) reached.add(p);
    expect(reached.size).toBe(peers.length);
    // A random source returning 1 (out of contract) still yields valid picks.
    expect(nextHop({ ttl: 3 }, 7, peers, () => 0.999999999)?.targets.sort()).toEqual(peers);
  });

  it('uses a custom sender test for peers that are objects', () => {
    const objs = peers.map((id) => ({ id }));
    const hop = nextHop({ ttl: 2 }, 10, objs, lcg(1), (p) => p.id === 'a');
    expect(hop?.targets.map((p) => p.id)).not.toContain('a');
    expect(hop?.targets).toHaveLength(6);
  });
});

describe('SeenSet', () => {
  it('refreshes repeated ids (least recently seen goes first) and has a default capacity', () => {
    const s = new SeenSet(2);
    s.add('a');
    s.add('b');
    expect(s.add('a')).toBe(false); // a is now the most recent
    s.add('c'); // evicts b
    expect([s.has('a'), s.has('b'), s.has('c')]).toEqual([true, false, true]);
    const d = new SeenSet();
    for (let i = 0; i < GOSSIP_SEEN_CAPACITY + 10; i++) d.add(String(i));
    expect(d.size).toBe(GOSSIP_SEEN_CAPACITY);
    expect(() => new SeenSet(0)).toThrow(RangeError);
  });
});
