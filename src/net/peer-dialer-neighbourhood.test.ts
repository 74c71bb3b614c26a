import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import type { Libp2p } from 'libp2p';
import type { PeerId } from '@libp2p/interface';
import { startPeerDialer } from './peer-dialer.ts';
import { NEIGHBOURHOOD } from './neighbours.ts';
import { seededRandom } from '../reputation/prng.ts';

const R = '12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyCa';
const relayed = (id: string): Multiaddr => multiaddr(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${R}/p2p-circuit/webrtc/p2p/${id}`);

function peerIds(n: number): PeerId[] {
  return Array.from({ length: n }, (_, i) => peerIdFromPublicKey(publicKeyFromRaw(Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j * 7 + 1) & 0xff))));
}

/** A libp2p node as far as the dialer sees it: dials stay pending until the test lands them. */
function fakeNode(self: PeerId) {
  const direct = new Map<string, { open: number; inbound: boolean }>();
  const dials: { id: string; land(): void }[] = [];
  const hungUp: string[] = [];
  const node = {
    peerId: self,
    getConnections: () =>
      [...direct].map(([id, c]) => ({ remotePeer: { toString: () => id }, remoteAddr: relayed(id), limits: undefined, timeline: { open: c.open }, streams: [] })),
    getMultiaddrs: () => [relayed(self.toString())],
    dial: (addrs: Multiaddr[]) => {
      const id = addrs[0]!.getComponents().at(-1)!.value!;
      return new Promise<void>((resolve) => dials.push({ id, land: () => (direct.set(id, { open: Date.now(), inbound: false }), resolve()) }));
    },
    hangUp: async (peer: PeerId) => {
      hungUp.push(peer.toString());
      direct.delete(peer.toString());
    },
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  };
  return { node: node as unknown as Libp2p, direct, dials, hungUp };
}

describe('the dialer keeps a bounded neighbourhood', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  // The smallest id of the lot is ours, so the tie-break lets us dial every other peer at once.
  const [self, ...others] = peerIds(41).sort((a, b) => (a.toString() < b.toString() ? -1 : 1)) as [PeerId, ...PeerId[]];

  it('dials no more than its target, however many peers it hears of at once', async () => {
    const { node, dials } = fakeNode(self);
    const dialer = startPeerDialer(node, () => undefined, Date.now, seededRandom(1));
    for (const p of others) dialer.offer(p, [relayed(p.toString())]);
    expect(dials.length).toBe(NEIGHBOURHOOD.target);
    // Landing them fills the neighbourhood: later rounds start nothing more.
    for (const d of dials) d.land();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(dials.length).toBe(NEIGHBOURHOOD.target);
    dialer.stop();
  });

  it('lets the least useful go when peers dialling in push it past its maximum, and does not dial them back', async () => {
    const { node, direct, dials, hungUp } = fakeNode(self);
    const dialer = startPeerDialer(node, () => undefined, Date.now, seededRandom(2));
    // Twenty peers dialled us (a flood of keys, or a popular tab): more than the maximum.
    for (const p of others.slice(0, 20)) {
      direct.set(p.toString(), { open: Date.now(), inbound: true });
      dialer.offer(p, [relayed(p.toString())]);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(hungUp.length).toBe(20 - NEIGHBOURHOOD.max);
    expect(direct.size).toBe(NEIGHBOURHOOD.max);
    expect(dials.length).toBe(0);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(dials.map((d) => d.id).filter((id) => hungUp.includes(id))).toEqual([]);
    dialer.stop();
  });

  it('never refreshes away a neighbour a capability uses, though every stream on it is the peer\'s', async () => {
    const { node, direct, hungUp } = fakeNode(self);
    const dialer = startPeerDialer(node, () => undefined, Date.now, seededRandom(4));
    // A full neighbourhood that dialled us, half of it carrying our circuits (their links are its streams).
    const neighbours = others.slice(0, NEIGHBOURHOOD.max).map((p) => p.toString());
    const used = new Set(neighbours.slice(0, NEIGHBOURHOOD.max / 2));
    dialer.countUse((id) => (used.has(id) ? 1 : 0));
    for (const id of neighbours) direct.set(id, { open: Date.now(), inbound: true });
    // Fresh candidates keep coming, so every refresh has someone to make way for.
    for (let round = 0; round < 10; round++) {
      for (const p of others.slice(NEIGHBOURHOOD.max + 2 * round, NEIGHBOURHOOD.max + 2 * round + 2)) dialer.offer(p, [relayed(p.toString())]);
      await vi.advanceTimersByTimeAsync(NEIGHBOURHOOD.refreshEveryMs);
    }
    expect(hungUp.length).toBeGreaterThan(0);
    expect(hungUp.filter((id) => used.has(id))).toEqual([]);
    dialer.stop();
  });

  it('wants more peers (and asks a relay for them) only while its neighbours and dials in flight are short of the target', async () => {
    const { node, direct, dials } = fakeNode(self);
    const dialer = startPeerDialer(node, () => undefined, Date.now, seededRandom(3));
    expect(dialer.wantsPeers()).toBe(true);
    for (const p of others.slice(0, NEIGHBOURHOOD.target - 1)) dialer.offer(p, [relayed(p.toString())]);
    expect(dialer.wantsPeers()).toBe(true);
    dialer.offer(others[NEIGHBOURHOOD.target - 1]!, [relayed(others[NEIGHBOURHOOD.target - 1]!.toString())]);
    // Dials in flight count: a tab dialling its target asks nobody for more.
    expect(dials.length).toBe(NEIGHBOURHOOD.target);
    expect(dialer.wantsPeers()).toBe(false);
    for (const d of dials) d.land();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(dialer.wantsPeers()).toBe(false);
    // Neighbours leave: short again.
    direct.delete(others[0]!.toString());
    expect(dialer.wantsPeers()).toBe(true);
    dialer.stop();
  });
});
