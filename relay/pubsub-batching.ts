/**
 * Glue: the relay passes discovery messages on in batches. floodsub sends each
 * message to each subscriber as its own RPC, and every RPC costs a stream write,
 * a yamux frame, a Noise seal and a WebSocket frame (with 650 peers, most of the
 * relay's CPU: BENCH=relay-load). RPCs to one peer within `windowMs` go out as
 * one, which floodsub reads the same. RPCs with subscriptions go at once: a
 * peer that just connected publishes only to peers it knows to subscribe.
 */
import type { FloodSub } from '@libp2p/floodsub';
import type { PeerId } from '@libp2p/interface';

export interface Batching {
  /** How long an RPC may wait for others to the same peer. */
  windowMs: number;
  /** Messages in one batch at most; a full batch goes at once (receivers decode at most 5,000). */
  maxMessages: number;
}

interface Rpc {
  subscriptions: unknown[];
  messages: unknown[];
}

/** floodsub's public per-peer send (4.x-11.x), which every message and subscription goes through. */
interface Router {
  sendRpc(peer: PeerId, rpc: Rpc): void;
}

type Schedule = (run: () => void, ms: number) => unknown;

export function batchPubsubSends(pubsub: FloodSub, batching: Batching, schedule: Schedule = (run, ms) => setTimeout(run, ms).unref()): void {
  const router = pubsub as unknown as Router;
  const sendRpc = router.sendRpc.bind(router);
  const pending = new Map<string, { peer: PeerId; rpc: Rpc }>();
  let scheduled = false;

  const flushOne = (key: string): void => {
    const batch = pending.get(key);
    if (batch === undefined) return;
    pending.delete(key);
    sendRpc(batch.peer, batch.rpc);
  };
  const flushAll = (): void => {
    scheduled = false;
    for (const key of [...pending.keys()]) flushOne(key);
  };

  router.sendRpc = (peer, rpc) => {
    const key = peer.toString();
    if ((rpc.subscriptions ?? []).length > 0) {
      // The relay's subscription tells a new peer where to publish: at once, after what it was sent before.
      flushOne(key);
      sendRpc(peer, rpc);
      return;
    }
    let batch = pending.get(key);
    if (batch === undefined) {
      batch = { peer, rpc: { subscriptions: [], messages: [] } };
      pending.set(key, batch);
    }
    batch.rpc.subscriptions.push(...(rpc.subscriptions ?? []));
    batch.rpc.messages.push(...(rpc.messages ?? []));
    if (batch.rpc.messages.length >= batching.maxMessages) {
      flushOne(key);
      return;
    }
    if (!scheduled) {
      scheduled = true;
      schedule(flushAll, batching.windowMs);
    }
  };
}
