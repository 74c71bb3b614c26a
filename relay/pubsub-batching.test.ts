import { describe, expect, it } from 'vitest';
import type { FloodSub } from '@libp2p/floodsub';
import type { PeerId } from '@libp2p/interface';
import { batchPubsubSends } from './pubsub-batching.ts';

const peer = (id: string): PeerId => ({ toString: () => id }) as PeerId;

/** A floodsub stand-in that records what reaches its per-peer send, and a schedule run by hand. */
function setUp(maxMessages = 3): { router: { sendRpc(p: PeerId, rpc: object): void }; sent: [string, { subscriptions: unknown[]; messages: unknown[] }][]; tick(): void } {
  const sent: [string, { subscriptions: unknown[]; messages: unknown[] }][] = [];
  const router = { sendRpc: (p: PeerId, rpc: { subscriptions: unknown[]; messages: unknown[] }) => void sent.push([p.toString(), rpc]) };
  const timers: (() => void)[] = [];
  batchPubsubSends(router as unknown as FloodSub, { windowMs: 25, maxMessages }, (run) => timers.push(run));
  return { router, sent, tick: () => timers.splice(0).forEach((run) => run()) };
}

describe('pubsub sends in batches', () => {
  it('sends what one window holds for a peer as one RPC, each peer its own, in order', () => {
    const { router, sent, tick } = setUp(10);
    router.sendRpc(peer('a'), { subscriptions: [], messages: ['m1'] });
    router.sendRpc(peer('b'), { subscriptions: [], messages: ['m1'] });
    router.sendRpc(peer('a'), { subscriptions: [], messages: ['m2'] });
    expect(sent).toEqual([]);
    tick();
    expect(sent).toEqual([
      ['a', { subscriptions: [], messages: ['m1', 'm2'] }],
      ['b', { subscriptions: [], messages: ['m1'] }],
    ]);
    router.sendRpc(peer('a'), { subscriptions: [], messages: ['m3'] });
    tick();
    expect(sent.at(-1)).toEqual(['a', { subscriptions: [], messages: ['m3'] }]);
  });

  it('sends a subscription at once, after what waited for that peer, so a new peer knows where to publish', () => {
    const { router, sent } = setUp(10);
    router.sendRpc(peer('a'), { subscriptions: [], messages: ['m1'] });
    router.sendRpc(peer('a'), { subscriptions: ['s'], messages: [] });
    expect(sent).toEqual([
      ['a', { subscriptions: [], messages: ['m1'] }],
      ['a', { subscriptions: ['s'], messages: [] }],
    ]);
  });

  it('sends a full batch at once, not after the window', () => {
    const { router, sent, tick } = setUp(3);
    for (const m of ['m1', 'm2', 'm3', 'm4']) router.sendRpc(peer('a'), { subscriptions: [], messages: [m] });
    expect(sent).toEqual([['a', { subscriptions: [], messages: ['m1', 'm2', 'm3'] }]]);
    tick();
    expect(sent.at(-1)).toEqual(['a', { subscriptions: [], messages: ['m4'] }]);
    tick();
    expect(sent).toHaveLength(2);
  });
});
