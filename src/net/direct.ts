/** Direct WebRTC links between browsers (not relayed, not to the relay), and who is at their other end. */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
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

/** Newest first: after the other tab reloads, its old connection lingers until WebRTC notices it is dead. */
export function directConnectionsTo(node: Pick<Libp2p, 'getConnections'>, peerId: string): Connection[] {
  return node
    .getConnections()
    .filter((x) => x.remotePeer.toString() === peerId && isDirectConnection(x))
    .sort((a, b) => b.timeline.open - a.timeline.open);
}

export class NoDirectStreamError extends Error {
  override name = 'NoDirectStreamError';
}

/**
 * A stream to a peer over whichever of its direct `connections` opens one first, within `signal`.
 * Two tabs that dialed each other at once hold two connections, and one the far end gave up on, or
 * a reload left behind, can hang a new stream until liveness cuts it: asked one after the other, it
 * would spend the whole time, so all are asked at once and the streams that lose are dropped.
 * `onUnusable` hears of each connection that refused (not of one cut short by `signal`).
 */
export async function openDirectStream<C extends Pick<Connection, 'newStream'>>(connections: readonly C[], protocol: string, signal: AbortSignal, onUnusable?: (c: C) => void): Promise<Stream> {
  if (connections.length === 0) throw new NoDirectStreamError('no direct connection');
  const reasons: string[] = [];
  let taken = false;
  const attempts = connections.map(async (c) => {
    let stream: Stream;
    try {
      stream = await c.newStream(protocol, { signal });
    } catch (err) {
      reasons.push(errorText(err));
      if (!signal.aborted) onUnusable?.(c);
      throw err;
    }
    if (taken) {
      stream.abort(new Error('another connection opened the stream first'));
      throw new Error('not needed');
    }
    taken = true;
    return stream;
  });
  try {
    return await Promise.any(attempts);
  } catch {
    throw new NoDirectStreamError(reasons.join('; '));
  }
}

/** A thrown value as text: WebRTC can reject with events and other objects that carry no message. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? `${type} event` : String(err);
}
