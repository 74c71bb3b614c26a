import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PeerSnapshot } from '../net/peer-service.ts';
import type { PeerRow } from '../net/peer-table.ts';
import { networkSettled, SERVICES_HELD_MAX_MS, servicesMayStart, type SettlingNetwork } from './service-start.ts';

const row = (peerId: string, role: PeerRow['role'], transport: PeerRow['transport']): PeerRow => ({ peerId, role, transport, connections: 1, since: 0 });
const snap = (peers: PeerRow[], pending: number, failed = 0): PeerSnapshot => ({
  peerId: 'me',
  fingerprint: 'me',
  relays: [],
  peers,
  pending: [
    ...Array.from({ length: pending }, (_, i) => ({ peerId: `p${i}`, dialing: i % 2 === 0, failures: 0 })),
    ...Array.from({ length: failed }, (_, i) => ({ peerId: `f${i}`, dialing: false, failures: 1 })),
  ],
  addresses: [],
  online: true,
});

describe('servicesMayStart', () => {
  it('starts with a direct peer, or once the relay answered and nobody is left to dial', () => {
    expect(servicesMayStart({ directPeers: 1, pendingDials: 3, relayAnswered: false })).toBe(true);
    expect(servicesMayStart({ directPeers: 0, pendingDials: 0, relayAnswered: true })).toBe(true);
    // Before the relay answered, no pending dial means nothing yet, not nobody.
    expect(servicesMayStart({ directPeers: 0, pendingDials: 0, relayAnswered: false })).toBe(false);
    expect(servicesMayStart({ directPeers: 0, pendingDials: 1, relayAnswered: true })).toBe(false);
  });
});

describe('networkSettled', () => {
  let listeners: ((s: PeerSnapshot) => void)[];
  let current: PeerSnapshot;
  let answer: () => void;
  let network: SettlingNetwork;
  const emit = (s: PeerSnapshot): void => {
    current = s;
    for (const l of listeners) l(s);
  };
  const settled = (): { done: boolean } => {
    const state = { done: false };
    void networkSettled(network).then(() => void (state.done = true));
    return state;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    listeners = [];
    current = snap([], 0);
    network = {
      snapshot: () => current,
      subscribe: (l) => {
        listeners.push(l);
        l(current);
        return () => void (listeners = listeners.filter((x) => x !== l));
      },
      relayAnswered: new Promise((resolve) => (answer = resolve)),
    };
  });
  afterEach(() => vi.useRealTimers());

  it('waits through the first dial, a relayed circuit included, and settles on the direct link', async () => {
    const s = settled();
    answer();
    emit(snap([row('relay', 'relay', 'websocket')], 1));
    await vi.advanceTimersByTimeAsync(100);
    emit(snap([row('relay', 'relay', 'websocket'), row('a', 'peer', 'relayed')], 1));
    await vi.advanceTimersByTimeAsync(100);
    expect(s.done).toBe(false);
    emit(snap([row('relay', 'relay', 'websocket'), row('a', 'peer', 'webrtc')], 0));
    await vi.advanceTimersByTimeAsync(0);
    expect(s.done).toBe(true);
    expect(listeners).toHaveLength(0);
  });

  it('settles as soon as the relay named nobody: a lone tab does not wait', async () => {
    const s = settled();
    emit(snap([row('relay', 'relay', 'websocket')], 0));
    await vi.advanceTimersByTimeAsync(0);
    expect(s.done).toBe(false);
    answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.done).toBe(true);
  });

  it('settles when the dials it waited for failed (a peer waiting for a retry is not waited for)', async () => {
    const s = settled();
    emit(snap([], 2));
    answer();
    await vi.advanceTimersByTimeAsync(500);
    expect(s.done).toBe(false);
    emit(snap([], 1, 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(s.done).toBe(false);
    emit(snap([], 0, 2));
    await vi.advanceTimersByTimeAsync(0);
    expect(s.done).toBe(true);
  });

  it('waits SERVICES_HELD_MAX_MS at most: a relay that never answers does not keep a tab from sharing', async () => {
    const s = settled();
    await vi.advanceTimersByTimeAsync(SERVICES_HELD_MAX_MS - 1);
    expect(s.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.done).toBe(true);
    expect(listeners).toHaveLength(0);
  });

  it('settles at once when a direct peer is already up', async () => {
    current = snap([row('a', 'peer', 'webrtc')], 0);
    const s = settled();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.done).toBe(true);
    expect(listeners).toHaveLength(0);
  });
});
