/** Builds the browser's libp2p node. Browser glue: all decisions live in pure modules. */
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { webRTC } from '@libp2p/webrtc';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { ping, type Ping } from '@libp2p/ping';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import type { Identity } from '../identity/identity.ts';
import { concatBytes } from '../codec/bytes.ts';
import { isDialAllowed } from './dial-gater.ts';
import type { GossipSub } from '@libp2p/gossipsub';
import { gossipsubService } from './gossipsub-config.ts';
import { GossipScores } from './gossip-scores.ts';
import { noiseCrypto } from './noise-crypto.ts';

export const NODE_LIMITS = {
  /** Browsers accept 256 KiB data-channel messages; 16 KiB (libp2p's default, for go/rust interop) halves throughput. */
  webRtcMaxMessageSize: 256 * 1024,
  /** Relays plus direct peers plus their signaling circuits. */
  maxConnections: 128,
  /**
   * A WebRTC dial is relay signaling + ICE + DTLS + Noise: several round trips and
   * CPU-heavy handshakes. libp2p's 6 s per address cuts off set-ups that would
   * succeed on a busy phone or a 2-core machine with many tabs.
   */
  addressDialTimeoutMs: 15_000,
  dialTimeoutMs: 20_000,
} as const;

export type PeerNode = Libp2p<{ ping: Ping; identify: unknown; pubsub: GossipSub; gossipScores: GossipScores }>;

export interface NodeOptions {
  relayEndpoints: ReadonlySet<string>;
  /** Undefined: libp2p's default STUN servers. */
  iceServers: readonly string[] | undefined;
  /** Peers (ids) never to connect to, either way; may change while running. */
  blockedPeers?: ReadonlySet<string>;
  /** GossipSub topics carried (and scored). */
  gossipTopics: readonly string[];
}

/** No peer discovery module: peers are learnt by peer exchange with relays and neighbours (peer-service.ts), never from a flood. */
export async function createPeerNode(identity: Identity, options: NodeOptions): Promise<PeerNode> {
  // Seed and public key as stored (libp2p's 64-byte form): deriving the key again would build
  // @noble/curves' base-point table on the main thread, ~100 ms of every start-up.
  const privateKey = privateKeyFromRaw(concatBytes(identity.seed, identity.publicKey));
  // Who sent forged gossip, on a topic or in a swap, greeting or answer: one record, read by GossipSub and by the capabilities.
  const gossipScores = new GossipScores(Date.now);
  return createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      webRTC({
        dataChannel: { maxMessageSize: NODE_LIMITS.webRtcMaxMessageSize },
        ...(options.iceServers === undefined ? {} : { rtcConfiguration: { iceServers: options.iceServers.map((urls) => ({ urls })) } }),
      }),
      circuitRelayTransport(),
    ],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux()],
    connectionGater: {
      denyDialMultiaddr: (ma) => !isDialAllowed(ma, options.relayEndpoints),
      denyDialPeer: (peerId) => options.blockedPeers?.has(peerId.toString()) ?? false,
      denyInboundEncryptedConnection: (peerId) => options.blockedPeers?.has(peerId.toString()) ?? false,
      denyInboundUpgradedConnection: (peerId) => options.blockedPeers?.has(peerId.toString()) ?? false,
    },
    connectionManager: {
      maxConnections: NODE_LIMITS.maxConnections,
      addressDialTimeout: NODE_LIMITS.addressDialTimeoutMs,
      dialTimeout: NODE_LIMITS.dialTimeoutMs,
    },
    // Connections are pinged by liveness.ts: peers as often as libp2p would, relays far less.
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsubService(options.gossipTopics, gossipScores),
      gossipScores: () => gossipScores,
    },
  });
}
