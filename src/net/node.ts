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
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { Identity } from '../identity/identity.ts';
import { DISCOVERY_TOPIC } from './protocols.ts';
import { isDialAllowed } from './dial-gater.ts';

export const NODE_LIMITS = {
  /** Browsers accept 256 KiB data-channel messages; 16 KiB (libp2p's default, for go/rust interop) halves throughput. */
  webRtcMaxMessageSize: 256 * 1024,
  /** How often each peer re-announces its addresses; new tabs also learn peers by PEX right away. */
  discoveryIntervalMs: 5_000,
  /** Relays plus direct peers plus their signaling circuits. */
  maxConnections: 128,
} as const;

export type PeerNode = Libp2p<{ ping: Ping; pubsub: FloodSub; identify: unknown }>;

export async function createPeerNode(identity: Identity, relayEndpoints: ReadonlySet<string>): Promise<PeerNode> {
  const privateKey = await generateKeyPairFromSeed('Ed25519', identity.seed);
  return createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      webRTC({ dataChannel: { maxMessageSize: NODE_LIMITS.webRtcMaxMessageSize } }),
      circuitRelayTransport(),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      denyDialMultiaddr: (ma) => !isDialAllowed(ma, relayEndpoints),
    },
    connectionManager: { maxConnections: NODE_LIMITS.maxConnections },
    peerDiscovery: [pubsubPeerDiscovery({ interval: NODE_LIMITS.discoveryIntervalMs, topics: [DISCOVERY_TOPIC] })],
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: floodsub(),
    },
  }) as Promise<PeerNode>;
}
