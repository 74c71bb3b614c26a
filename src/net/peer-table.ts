/**
 * The peer table the UI shows: one row per remote peer, with how we reach it.
 * Pure: built from plain facts about open connections.
 */

export type Transport = 'webrtc' | 'websocket' | 'relayed';

export interface ConnectionFacts {
  remotePeer: string;
  remoteAddr: string;
  /** Set when a relay limits the connection (circuit relay v2). */
  limited: boolean;
  openedAt: number;
  rttMs?: number | undefined;
}

export interface PeerRow {
  peerId: string;
  /** Relays are infrastructure, peers are other browsers. */
  role: 'relay' | 'peer';
  /** The best transport we have to this peer. */
  transport: Transport;
  connections: number;
  rttMs?: number | undefined;
  since: number;
}

/** Preference order: a direct WebRTC link beats a relay's WebSocket, which beats a relayed circuit. */
const RANK: Record<Transport, number> = { webrtc: 0, websocket: 1, relayed: 2 };

export function classifyConnection(c: Pick<ConnectionFacts, 'remoteAddr' | 'limited'>): Transport {
  const parts = c.remoteAddr.split('/');
  if (parts.includes('webrtc') && !c.limited) return 'webrtc';
  if (parts.includes('p2p-circuit') || c.limited) return 'relayed';
  return 'websocket';
}

export function buildPeerTable(
  connections: readonly ConnectionFacts[],
  relayPeers: ReadonlySet<string>,
  measuredRtt: ReadonlyMap<string, number>,
): PeerRow[] {
  const rows = new Map<string, PeerRow>();
  for (const c of connections) {
    const transport = classifyConnection(c);
    const existing = rows.get(c.remotePeer);
    if (existing === undefined) {
      rows.set(c.remotePeer, {
        peerId: c.remotePeer,
        // A tab reaches only relays over WebSockets (dial-gater.ts), so one is a relay before identify names it.
        role: relayPeers.has(c.remotePeer) || transport === 'websocket' ? 'relay' : 'peer',
        transport,
        connections: 1,
        rttMs: measuredRtt.get(c.remotePeer) ?? c.rttMs,
        since: c.openedAt,
      });
      continue;
    }
    existing.connections += 1;
    if (transport === 'websocket') existing.role = 'relay';
    // The row's RTT is that of the link it shows, not of whichever connection came first.
    const better = RANK[transport] < RANK[existing.transport];
    if (better || (transport === existing.transport && existing.rttMs === undefined)) existing.rttMs = measuredRtt.get(c.remotePeer) ?? c.rttMs;
    if (better) existing.transport = transport;
    existing.since = Math.min(existing.since, c.openedAt);
  }
  return [...rows.values()].sort((a, b) =>
    a.role !== b.role ? (a.role === 'relay' ? -1 : 1) : RANK[a.transport] - RANK[b.transport] || a.since - b.since || a.peerId.localeCompare(b.peerId));
}
