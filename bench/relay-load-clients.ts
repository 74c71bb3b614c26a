/** Node clients of the relay load bench (bench/relay-load.ts): tab-like libp2p nodes and tracker sockets. */
import WebSocket from 'ws';
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import type { Multiaddr } from '@multiformats/multiaddr';
import { LIVENESS } from '../src/net/liveness.ts';
import { requestPex } from '../src/net/pex/pex.ts';

/** As the app pings its relay (liveness.ts); it pings peer tabs more often, and these clients have none. */
const PING_INTERVAL_MS = LIVENESS.relayPingIntervalMs;
/**
 * The clients still ping as a tab does, but do not drop their relay connection
 * when a ping times out: hundreds of clients in this one process keep its core
 * busy, so their own pings time out (measured: all such aborts were
 * client-side, none by the relay), and each abort lost a reservation.
 */
const ABORT_ON_PING_FAILURE = false;
/** Start attempts before a client gives up. */
const START_ATTEMPTS = 30;

export type Client = Libp2p;

/** Connection attempts the relay turned away, over all clients of this process. */
export let turnedAway = 0;

async function libp2pClient(relay: Multiaddr, reachable: boolean): Promise<Client> {
  const node = await createLibp2p({
    ...(reachable ? { addresses: { listen: [`${relay.toString()}/p2p-circuit`] } } : {}),
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { pingInterval: PING_INTERVAL_MS, abortConnectionOnPingFailure: ABORT_ON_PING_FAILURE },
    services: { identify: identify() },
  });
  if (!reachable) await node.dial(relay);
  return node;
}

/**
 * A client connected to the relay (`reachable`: with a reservation on it), trying
 * again a second later when the relay turns the connection away, as a tab's
 * backoff would: libp2p takes at most 5 new connections a second per host, and
 * every client here is on 127.0.0.1.
 */
export async function startClient(relay: Multiaddr, reachable: boolean): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await libp2pClient(relay, reachable);
    } catch (err) {
      if (attempt >= START_ATTEMPTS) throw err;
      turnedAway++;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/**
 * A circuit address, and a connection still open to carry it: a client keeps its circuit
 * address for a while after the relay closed the connection under it.
 */
export const hasReservation = (node: Libp2p): boolean =>
  node.getMultiaddrs().some((ma) => ma.toString().includes('/p2p-circuit')) && node.getConnections().some((c) => c.status === 'open' && c.limits === undefined);

export function trackerSocket(httpUrl: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(httpUrl.replace(/^http/, 'ws'), { headers });
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export const infoHash = (n: number): string => `swarm-${n}`.padEnd(20, '.');
export const trackerPeerId = (n: number): string => `peer-${n}`.padEnd(20, '.');

/**
 * The relay step of a tab's walk (src/net/walk.ts): asks the relay at `relay` who is there, over the
 * client's open connection to it. The peers named, or undefined when the relay refused or the
 * connection is gone.
 */
export async function askRelay(node: Libp2p, relay: Multiaddr): Promise<string[] | undefined> {
  const relayId = relay.getComponents().findLast((c) => c.name === 'p2p')?.value;
  const conn = node.getConnections().find((c) => c.status === 'open' && c.limits === undefined && c.remotePeer.toString() === relayId);
  if (conn === undefined) return undefined;
  try {
    return (await requestPex(conn)).map((p) => p.peerId.toString());
  } catch {
    return undefined;
  }
}
