import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NEIGHBOURHOOD } from './neighbours.ts';
import { decodeRecentPeers, encodeRecentPeers, noteConnected, recall, RECENT_PEERS, shouldStore, type RecentPeer } from './recent-peers.ts';

const addr = (peer: string, relay = 'R'): string => `/ip4/127.0.0.1/tcp/9001/ws/p2p/${relay}/p2p-circuit/webrtc/p2p/${peer}`;
const HOUR = 60 * 60_000;

describe('recent peers', () => {
  it('keeps the few newest peers, each with its latest addresses', () => {
    let list: RecentPeer[] = [];
    for (let i = 0; i < 12; i++) list = noteConnected(list, [{ id: `P${i}`, addrs: [addr(`P${i}`)] }], 1_000 + i);
    expect(list.map((p) => p.id)).toEqual(['P11', 'P10', 'P9']);
    list = noteConnected(list, [{ id: 'P9', addrs: [addr('P9', 'S'), addr('P9', 'T'), addr('P9', 'U')] }], 5_000);
    expect(list[0]).toEqual({ id: 'P9', addrs: [addr('P9', 'S'), addr('P9', 'T')], seenAt: 5_000 });
    expect(list).toHaveLength(RECENT_PEERS.max);
  });

  it("never fills a returning tab's first dial round, so peers that held its places (an eclipse) must win them again in the draw", () => {
    // Recalled peers are offered before the relay answers: they can take at most this many of the neighbourhood's places.
    expect(RECENT_PEERS.max).toBeLessThan(NEIGHBOURHOOD.maxDialsPerRound);
    expect(RECENT_PEERS.max).toBeLessThan(NEIGHBOURHOOD.target / 2);
  });

  it('does not keep a peer without an address, or with an id or address too long to be real', () => {
    const list = noteConnected([], [{ id: 'A', addrs: [] }, { id: 'x'.repeat(200), addrs: [addr('x')] }, { id: 'B', addrs: ['/'.repeat(600)] }], 1);
    expect(list).toEqual([]);
  });

  it('recalls only peers seen within a day, and none from the future', () => {
    const now = 100 * HOUR;
    const list: RecentPeer[] = [
      { id: 'fresh', addrs: [addr('fresh')], seenAt: now - HOUR },
      { id: 'old', addrs: [addr('old')], seenAt: now - 25 * HOUR },
      { id: 'future', addrs: [addr('future')], seenAt: now + HOUR },
    ];
    expect(recall(list, now).map((p) => p.id)).toEqual(['fresh']);
  });

  it('is written when a peer or an address changes, and otherwise once a minute', () => {
    const stored = noteConnected([], [{ id: 'A', addrs: [addr('A')] }], 0);
    expect(shouldStore(stored, noteConnected(stored, [{ id: 'A', addrs: [addr('A')] }], 30_000))).toBe(false);
    expect(shouldStore(stored, noteConnected(stored, [{ id: 'A', addrs: [addr('A')] }], RECENT_PEERS.touchEveryMs))).toBe(true);
    expect(shouldStore(stored, noteConnected(stored, [{ id: 'A', addrs: [addr('A', 'S')] }], 1))).toBe(true);
    expect(shouldStore(stored, noteConnected(stored, [{ id: 'B', addrs: [addr('B')] }], 1))).toBe(true);
  });

  it('reads back what it wrote', () => {
    const list = noteConnected([], [{ id: 'A', addrs: [addr('A')] }, { id: 'B', addrs: [addr('B'), addr('B', 'S')] }], 7);
    expect(decodeRecentPeers(encodeRecentPeers(list))).toEqual(list);
  });

  it('reads anything stored without throwing, and keeps only well-formed entries within its bounds', () => {
    const valid = encodeRecentPeers(noteConnected([], [{ id: 'A', addrs: [addr('A')] }, { id: 'B', addrs: [addr('B')] }], 7));
    const mutated = fc.tuple(fc.nat(valid.length), fc.string({ maxLength: 8 }), fc.nat(8)).map(([at, insert, cut]) => valid.slice(0, at) + insert + valid.slice(at + cut));
    const json = fc.jsonValue().map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(fc.oneof(fc.string(), json, mutated, fc.constant('x'.repeat(1 << 20))), (text) => {
        const peers = decodeRecentPeers(text);
        expect(peers.length).toBeLessThanOrEqual(RECENT_PEERS.max);
        for (const p of peers) {
          expect(typeof p.id).toBe('string');
          expect(p.id.length).toBeGreaterThan(0);
          expect(p.id.length).toBeLessThanOrEqual(RECENT_PEERS.maxIdChars);
          expect(Number.isFinite(p.seenAt)).toBe(true);
          expect(p.addrs.length).toBeGreaterThan(0);
          expect(p.addrs.length).toBeLessThanOrEqual(RECENT_PEERS.maxAddrsPerPeer);
          for (const a of p.addrs) expect(a.length).toBeLessThanOrEqual(RECENT_PEERS.maxAddrChars);
        }
      }),
      { numRuns: 500 },
    );
    expect(decodeRecentPeers(null)).toEqual([]);
  });
});
