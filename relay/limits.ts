/**
 * What one client may take from the signaling relay, and the counters that
 * enforce it. Pure: no sockets, time passed in.
 *
 * "Address" is the IP the relay sees. Behind a reverse proxy on the same host
 * (the README's TLS set-up) every client has the proxy's address; see
 * `loopbackIsProxy`.
 */

export interface Window {
  count: number;
  windowMs: number;
}

export interface RelayLimits {
  /**
   * Clients on the loopback interface are taken to come through a local reverse
   * proxy, whose clients all share its address: they are not held to per-address
   * limits (the per-peer and per-socket ones still apply), and the tracker reads
   * their address from X-Forwarded-For when the proxy sets it.
   */
  loopbackIsProxy: boolean;
  /** Open libp2p connections from one IP: a tab holds one; a household or office NAT a few dozen. */
  connectionsPerAddress: number;
  /**
   * New libp2p connections from one IP (each costs a Noise handshake): a tab opens one, and
   * another after a drop, with backoff; a NAT's tabs reconnecting together after an outage.
   * It replaces libp2p's own per-host limit, which cannot tell a proxy's clients apart.
   */
  connectionAttemptsPerAddress: Window;
  /** Reservations held from one IP, so one host cannot take the relay's `maxReservations` with fresh keys. */
  reservationsPerAddress: number;
  /** Reservation requests per peer: a browser reserves once per connection (refresh after ~2 h); each costs a signature. */
  reserveRequestsPerPeer: Window;
  /**
   * Relayed connections one peer is part of at once (either end). The app dials at
   * most 32 direct peers (DIAL_POLICY.maxDirectPeers), each signaled over one
   * relayed connection that lives at most `relayDurationLimitMs`.
   */
  relayedConnectionsPerPeer: number;
  /**
   * Bytes one peer may send into relayed connections per window. A set-up costs
   * each end some 10-20 KiB (SDP and ICE candidates, identify, a ping every 5 s
   * while the relayed connection lives), so this is 100 or more set-ups in 10
   * minutes, for a tab dialing its 32 peers or being dialed by newcomers; a
   * tunnel chained from one 128 KiB connection to the next gets 3.5 KB/s.
   */
  relayedBytesPerPeer: { bytes: number; windowMs: number };
  /** One tracker WebSocket message: 5 offers (the WebTorrent client's most) of a few KiB SDP each, with room. */
  trackerMaxMessageBytes: number;
  /** Tracker sockets from one IP: the WebTorrent client keeps one per tracker per tab. */
  trackerSocketsPerAddress: number;
  /**
   * Tracker sockets in all, from every address (loopback ones too): as maxConnections
   * (config.ts) bounds libp2p connections, this bounds what the tracker holds (a tab keeps one).
   */
  trackerSockets: number;
  /** Swarms one tracker socket is in (one per torrent the tab has). */
  trackerSwarmsPerSocket: number;
  /** Swarms all tracker sockets of one IP are in together. */
  trackerSwarmsPerAddress: number;
  /** Offers in one announce: each is forwarded to a different peer, so this bounds amplification (the client sends 5). */
  trackerOffersPerAnnounce: number;
  /**
   * Tracker requests (announces, answers, scrapes) per socket: each swarm announces
   * every 30 s and answers the offers it gets; 10 a second on average is far beyond that.
   */
  trackerRequestsPerSocket: Window;
  /** Tracker requests from one IP together. */
  trackerRequestsPerAddress: Window;
  /**
   * Requests a tracker socket may send past its share in one window before it is closed: each costs the
   * relay a parse and a reply (one socket sending 18,000 a second held a relay's event loop 260 ms at p95),
   * and an honest client, announcing each torrent every 30 s, never reaches its share.
   */
  trackerRefusalsBeforeCut: number;
  /** Tracker sockets one IP may open per window: a socket closed for flooding would otherwise come back at once. A tab opens one per tracker as it loads. */
  trackerSocketOpensPerAddress: Window;
  /**
   * Relays found through the relays' DHT that we federate with, beside those configured with --peer:
   * each costs a connection and a sample every 30 s, and a few give every relay paths to the rest.
   */
  learnedRelays: number;
}

