/**
 * Where a tab's start-up time goes: User Timing marks (`performance.mark`) at each step from the
 * page's script to the first direct peer, readable in the browser's performance panel and by the
 * foundation bench (`bench/foundation.ts`). Marks carry no data, only a step's name and its time.
 */
import type { Connection, Libp2p } from '@libp2p/interface';
import { classifyConnection } from '../net/peer-table.ts';
import { isWebRtcCircuitAddr } from '../net/peer-dialer.ts';
import type { PeerSnapshot } from '../net/peer-service.ts';

/** The marks' common prefix; the bench reads marks by it. */
export const STARTUP_MARK_PREFIX = 'trustmesh:';

export type StartupStep =
  | 'lock'
  | 'identity'
  | 'runtime-loaded'
  | 'node-started'
  | 'relay-connected'
  | 'relay-reserved'
  | 'first-peer-known'
  | 'first-signaling-circuit'
  | 'first-direct-peer'
  | 'ledger-started'
  | 'sharing-started'
  | 'circuits-started'
  | 'discovery-started'
  | 'running';

/** Records a step once per page: the first time counts. */
export function markStartup(step: StartupStep): void {
  if (typeof performance === 'undefined' || performance.getEntriesByName(STARTUP_MARK_PREFIX + step, 'mark').length > 0) return;
  performance.mark(STARTUP_MARK_PREFIX + step);
}

/**
 * Marks the network's steps to a first direct peer when they happen: the relay's connection (a tab reaches
 * only relays over WebSockets), its reservation, the first peer learnt of (by peer exchange, as a pending
 * dial in the snapshot), the first relayed connection (a WebRTC dial signals over one), and the first
 * direct WebRTC connection.
 */
export function markNetworkSteps(node: Libp2p, peers: { subscribe(listener: (s: PeerSnapshot) => void): () => void }): void {
  const onConnection = (evt: CustomEvent<Connection>): void => {
    const c = evt.detail;
    const transport = classifyConnection({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null });
    if (transport === 'websocket') markStartup('relay-connected');
    if (transport === 'relayed') markStartup('first-signaling-circuit');
    if (transport !== 'webrtc') return;
    markStartup('first-direct-peer');
    node.removeEventListener('connection:open', onConnection);
  };
  let known = false;
  const stopWatching = peers.subscribe((s) => {
    if (known || (s.pending.length === 0 && !s.peers.some((p) => p.role === 'peer'))) return;
    known = true;
    markStartup('first-peer-known');
    queueMicrotask(() => stopWatching());
  });
  // The address peers dial us at, the same test the announcer's gate uses.
  const onListening = (): void => {
    if (!node.getMultiaddrs().some(isWebRtcCircuitAddr)) return;
    markStartup('relay-reserved');
    node.removeEventListener('transport:listening', onListening);
  };
  node.addEventListener('connection:open', onConnection);
  node.addEventListener('transport:listening', onListening);
  onListening();
}
