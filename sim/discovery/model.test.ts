import { describe, expect, it } from 'vitest';
import { NEIGHBOURHOOD } from '../../src/net/neighbours.ts';
import { FLOOD_ANNOUNCE_EVERY_MS } from './constants.ts';
import { simulateDiscovery } from './model.ts';

describe('discovery simulation', () => {
  const small = simulateDiscovery({ peers: 150, relays: 3, seed: 7 });
  const large = simulateDiscovery({ peers: 600, relays: 3, seed: 7 });

  it("keeps each peer's discovery traffic the same whatever the network's size, where today's flood grows with it", () => {
    expect(large.walkMessagesPerPeerPerSec).toBeLessThan(0.5);
    expect(Math.abs(large.walkMessagesPerPeerPerSec - small.walkMessagesPerPeerPerSec) / small.walkMessagesPerPeerPerSec).toBeLessThan(0.1);
    expect(large.floodMessagesPerPeerPerSec).toBe(599 / (FLOOD_ANNOUNCE_EVERY_MS / 1000));
  });

  it('holds every neighbourhood within its bounds, and a fraud proof gossiped over it reaches every peer within a second', () => {
    for (const r of [small, large]) {
      expect(r.maxDegree).toBeLessThanOrEqual(NEIGHBOURHOOD.max);
      expect(r.meanDegree).toBeGreaterThanOrEqual(NEIGHBOURHOOD.target);
      expect(r.reachedShare).toBe(1);
      expect(r.reachMs).toBeLessThan(1_000);
    }
  });

  it('has a newcomer know 10 peers within a round trip to its relay, and hold its neighbourhood within a minute', () => {
    expect(large.foundMs.p95).toBeLessThan(1_000);
    expect(large.targetMs.p95).toBeLessThan(60_000);
  });

  it('replays exactly from its seed', () => {
    expect(simulateDiscovery({ peers: 150, relays: 3, seed: 7 })).toEqual(small);
  });
});
