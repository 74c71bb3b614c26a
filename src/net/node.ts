/** Builds the browser's libp2p node. Browser glue: all decisions live in pure modules. */
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { webRTC } from '@libp2p/webrtc';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { ping, type Ping } from '@libp2p/ping';
import { floodsub, type FloodSub } from '@libp2p/floodsub';
import { pubsubPeerDiscovery, type PubSubPeerDiscovery } from '@libp2p/pubsub-peer-discovery';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import type { Identity } from '../identity/identity.ts';
import { concatBytes } from '../codec/bytes.ts';
import { DISCOVERY_TOPIC } from './protocols.ts';
import { isDialAllowed } from './dial-gater.ts';

export const NODE_LIMITS = {
  /** Browsers accept 256 KiB data-channel messages; 16 KiB (libp2p's default, for go/rust interop) halves throughput. */
  webRtcMaxMessageSize: 256 * 1024,
  /** How often each peer re-announces its addresses (through its gate); new tabs also learn peers by PEX right away. */
  discoveryIntervalMs: 5_000,
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

/** The longest delay a timer takes (2^31 - 1 ms, 24.8 days): a timer that never fires in a tab's life. */
const NEVER_MS = 2 ** 31 - 1;

export type PeerNode = Libp2p<{ ping: Ping; pubsub: FloodSub; identify: unknown }>;

export interface CreatedNode {
  node: PeerNode;
  /**
   * Publishes our addresses on the discovery topic now, rather than at the next
   * interval: when our relay address appears and when a new peer shows up, so
   * that both sides learn of each other within a round trip.
   */
  announce(): void;
}

export interface NodeOptions {
  relayEndpoints: ReadonlySet<string>;
  /** Undefined: libp2p's default STUN servers. */
  iceServers: readonly string[] | undefined;
  /** Peers (ids) never to connect to, either way; may change while running. */
  blockedPeers?: ReadonlySet<string>;
}

export async function createPeerNode(identity: Identity, options: NodeOptions): Promise<CreatedNode> {
  // Seed and public key as stored (libp2p's 64-byte form): deriving the key again would build
  // @noble/curves' base-point table on the main thread, ~100 ms of every start-up.
  const privateKey = privateKeyFromRaw(concatBytes(identity.seed, identity.publicKey));
  let discovery: PubSubPeerDiscovery | undefined;
  // The module's own timer would announce us whatever our gate says (announcer.ts): during a dial begun
  // before we could be dialed, its peer then learned of us and dialed back. PeerService announces instead.
  const discoveryFactory = pubsubPeerDiscovery({ interval: NEVER_MS, topics: [DISCOVERY_TOPIC] });
  const node = await createLibp2p({
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
    connectionEncrypters: [noise()],
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
    peerDiscovery: [
      (components: Parameters<typeof discoveryFactory>[0]) => {
        discovery = discoveryFactory(components) as PubSubPeerDiscovery;
        return discovery;
      },
    ],
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: floodsub(),
    },
  }) as PeerNode;
  return {
    node,
    announce() {
      if (discovery?.isStarted() === true) discovery._broadcast();
    },
  };
}