const MINUTE = 60_000;

export const RELAY_LIMITS: RelayLimits = {
  loopbackIsProxy: true,
  connectionsPerAddress: 64,
  connectionAttemptsPerAddress: { count: 10, windowMs: 1_000 },
  reservationsPerAddress: 32,
  reserveRequestsPerPeer: { count: 8, windowMs: 10 * MINUTE },
  relayedConnectionsPerPeer: 40,
  relayedBytesPerPeer: { bytes: 2 * 1024 * 1024, windowMs: 10 * MINUTE },
  trackerMaxMessageBytes: 64 * 1024,
  trackerSocketsPerAddress: 64,
  trackerSockets: 2_048,
  trackerSwarmsPerSocket: 128,
  trackerSwarmsPerAddress: 512,
  trackerOffersPerAnnounce: 10,
  trackerRequestsPerSocket: { count: 300, windowMs: 30_000 },
  trackerRequestsPerAddress: { count: 3_000, windowMs: 30_000 },
  trackerRefusalsBeforeCut: 32,
  trackerSocketOpensPerAddress: { count: 10, windowMs: 1_000 },
  learnedRelays: 8,
};

/**
 * What one libp2p connection may make the relay hold, whoever it is from, so
 * the relay's memory is bounded by its connection count (maxConnections,
 * config.ts). The relay carries signaling, never bulk data.
 */
export const CONNECTION_SIZING = {
  /**
   * Streams open at once each way on one connection: identify, ping, PEX, and
   * a hop or stop stream per relayed connection (relayedConnectionsPerPeer, 40).
   */
  streamsPerConnection: 64,
  /**
   * A stream's yamux window does not grow past its initial 256 KiB (the least yamux
   * allows): its default growth to 16 MiB is for bulk transfers.
   */
  streamWindowBytes: 256 * 1024,
  /**
   * Bytes received on a stream and not yet read (yamux's default is 4 MiB); one
   * window's worth: every protocol here reads as it receives.
   */
  streamReadBufferBytes: 256 * 1024,
  /**
   * Bytes queued for a peer that does not read (a PEX asker that stopped reading,
   * the far end of a relayed connection); yamux's default is unbounded. The stream is
   * cut, not the relay's memory.
   */
  streamWriteBufferBytes: 256 * 1024,
  /**
   * How often the relay pings each connection to find dead ones (libp2p's default 10 s).
   * Browsers ping the relay every 5 s themselves; the relay's pings only free what a
   * vanished peer held, and each is a new stream (spread over the interval: connection-sweep.ts).
   */
  pingIntervalMs: 30_000,
  /** The relay's pings go out in slices this often, not all at once (connection-sweep.ts). */
  pingTickMs: 1_000,
  /**
   * A ping unanswered this long closes its connection. Generous: a live browser tab may be
   * busy or throttled in the background; a vanished peer is freed within interval + timeout.
   */
  pingTimeoutMs: 20_000,
  /**
   * How long a peer's own ping exchange may take (libp2p's default 10 s). Its stream stays in
   * memory until then even once closed (the timeout signal holds it), two per connection at
   * the app's 5 s ping; a browser gives up on a ping after 5 s itself.
   */
  inboundPingTimeoutMs: 5_000,
  /**
   * New connections a second from one host, as libp2p counts them (its default is 5): behind
   * the README's proxy every client shares one host, and 5 a second let one reconnecting
   * client turn newcomers away. This bounds handshakes through a proxy; per client IP the
   * relay's own `connectionAttemptsPerAddress` applies.
   */
  inboundConnectionsPerHostPerSecond: 100,
  /** Connections mid-handshake at once (libp2p's default 10): at the rate above, under load, 10 were often all in use. */
  maxIncomingPendingConnections: 128,
} as const;

