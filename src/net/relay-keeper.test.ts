import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Libp2p } from 'libp2p';
import type { Multiaddr } from '@multiformats/multiaddr';
import { keepRelays } from './relay-keeper.ts';
import { MAX_RELAYS, parseRelayAddress } from './net-config.ts';
import { seededRandom } from '../reputation/prng.ts';

const ID = (n: number): string => `12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyC${'abcdefghijk'[n]}`;
const relay = (port: number) => parseRelayAddress(`/ip4/127.0.0.1/tcp/${port}/ws`);

/** Dials land at once; `drop(port)` closes that relay's connection. */
function fakeNode() {
  const dialled: string[] = [];
  const listeners = new Set<(evt: CustomEvent) => void>();
  const conns = new Map<string, { id: string; remotePeer: { toString(): string } }>();
  const node = {
    dial: async (ma: Multiaddr) => {
      const port = ma.toString().split('/')[4]!;
      dialled.push(port);
      const conn = { id: `c${dialled.length}`, remotePeer: { toString: () => ID(Number(port) % 10) } };
      conns.set(port, conn);
      return conn;
    },
    addEventListener: (_: string, l: (evt: CustomEvent) => void) => listeners.add(l),
    removeEventListener: (_: string, l: (evt: CustomEvent) => void) => listeners.delete(l),
  };
  const drop = (port: number): void => {
    const conn = conns.get(String(port))!;
    for (const l of [...listeners]) l(new CustomEvent('connection:close', { detail: conn }));
  };
  return { node: node as unknown as Libp2p, dialled, drop };
}

describe('relays our relays name', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('are not dialled while one of ours is connected, and are when none is', async () => {
    const { node, dialled, drop } = fakeNode();
    const keeper = keepRelays(node, [relay(9000)], () => undefined, Date.now, seededRandom(1));
    await vi.advanceTimersByTimeAsync(0);
    keeper.learn([relay(9001), relay(9002), relay(9000)]);
    await vi.advanceTimersByTimeAsync(0);
    // Each relay holds one connection per tab, not one per tab per relay.
    expect(dialled).toEqual(['9000']);
    drop(9000);
    await vi.advanceTimersByTimeAsync(0);
    expect(dialled.slice(1).sort()).toEqual(['9001', '9002']);
    expect(keeper.statuses().filter((s) => s.state === 'connected').map((s) => s.address)).toEqual([relay(9001).text, relay(9002).text]);
    keeper.stop();
  });

  it('are bounded: a relay naming hundreds adds no more than MAX_RELAYS in all', async () => {
    const { node, dialled, drop } = fakeNode();
    const keeper = keepRelays(node, [relay(9000)], () => undefined, Date.now, seededRandom(2));
    await vi.advanceTimersByTimeAsync(0);
    const taken = keeper.learn(Array.from({ length: 300 }, (_, i) => relay(10_000 + i)));
    // What the tab may dial grows by what was taken, no more, and naming the same relays again adds nothing.
    expect(taken).toHaveLength(MAX_RELAYS - 1);
    expect(keeper.learn([relay(10_000), relay(20_000)])).toEqual([]);
    drop(9000);
    await vi.advanceTimersByTimeAsync(0);
    expect(keeper.statuses()).toHaveLength(MAX_RELAYS);
    expect(dialled).toHaveLength(MAX_RELAYS);
    keeper.stop();
  });
});
