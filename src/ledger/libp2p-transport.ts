/**
 * The ledger protocol over libp2p streams (browser glue): one stream per
 * request and its reply, length-prefixed frames, and gossip on its GossipSub
 * topic, on direct (non-relayed) connections only, so signaling relays never
 * carry ledger data.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { lpStream } from '@libp2p/utils';
import { directConnectionsTo, directPeers, keyedPeer, openDirectStream } from '../net/direct.ts';
import { directSender } from '../net/push-channel.ts';
import { topicChannel, type GossipServices } from '../net/gossipsub-channel.ts';
import { decodeGossipPayload, encodeGossipPayload, LEDGER_GOSSIP_TOPIC, MAX_LEDGER_GOSSIP_BYTES } from './ledger-gossip-wire.ts';
import { decodeLedgerMessage, encodeLedgerMessage, LEDGER_PROTOCOL, MAX_LEDGER_FRAME_BYTES, type LedgerMessage } from './ledger-wire.ts';
import { PeerUnreachableError, type LedgerHandler, type LedgerTransport, type PeerRef } from './ledger-transport.ts';

/** An incoming request must arrive whole within this; a slow sender cannot hold a stream open. */
const INBOUND_READ_TIMEOUT_MS = 15_000;
/** Handling may crawl the requester first; the requester's own timeout bounds it too. */
const HANDLER_TIMEOUT_MS = 30_000;
/** Concurrent inbound ledger streams per connection. */
const MAX_INBOUND_STREAMS = 32;

/** A ledger peer is a keyed libp2p peer. */
export const peerRef: (id: PeerId) => PeerRef | undefined = keyedPeer;


export function libp2pLedgerTransport(node: Libp2p<GossipServices>): LedgerTransport {
  /** Newest first: after the other tab reloads, its old connection lingers until WebRTC notices it is dead. */
  const connectionsTo = (peer: PeerRef): Connection[] => directConnectionsTo(node, peer.id);

  const openStream = async (peer: PeerRef, signal: AbortSignal): Promise<Stream> => {
    const candidates = connectionsTo(peer);
    if (candidates.length === 0) throw new PeerUnreachableError(`no direct connection to ${peer.id.slice(-8)}`);
    try {
      // A connection that cannot open a stream is dead: drop it so nothing else tries it.
      return await openDirectStream(candidates, LEDGER_PROTOCOL, signal, (c) => void c.close().catch(() => c.abort(new Error('unusable connection'))));
    } catch (err) {
      throw new PeerUnreachableError(`cannot reach ${peer.id.slice(-8)}: ${(err as Error).message}`);
    }
  };

  const exchange = async (peer: PeerRef, message: LedgerMessage, timeoutMs: number, expectReply: boolean): Promise<LedgerMessage | undefined> => {
    const signal = AbortSignal.timeout(timeoutMs);
    const stream = await openStream(peer, signal);
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
      await lp.write(encodeLedgerMessage(message), { signal });
      if (!expectReply) {
        await stream.close({ signal });
        return undefined;
      }
      const reply = decodeLedgerMessage((await lp.read({ signal })).subarray());
      await stream.close({ signal }).catch(() => undefined);
      return reply;
    } catch (err) {
      stream.abort(err as Error);
      throw err instanceof PeerUnreachableError ? err : new PeerUnreachableError(`${peer.id.slice(-8)}: ${(err as Error).message}`);
    }
  };

  const gossip = topicChannel(node, { topic: LEDGER_GOSSIP_TOPIC, maxBytes: MAX_LEDGER_GOSSIP_BYTES, encode: encodeGossipPayload, decode: decodeGossipPayload });

  return {
    async request(peer, message, timeoutMs) {
      return (await exchange(peer, message, timeoutMs, true))!;
    },
    gossip,
    peers: () => directPeers(node),
    serve(handler: LedgerHandler) {
      void node.handle(
        LEDGER_PROTOCOL,
        async (stream, connection) => {
          const from = directSender(stream, connection, 'ledger messages');
          if (from === undefined) return;
          try {
            const lp = lpStream(stream, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
            const message = decodeLedgerMessage((await lp.read({ signal: AbortSignal.timeout(INBOUND_READ_TIMEOUT_MS) })).subarray());
            const reply = await handler(from, message);
            if (reply !== undefined) await lp.write(encodeLedgerMessage(reply), { signal: AbortSignal.timeout(HANDLER_TIMEOUT_MS) });
            await stream.close();
          } catch (err) {
            // Malformed, oversized or slow input: drop this stream only.
            stream.abort(err as Error);
          }
        },
        { maxInboundStreams: MAX_INBOUND_STREAMS },
      );
    },
    stop() {
      void node.unhandle(LEDGER_PROTOCOL);
      gossip.stop();
    },
  };
}
