import { describe, expect, it } from 'vitest';
import { RecentPeerBook, type PeerStorage } from './recent-peer-book.ts';

const SELF = '12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyCa';
const PEER = '12D3KooWGqt8g7yUq3MZyoAnsmhugrvT7tN4F7xJhiMm5zDAM6Ae';
const RELAY = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq';
const OTHER_RELAY = '12D3KooWQHdPuGTaXxi22TP6kHsLAGLpQMB4kbYHmeSnp2kxnaaF';
const via = (relay: string, peer = PEER): string => `/ip4/127.0.0.1/tcp/9001/ws/p2p/${relay}/p2p-circuit/webrtc/p2p/${peer}`;
const anyRelay = (): boolean => true;

function memory(): PeerStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

describe('RecentPeerBook', () => {
  it("recalls at a later start the peers reached through a relay, once that relay is the one connected", () => {
    const storage = memory();
    new RecentPeerBook(storage, SELF, () => 1_000).note([{ id: PEER, addrs: [via(RELAY)] }]);
    const next = new RecentPeerBook(storage, SELF, () => 2_000);
    expect(next.reachedThrough(RELAY, anyRelay).map((p) => [p.peerId.toString(), p.addrs.map(String)])).toEqual([[PEER, [via(RELAY)]]]);
    expect(next.reachedThrough(OTHER_RELAY, anyRelay)).toEqual([]);
    expect(next.reachedThrough(RELAY, () => false)).toEqual([]);
  });

  it("keeps each identity's peers apart: a restored identity does not dial the peers of the one before", () => {
    const storage = memory();
    new RecentPeerBook(storage, SELF, () => 1_000).note([{ id: PEER, addrs: [via(RELAY)] }]);
    expect(new RecentPeerBook(storage, OTHER_RELAY, () => 2_000).reachedThrough(RELAY, anyRelay)).toEqual([]);
  });

  it('drops stored addresses that do not end at their peer, are not WebRTC circuits, or are not addresses', () => {
    const storage = memory();
    storage.setItem(`trustmesh.recent-peers.${SELF}`, JSON.stringify([
      { id: PEER, addrs: [via(RELAY, SELF), '/ip4/127.0.0.1/tcp/9001/ws', 'not an address'], seenAt: 1 },
      { id: 'not a peer id', addrs: [via(RELAY, 'not a peer id')], seenAt: 1 },
    ]));
    expect(new RecentPeerBook(storage, SELF, () => 2).reachedThrough(RELAY, anyRelay)).toEqual([]);
  });

  it('starts empty when storage refuses, and keeps running when a write fails', () => {
    const refusing: PeerStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const book = new RecentPeerBook(refusing, SELF, () => 1);
    expect(book.reachedThrough(RELAY, anyRelay)).toEqual([]);
    expect(() => book.note([{ id: PEER, addrs: [via(RELAY)] }])).not.toThrow();
  });
});
