/**
 * The first-peer bench's baseline page: a bare libp2p node with the app's transports, encryption and muxer
 * (src/net/node.ts, without its GossipSub) and nothing else: no identity, storage, UI or services. Opened with `?relay=<multiaddr>`
 * it only reserves at the relay and, once reserved, publishes its WebRTC address as `__floorAddr`; with
 * `&dial=<webrtc address>` as well, it dials that address and marks `floor:first-direct-peer` when the
 * direct connection opens. Told the address up front, it skips the app's peer exchange: a floor, not a rival.
 */
import { createLibp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { webRTC } from '@libp2p/webrtc';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { multiaddr } from '@multiformats/multiaddr';
import { noiseCrypto } from '../../src/net/noise-crypto.ts';
import { classifyConnection } from '../../src/net/peer-table.ts';
import { isWebRtcCircuitAddr } from '../../src/net/peer-dialer.ts';
import { FLOOR_MARK } from './floor-mark.ts';

performance.mark('floor:script');
const params = new URLSearchParams(location.search);
const relay = params.get('relay');
const target = params.get('dial');
if (relay === null) throw new Error('floor page needs ?relay=<multiaddr>');

const node = await createLibp2p({
  addresses: { listen: ['/p2p-circuit', '/webrtc'] },
  transports: [webSockets(), webRTC(), circuitRelayTransport()],
  connectionEncrypters: [noise({ crypto: noiseCrypto })],
  streamMuxers: [yamux()],
  // Loopback WebSockets: libp2p's gater refuses private addresses by default.
  connectionGater: { denyDialMultiaddr: () => false },
  services: { identify: identify() },
});
// The app's own test of a direct connection (its `first-direct-peer` mark uses it too).
node.addEventListener('connection:open', ({ detail: c }) => {
  const kind = classifyConnection({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null });
  if (kind === 'webrtc') performance.mark(FLOOR_MARK);
  else if (performance.getEntriesByName('floor:' + kind).length === 0) performance.mark('floor:' + kind);
});
performance.mark('floor:node-started');
if (target === null) {
  node.addEventListener('self:peer:update', () => {
    const addr = node.getMultiaddrs().find(isWebRtcCircuitAddr);
    if (addr !== undefined) (globalThis as Record<string, unknown>).__floorAddr = addr.toString();
  });
  await node.dial(multiaddr(relay));
} else {
  await node.dial(multiaddr(target));
}
