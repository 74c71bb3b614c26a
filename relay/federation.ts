/**
 * Relays federated with --peer: each keeps a connection to the relays it is
 * configured with and samples the peers reserved there (its own only,
 * RELAY_PEERS_PROTOCOL), so discovery crosses relays, and names them to tabs that
 * ask (`/trustmesh/relays/1.0.0`), so a tab can dial peers reserved at them
 * and move to one of them when its own relay fails.
 */
import type { Libp2p } from 'libp2p';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Connection } from '@libp2p/interface';
import { backoffDelay } from '../src/net/backoff.ts';
import { webSocketEndpoint } from '../src/net/net-config.ts';
import { requestPex } from '../src/net/pex/pex.ts';
import { RELAY_PEERS_PROTOCOL } from '../src/net/protocols.ts';
import { randomSample } from '../src/net/random-sample.ts';

/**
 * How often a relay asks each federated relay which peers it holds: peers
 * stay for minutes, so a sample half a minute old still names mostly live
 * peers, at one small request per relay pair.
 */
export const FEDERATED_SAMPLE_MS = 30_000;

type Log = (message: string) => void;

export interface Federation {
  isRelay(peerId: string): boolean;
  /** The federated relays connected now, each with the WebSocket address we were configured with. */
  connected(): { peerId: string; addrs: Multiaddr[] }[];
  /**
   * Up to `count` peers reserved at federated relays (their last samples), each
   * with its WebRTC address through that relay: a tab's walks then cross relays
   * (sim/discovery: relays that named only their own peers split the network).
   */
  samplePeers(count: number, exclude: string): { peerId: string; addrs: Multiaddr[] }[];
  stop(): void;
}

/** The id a configured address names (/p2p/<id>), if any. */
function idOf(addr: string): string | undefined {
  try {
    return multiaddr(addr).getComponents().findLast((c) => c.name === 'p2p')?.value;
  } catch {
    return undefined; // reported when dialled
  }
}

export function federate(node: Libp2p, peers: readonly string[], log: Log, random: () => number): Federation {
  let stopped = false;
  // From the configured addresses (/p2p/<id>), which covers the relays that dial us, and from each dial.
  const relayIds = new Set(peers.flatMap((addr) => idOf(addr) ?? []));
  /** Configured address → the relay, while our connection to it is open: its id, and the peers it named when last asked. */
  const open = new Map<string, { id: string; conn: Connection; peers: string[] }>();
  const ask = (relay: { conn: Connection; peers: string[] }): void => {
    requestPex(relay.conn, RELAY_PEERS_PROTOCOL).then(
      (learned) => void (relay.peers = learned.map((p) => p.peerId.toString())),
      () => void (relay.peers = []), // asked again at the next round, while the connection lasts
    );
  };
  const sampling = setInterval(() => {
    for (const relay of open.values()) ask(relay);
  }, FEDERATED_SAMPLE_MS);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const keep = (addr: string, attempt: number): void => {
    if (stopped) return;
    node.dial(multiaddr(addr)).then(
      (conn) => {
        log(`federated with ${addr}`);
        const id = conn.remotePeer.toString();
        relayIds.add(id);
        const relay = { id, conn, peers: [] as string[] };
        open.set(addr, relay);
        ask(relay);
        const onClose = (): void => {
          if (conn.status !== 'open') {
            node.removeEventListener('connection:close', onClose);
            open.delete(addr);
            schedule(addr, 0);
          }
        };
        node.addEventListener('connection:close', onClose);
      },
      (err: Error) => {
        log(`cannot reach relay ${addr}: ${err.message}`);
        schedule(addr, attempt + 1);
      },
    );
  };
  const schedule = (addr: string, attempt: number): void => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      keep(addr, attempt);
    }, backoffDelay(attempt, random));
    timers.add(timer);
  };
  for (const addr of peers) keep(addr, 0);
  // The address our operator configured, not what the relay says of itself: identify lists every
  // interface of a relay listening on all of them, private ones too, and tabs may dial what we name.
  const connected = (): { peerId: string; addrs: Multiaddr[]; peers: string[] }[] =>
    [...open].flatMap(([addr, { id, peers }]) => {
      const ma = multiaddr(addr);
      if (webSocketEndpoint(ma) === undefined) return [];
      return [{ peerId: id, addrs: [idOf(addr) === undefined ? ma.encapsulate(`/p2p/${id}`) : ma], peers }];
    });
  return {
    isRelay: (peerId) => relayIds.has(peerId),
    connected,
    samplePeers(count, exclude) {
      const named = connected().flatMap((relay) =>
        relay.peers.filter((p) => p !== exclude && p !== relay.peerId).map((peerId) => ({ peerId, addrs: [relay.addrs[0]!.encapsulate(`/p2p-circuit/webrtc/p2p/${peerId}`)] })));
      return randomSample(named, count, random);
    },
    stop() {
      stopped = true;
      clearInterval(sampling);
      for (const t of timers) clearTimeout(t);
    },
  };
}
