/**
 * Which addresses this browser may dial. Peers' addresses come from gossip, so
 * a hostile peer could point us at any host on the user's network. WebSocket
 * dials therefore go only to configured relays; WebRTC and circuit addresses
 * are reached through those relays and are always allowed. Pure.
 */
import type { Multiaddr } from '@multiformats/multiaddr';
import { webSocketEndpoint } from './net-config.ts';

export function isDialAllowed(ma: Multiaddr, relayEndpoints: ReadonlySet<string>): boolean {
  const endpoint = webSocketEndpoint(ma);
  if (endpoint !== undefined) return relayEndpoints.has(endpoint);
  const names = ma.getComponents().map((c) => c.name);
  return names.includes('p2p-circuit') || names.includes('webrtc');
}
