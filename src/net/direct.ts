/** Direct WebRTC links between browsers (not relayed, not to the relay), and who is at their other end. */
import type { Connection, PeerId } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { classifyConnection } from './peer-table.ts';

/** A peer by its libp2p id and its Ed25519 key (the same key owns its chain). */
export interface KeyedPeer {
  id: string;
  publicKey: Uint8Array;
}

export function isDirectConnection(c: Connection): boolean {
  return c.status === 'open' && classifyConnection({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null }) === 'webrtc';
}

/** The peer behind a libp2p id, if the id carries an Ed25519 key. */
export function keyedPeer(id: PeerId): KeyedPeer | undefined {
  const raw = id.publicKey?.raw;
  return raw === undefined || raw.length !== 32 ? undefined : { id: id.toString(), publicKey: raw };
}

/** Every Ed25519 peer we hold a direct connection to, once each. */
export function directPeers(node: Libp2p): KeyedPeer[] {
  const seen = new Map<string, KeyedPeer>();
  for (const c of node.getConnections()) {
    if (!isDirectConnection(c)) continue;
    const p = keyedPeer(c.remotePeer);
    if (p !== undefined) seen.set(p.id, p);
  }
  return [...seen.values()];
}
