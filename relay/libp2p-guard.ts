/**
 * Glue: the relay's libp2p limits that circuit-relay-v2 does not have itself.
 * A connection gater caps connections (open, and new ones a second) and reservations per address and
 * reservation requests per peer, and refuses relayed connections to a peer that
 * has used its share; a reservation ends when its peer disconnects (the library
 * keeps it for its whole TTL, two hours); bytes each peer sends through relayed
 * connections are counted, and its streams are cut once it is over its share.
 */
import type { ConnectionGater, Libp2p, PeerId, Stream } from '@libp2p/interface';
import { RELAY_V2_HOP_CODEC, type CircuitRelayService } from '@libp2p/circuit-relay-v2';
import type { Multiaddr } from '@multiformats/multiaddr';
import { limitedAddress, Tally, WindowCounter, type RelayLimits, type Refusals } from './limits.ts';
import type { Log } from './relay.ts';

/** A refusal of one kind is logged at most this often, so an attacker cannot fill the log; /health counts them all. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export class RelayedLimitError extends Error {
  override name = 'RelayedLimitError';
}

/** The IP in a multiaddr, or the whole address when it has none. */
export function addressOf(ma: Multiaddr): string {
  const ip = ma.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6');
  return ip?.value ?? ma.toString();
}

/**
 * The parts of the circuit-relay-v2 server (4.2.x) wrapped here: both are public
 * methods in its typings; relay/limits.test.ts fails if they stop being called.
 */
interface HopServer {
  handleConnect(opts: { connection: { remotePeer: PeerId; streams: Stream[] } }, options: unknown): Promise<void>;
  stopHop(opts: { connection: { remotePeer: PeerId } }, options: unknown): Promise<Stream | undefined>;
}

export interface Libp2pGuard {
  gater: ConnectionGater;
  /** Hooks into the node once it exists (the gater is needed to create it). */
  attach(node: Libp2p<{ relay: CircuitRelayService }>): void;
}

export function libp2pGuard(limits: RelayLimits, refusals: Refusals, now: () => number, log: Log): Libp2pGuard {
  let node: Libp2p<{ relay: CircuitRelayService }> | undefined;
  const connectionsPerAddress = new Tally<string>();
  const connectionAttempts = new WindowCounter<string>(limits.connectionAttemptsPerAddress.count, limits.connectionAttemptsPerAddress.windowMs, now);
  const reserveRequests = new WindowCounter<string>(limits.reserveRequestsPerPeer.count, limits.reserveRequestsPerPeer.windowMs, now);
  const relayedBytes = new WindowCounter<string>(limits.relayedBytesPerPeer.bytes, limits.relayedBytesPerPeer.windowMs, now);
  const relayedOpen = new Tally<string>();
  const lastLogged = new Map<string, number>();
  const logRefusal = (kind: string, message: string): void => {
    const t = now();
    if (t - (lastLogged.get(kind) ?? -Infinity) < REFUSAL_LOG_INTERVAL_MS) return;
    lastLogged.set(kind, t);
    log(message);
  };

  /** The key for per-address limits, or undefined when they do not apply (see RelayLimits.loopbackIsProxy). */
  const limited = (ma: Multiaddr): string | undefined => limitedAddress(limits, addressOf(ma));

  const gater: ConnectionGater = {
    denyInboundConnection: (maConn) => {
      const address = limited(maConn.remoteAddr);
      if (address === undefined) return false;
      const deny = !connectionAttempts.take(address) || connectionsPerAddress.get(address) >= limits.connectionsPerAddress;
      if (deny) refusals.connections++;
      return deny;
    },
    denyInboundRelayReservation: (peer) => {
      const relay = node?.services.relay;
      if (relay === undefined) return true;
      if (!reserveRequests.take(peer.toString())) {
        refusals.reservations++;
        logRefusal('reserve-rate', `reservation refused for ${peer.toString().slice(-8)}: too many requests`);
        return true;
      }
      if (relay.reservations.has(peer)) return false; // a refresh takes no new place
      const conn = node?.getConnections(peer)[0];
      const address = conn === undefined ? undefined : limited(conn.remoteAddr);
      if (address === undefined) return false;
      let held = 0;
      for (const r of relay.reservations.values()) if (limited(r.addr) === address) held++;
      if (held >= limits.reservationsPerAddress) {
        refusals.reservations++;
        logRefusal('reserve-address', `reservation refused for ${peer.toString().slice(-8)}: ${held} reservations from ${address}`);
        return true;
      }
      return false;
    },
    denyOutboundRelayedConnection: (source, destination) => {
      // The source's own hop stream is already counted (tracked as it arrives).
      const deny =
        relayedOpen.get(source.toString()) > limits.relayedConnectionsPerPeer ||
        relayedOpen.get(destination.toString()) >= limits.relayedConnectionsPerPeer ||
        relayedBytes.exhausted(source.toString()) ||
        relayedBytes.exhausted(destination.toString());
      if (deny) refusals.relayedConnections++;
      if (deny) logRefusal('relayed', `relayed connection refused: ${source.toString().slice(-8)} -> ${destination.toString().slice(-8)} is over its share`);
      return deny;
    },
  };

  const tracked = new WeakSet<Stream>();
  /** Counts one end of a relayed connection: open while the stream lives, and the bytes its peer sends. */
  const track = (stream: Stream, peer: PeerId): void => {
    if (tracked.has(stream)) return;
    tracked.add(stream);
    const key = peer.toString();
    relayedOpen.add(key);
    stream.addEventListener('close', () => relayedOpen.add(key, -1), { once: true });
    stream.addEventListener('message', (evt) => {
      if (!relayedBytes.take(key, evt.data.byteLength)) {
        refusals.relayedStreamsCut++;
        stream.abort(new RelayedLimitError(`${key.slice(-8)} sent more than ${limits.relayedBytesPerPeer.bytes} bytes through relayed connections in ${limits.relayedBytesPerPeer.windowMs} ms`));
      }
    });
  };

  return {
    gater,
    attach(n) {
      node = n;
      const count = (ma: Multiaddr, n: number): void => {
        const address = limited(ma);
        if (address !== undefined) connectionsPerAddress.add(address, n);
      };
      n.addEventListener('connection:open', (evt) => {
        if (evt.detail.direction === 'inbound') count(evt.detail.remoteAddr, 1);
      });
      n.addEventListener('connection:close', (evt) => {
        if (evt.detail.direction === 'inbound') count(evt.detail.remoteAddr, -1);
      });
      // A reservation is for a peer we can reach; once it has no connection, end it
      // through the library's own expiry path (which also cuts its relayed connections).
      n.addEventListener('peer:disconnect', (evt) => n.services.relay.reservations.get(evt.detail)?.signal.reset(0));

      const server = n.services.relay as unknown as HopServer;
      const handleConnect = server.handleConnect.bind(server);
      const stopHop = server.stopHop.bind(server);
      server.handleConnect = (opts, options) => {
        // The hop stream is wrapped in a protobuf reader the library unwraps itself,
        // so it is taken from the connection: every hop stream of the source counts
        // (a reservation's too, for the moment it is open).
        for (const stream of opts.connection.streams) {
          if (stream.protocol === RELAY_V2_HOP_CODEC) track(stream, opts.connection.remotePeer);
        }
        return handleConnect(opts, options);
      };
      server.stopHop = async (opts, options) => {
        const stream = await stopHop(opts, options);
        if (stream !== undefined) track(stream, opts.connection.remotePeer);
        return stream;
      };
    },
  };
}
