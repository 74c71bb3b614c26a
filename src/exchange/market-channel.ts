/**
 * The market protocol over libp2p (browser glue): market messages to and from
 * peers named by their public key hex, on direct connections only
 * (push-channel.ts), and notice when the set of direct peers changes.
 */
import type { Libp2p } from 'libp2p';
import { toHex } from '../codec/bytes.ts';
import { directPeers, type KeyedPeer } from '../net/direct.ts';
import { pushChannel, PushUnreachableError } from '../net/push-channel.ts';
import { decodeMarketMessage, encodeMarketMessage, MARKET_PROTOCOL, MAX_MARKET_FRAME_BYTES, type MarketMessage } from './market-wire.ts';

export interface MarketChannel {
  /** Throws PushUnreachableError when the peer has no direct connection. */
  send(toKeyHex: string, message: MarketMessage): Promise<void>;
  serve(handler: (fromKeyHex: string, message: MarketMessage) => Promise<void>): void;
  /** Keys of the peers on direct connections now. */
  peers(): string[];
  onPeersChanged(listener: () => void): () => void;
  stop(): void;
}

export function libp2pMarketChannel(node: Libp2p): MarketChannel {
  const channel = pushChannel<MarketMessage>(node, { protocol: MARKET_PROTOCOL, maxFrameBytes: MAX_MARKET_FRAME_BYTES, encode: encodeMarketMessage, decode: decodeMarketMessage });
  const byKey = (): Map<string, KeyedPeer> => new Map(directPeers(node).map((p) => [toHex(p.publicKey), p]));
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const l of listeners) l();
  };
  node.addEventListener('connection:open', changed);
  node.addEventListener('connection:close', changed);
  return {
    async send(to, message) {
      const peer = byKey().get(to);
      if (peer === undefined) throw new PushUnreachableError(`no direct connection to ${to.slice(0, 8)}`);
      await channel.send(peer, message);
    },
    serve(handler) {
      channel.serve((from, message) => handler(toHex(from.publicKey), message));
    },
    peers: () => [...byKey().keys()],
    onPeersChanged(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      node.removeEventListener('connection:open', changed);
      node.removeEventListener('connection:close', changed);
      listeners.clear();
      channel.stop();
    },
  };
}