export const RELAY_PEX = {
  /**
   * Peers named to a tab that asks who is here: enough for a first few direct peers before the tab's
   * own reservation, few enough that the answer stays one small frame and nobody learns the relay's
   * whole audience from one request.
   */
  peers: 8,
  /**
   * Answers per connection: a tab asks on connecting, when its reservation lands, and every 10 s while
   * it is short of neighbours (peer-service.ts), so 4 per 20 s; a connection that asks faster is refused.
   */
  answersPerConnection: { count: 4, windowMs: 20_000 },
  /** How stale the list of reserved peers an answer samples may be: rebuilding it walks every reservation. */
  listAgeMs: 1_000,
} as const;

/** Federated relays named to a tab that asks: what a tab can fall back to (net-config's MAX_RELAYS is 8 in all). */
export const RELAY_NAMED_RELAYS = 4;

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/**
 * The address per-address limits count for a client seen at `seen` (with the
 * proxy's X-Forwarded-For, if any), or undefined when they do not apply.
 */
export function limitedAddress(limits: RelayLimits, seen: string, forwardedFor?: string): string | undefined {
  if (!limits.loopbackIsProxy || !isLoopback(seen)) return seen;
  const client = forwardedFor?.split(',')[0]?.trim();
  return client === undefined || client === '' || isLoopback(client) ? undefined : client;
}

/** What the limits have refused so far, by kind (in /health, so an operator sees an attack). */
export interface Refusals {
  connections: number;
  reservations: number;
  relayedConnections: number;
  relayedStreamsCut: number;
  trackerRequests: number;
  trackerSockets: number;
  /** Tracker sockets closed for sending past their refused share. */
  trackerSocketsCut: number;
  /** PEX requests over a connection's share. */
  pexAnswers: number;
}

export function noRefusals(): Refusals {
  return { connections: 0, reservations: 0, relayedConnections: 0, relayedStreamsCut: 0, trackerRequests: 0, trackerSockets: 0, trackerSocketsCut: 0, pexAnswers: 0 };
}

/** Keys tracked before stale windows are swept, so a stream of fresh keys costs bounded memory. */
const SWEEP_AT_KEYS = 4_096;

/**
 * Counts per key in fixed windows. `take` adds `amount` and says whether the key
 * is still within its limit; once over, it stays refused until its window ends.
 */
export class WindowCounter<K> {
  private readonly windows = new Map<K, { startedAt: number; used: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  take(key: K, amount = 1): boolean {
    const w = this.current(key);
    w.used += amount;
    return w.used <= this.limit;
  }

  /** Whether `key` is over its limit now, without counting anything. */
  exhausted(key: K): boolean {
    const w = this.windows.get(key);
    return w !== undefined && this.now() - w.startedAt < this.windowMs && w.used >= this.limit;
  }

  get size(): number {
    return this.windows.size;
  }

  private current(key: K): { startedAt: number; used: number } {
    const t = this.now();
    let w = this.windows.get(key);
    if (w === undefined || t - w.startedAt >= this.windowMs) {
      if (w === undefined && this.windows.size >= SWEEP_AT_KEYS) this.sweep(t);
      w = { startedAt: t, used: 0 };
      this.windows.set(key, w);
    }
    return w;
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (t - w.startedAt >= this.windowMs) this.windows.delete(k);
  }
}

/** Live counts per key (connections per address, relayed connections per peer); empty keys are dropped. */
export class Tally<K> {
  private readonly counts = new Map<K, number>();

  get(key: K): number {
    return this.counts.get(key) ?? 0;
  }

  add(key: K, n = 1): void {
    const next = this.get(key) + n;
    if (next <= 0) this.counts.delete(key);
    else this.counts.set(key, next);
  }

  get size(): number {
    return this.counts.size;
  }
}
