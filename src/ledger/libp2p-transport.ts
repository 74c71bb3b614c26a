/**
 * The ledger protocol over libp2p streams (browser glue): requests answered
 * in order on a stream (ledger-stream.ts), single requests to a peer on a
 * stream kept for it while they keep coming (peer-sessions.ts), length-prefixed frames, and gossip on its GossipSub
 * topic, on direct (non-relayed) connections only, so signaling relays never
 * carry ledger data.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { directConnectionsTo, directPeers, keyedPeer, openDirectStream } from '../net/direct.ts';
import { directSender } from '../net/push-channel.ts';
import { topicChannel, type GossipServices } from '../net/gossipsub-channel.ts';
import { decodeGossipPayload, encodeGossipPayload, LEDGER_GOSSIP_TOPIC, MAX_LEDGER_GOSSIP_BYTES } from './ledger-gossip-wire.ts';
import { LEDGER_PROTOCOL } from './ledger-wire.ts';
import { LedgerSession, serveLedgerStream } from './ledger-stream.ts';
import { PeerSessions } from './peer-sessions.ts';
import { PeerUnreachableError, type LedgerHandler, type LedgerTransport, type PeerRef } from './ledger-transport.ts';

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

  // A kept stream is used while it is open on the peer's newest direct connection.
  const kept = new PeerSessions(openStream, (peer, stream) => stream.status === 'open' && (connectionsTo(peer)[0]?.streams.includes(stream) ?? false));

  const gossip = topicChannel(node, { topic: LEDGER_GOSSIP_TOPIC, maxBytes: MAX_LEDGER_GOSSIP_BYTES, encode: encodeGossipPayload, decode: decodeGossipPayload });

  return {
    request: (peer, message, timeoutMs) => kept.request(peer, message, timeoutMs),
    session: (peer) => new LedgerSession((signal) => openStream(peer, signal)),
    gossip,
    peers: () => directPeers(node),
    serve(handler: LedgerHandler) {
      void node.handle(
        LEDGER_PROTOCOL,
        async (stream, connection) => {
          const from = directSender(stream, connection, 'ledger messages');
          if (from === undefined) return;
          await serveLedgerStream(stream, (message) => handler(from, message));
        },
        { maxInboundStreams: MAX_INBOUND_STREAMS },
      );
    },
    stop() {
      void node.unhandle(LEDGER_PROTOCOL);
      kept.closeAll();
      gossip.stop();
    },
  };
}
