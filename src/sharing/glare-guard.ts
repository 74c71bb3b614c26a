/**
 * Browser glue for glare.ts: WebTorrent's duplicate check runs in a private
 * method, before any event the app could act on, so each torrent's
 * `_addPeer` is wrapped: on a duplicate WebRTC peer while the registered one
 * has no wire yet, the tie-break decides which connection stays.
 */
import { glareKeeps } from './glare.ts';

interface WebRtcConn {
  id?: unknown;
  initiator?: unknown;
}

interface TorrentInternals {
  _addPeer(peer: unknown, type: unknown, source: unknown): unknown;
  _peers: Map<string, { conn?: WebRtcConn; wire?: unknown }>;
  removePeer(id: string): void;
}

export function breakGlare(torrent: object, myPeerId: () => string): void {
  const t = torrent as TorrentInternals;
  if (typeof t._addPeer !== 'function' || !(t._peers instanceof Map)) return; // another WebTorrent: leave it as it is
  const add = t._addPeer.bind(t);
  t._addPeer = (peer, type, source) => {
    const conn = peer as WebRtcConn | null;
    if (typeof conn === 'object' && conn !== null && typeof conn.id === 'string' && typeof conn.initiator === 'boolean') {
      const existing = t._peers.get(conn.id);
      const initiated = existing?.conn?.initiator;
      if (existing !== undefined && existing.wire == null && typeof initiated === 'boolean' && glareKeeps(myPeerId(), conn.id, initiated, conn.initiator) === 'new') t.removePeer(conn.id);
    }
    return add(peer, type, source);
  };
}
