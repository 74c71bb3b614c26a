/**
 * The signaling relay: a libp2p node that browsers reach over WebSockets for
 * bootstrap, circuit-relay-v2 signaling (limited, so peers upgrade to direct
 * WebRTC) and peer exchange (who is here), plus a WebTorrent WebSocket tracker and a
 * /health endpoint on an HTTP port. It never stores or carries user data.
 * What one client may take of it is capped (limits.ts, enforced by the *-guard.ts files).
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { circuitRelayServer, type CircuitRelayService } from '@libp2p/circuit-relay-v2';
// The server alone: the package's index also loads its client, and with it a WebRTC stack (node-datachannel), 10 MB the relay never uses.
import TrackerServer from 'bittorrent-tracker/server';
import type { ComponentLogger, Logger, PrivateKey } from '@libp2p/interface';
import type { WebSocket } from 'ws';
import { PEX_PROTOCOL, RELAY_PEERS_PROTOCOL, RELAYS_PROTOCOL } from '../src/net/protocols.ts';
import { answerPex } from '../src/net/pex/pex.ts';
import { federate } from './federation.ts';
import { isPrivateDeployment, lookUpSelf, relayDatastore, relayDht } from './relay-dht.ts';
import type { RelayConfig } from './config.ts';
import { CONNECTION_SIZING, limitedAddress, noRefusals, RELAY_LIMITS, RELAY_NAMED_RELAYS, type RelayLimits, type Refusals } from './limits.ts';
import { relayPexHandlers } from './relay-pex.ts';
import { libp2pGuard } from './libp2p-guard.ts';
import { trackerGuard } from './tracker-guard.ts';
import { watchLoopDelay, type LoopDelay } from './loop-delay.ts';
import { pingConnection, sweepConnections } from './connection-sweep.ts';

export type Log = (message: string) => void;

/**
 * The tracker's announce interval. bittorrent-tracker tells WebSocket clients a
 * fifth of it, so a browser whose WebRTC offer failed (an ICE failure under
 * load, a peer that left) tries the swarm again within 30 s instead of 2 min.
 */
export const TRACKER_INTERVAL_MS = 150_000;
/** What a WebSocket client is told (bittorrent-tracker's rule: a fifth, in seconds). */
export const WEBSOCKET_ANNOUNCE_INTERVAL_S = TRACKER_INTERVAL_MS / 1000 / 5;

export interface RelayHealth {
  status: 'ok';
  peerId: string;
  uptimeSeconds: number;
  connections: number;
  reservations: number;
  /** Federated relays (--peer) connected now. */
  federated: number;
  tracker: { torrents: number };
  /** What the per-client limits (limits.ts) have refused since start. */
  refused: Refusals;
  /** How long the event loop kept work waiting over the last few seconds (loop-delay.ts). */
  eventLoopDelay: LoopDelay;
  /** Where the relay's memory is (MiB): the JS heap, and buffers outside it. */
  memoryMiB: { rss: number; heapUsed: number; heapTotal: number; external: number };
  listen: string[];
}

export interface Relay {
  node: Libp2p<{ relay: CircuitRelayService }>;
  httpUrl: string;
  health(): RelayHealth;
  stop(): Promise<void>;
}

function listenAddr(host: string, port: number): string {
  const family = host.includes(':') ? 'ip6' : /^[\d.]+$/.test(host) ? 'ip4' : 'dns4';
  return `/${family}/${host}/tcp/${port}/ws`;
}

/**
 * libp2p's default logger makes debug instances for every connection and stream
 * (some 3 KiB each on a relay with a thousand peers), all disabled unless DEBUG
 * is set; without DEBUG the relay's libp2p logs nothing, so it gets none.
 */
const SILENT: Logger = Object.assign(() => undefined, { error: () => undefined, trace: () => undefined, enabled: false, newScope: () => SILENT });
const quietLogger = (): { logger?: ComponentLogger } => (process.env.DEBUG ? {} : { logger: { forComponent: () => SILENT } });

function shortId(id: string): string {
  return id.slice(-8);
}

/** `limits`: where per-client limits differ from RELAY_LIMITS (tests, the load bench). */
/** `now` and `random` are seams for tests (the PEX sample, federation's backoff jitter). */
export async function startRelay(config: RelayConfig, privateKey: PrivateKey, log: Log, now: () => number = Date.now, limits: Partial<RelayLimits> = {}, random: () => number = Math.random): Promise<Relay> {
  const startedAt = now();
  const limitsInForce: RelayLimits = { ...RELAY_LIMITS, ...limits };
  const refusals = noRefusals();
  const p2pGuard = libp2pGuard(limitsInForce, refusals, now, log);
  const privateAddresses = isPrivateDeployment(config.announce.length > 0 ? config.announce : [listenAddr(config.host, config.p2pPort)]);
  const node = await createLibp2p({
    ...quietLogger(),
    privateKey,
    datastore: relayDatastore(),
    addresses: {
      listen: [listenAddr(config.host, config.p2pPort)],
      ...(config.announce.length > 0 ? { announce: config.announce } : {}),
    },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({
      maxInboundStreams: CONNECTION_SIZING.streamsPerConnection,
      maxOutboundStreams: CONNECTION_SIZING.streamsPerConnection,
      streamOptions: {
        maxStreamWindowSize: CONNECTION_SIZING.streamWindowBytes,
        maxReadBufferLength: CONNECTION_SIZING.streamReadBufferBytes,
        maxWriteBufferLength: CONNECTION_SIZING.streamWriteBufferBytes,
      },
    })],
    connectionManager: {
      maxConnections: config.maxConnections,
      inboundConnectionThreshold: CONNECTION_SIZING.inboundConnectionsPerHostPerSecond,
      maxIncomingPendingConnections: CONNECTION_SIZING.maxIncomingPendingConnections,
    },
    // The relay's own sweep pings connections in slices (connection-sweep.ts), not all in one tick.
    connectionMonitor: { enabled: false },
    connectionGater: p2pGuard.gater,
    services: {
      identify: identify(),
      ping: ping({ timeout: CONNECTION_SIZING.inboundPingTimeoutMs }),
      dht: relayDht(privateAddresses),
      relay: circuitRelayServer({
        reservations: {
          maxReservations: config.maxReservations,
          applyDefaultLimit: true,
          defaultDataLimit: BigInt(config.relayDataLimitBytes),
          defaultDurationLimit: config.relayDurationLimitMs,
        },
      }),
    },
  });

  p2pGuard.attach(node);

  const sweep = sweepConnections(() => node.getConnections(), pingConnection, {
    intervalMs: CONNECTION_SIZING.pingIntervalMs,
    tickMs: CONNECTION_SIZING.pingTickMs,
    timeoutMs: CONNECTION_SIZING.pingTimeoutMs,
  });
  await node.services.dht.setMode('server');
  const federation = federate(node, config.peers, log, random, { learnedRelays: limitsInForce.learnedRelays, privateAddresses, lookUpSelf: () => lookUpSelf(node) });

  // Counted as they open and close: getConnections() builds a list of them all, per log line and per /health.
  let connections = node.getConnections().length;
  node.addEventListener('connection:open', () => connections++);
  node.addEventListener('connection:close', () => connections--);
  node.addEventListener('peer:connect', (evt) => log(`peer connected ${shortId(evt.detail.toString())} (${connections} connections)`));
  node.addEventListener('peer:disconnect', (evt) => {
    log(`peer disconnected ${shortId(evt.detail.toString())}`);
    // The relay never dials a browser, and libp2p drops an old record only when it is read again:
    // without this every peer ever seen stayed in memory (a relay's churn is its whole audience).
    if (!federation.isRelay(evt.detail.toString())) void node.peerStore.delete(evt.detail).catch(() => undefined);
  });
  // A tab asks who is here, and dials them while its own reservation is still on the way (relay-pex.ts).
  // Entries for our own peers carry no addresses: a peer named by a relay is reached through that relay.
  const pex = relayPexHandlers({ node, federation, refusals, now, random });
  await node.handle(PEX_PROTOCOL, pex.pex, { maxInboundStreams: 1 });
  await node.handle(RELAY_PEERS_PROTOCOL, pex.ownPeers, { maxInboundStreams: 1 });
  // A tab asks which relays we federate with: it may dial peers reserved at them, and move to one when we fail.
  await node.handle(RELAYS_PROTOCOL, (stream) => answerPex(stream, federation.connected().slice(0, RELAY_NAMED_RELAYS).map((r) => ({ peerId: r.peerId, addrs: r.addrs.map((a) => a.bytes) }))), { maxInboundStreams: 1 });
  node.services.relay.addEventListener('relay:reservation', (evt) => log(`reservation for ${evt.detail.addr.toString()}`));

  const tracker = new TrackerServer({
    interval: TRACKER_INTERVAL_MS, udp: false, http: false, stats: false, trustProxy: false,
    // ws closes a socket whose message is larger (code 1009); its default is 100 MiB.
    ws: { noServer: true, maxPayload: limitsInForce.trackerMaxMessageBytes },
  });
  const trackerLimits = trackerGuard(limitsInForce, refusals, now);
  tracker.on('error', (err: Error) => log(`tracker error: ${err.message}`));
  tracker.on('warning', (err: Error) => log(`tracker warning: ${err.message}`));

  // Kept up to date rather than built per request: /health stays a few counters.
  const loopDelay = watchLoopDelay();
  let listen = node.getMultiaddrs().map((ma) => ma.toString());
  node.addEventListener('self:peer:update', () => (listen = node.getMultiaddrs().map((ma) => ma.toString())));
  const health = (): RelayHealth => ({
    status: 'ok',
    peerId: node.peerId.toString(),
    uptimeSeconds: Math.round((now() - startedAt) / 1000),
    connections,
    reservations: node.services.relay.reservations.size,
    federated: federation.connected().length,
    tracker: { torrents: Object.keys(tracker.torrents as object).length },
    refused: { ...refusals },
    eventLoopDelay: loopDelay.last(),
    memoryMiB: memoryMiB(),
    listen,
  });

  // The tracker's WebSocket server does not track clients; shutdown needs them.
  const trackerSockets = new Set<WebSocket>();
  const http = createServer((req, res) => handleHttp(req, res, health));
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const forwarded = req.headers['x-forwarded-for'];
    const address = limitedAddress(limitsInForce, req.socket.remoteAddress ?? 'unknown', Array.isArray(forwarded) ? forwarded[0] : forwarded);
    if (!trackerLimits.admits(address)) {
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    tracker.ws.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      trackerLimits.guard(ws, address);
      trackerSockets.add(ws);
      ws.once('close', () => trackerSockets.delete(ws));
      tracker.ws.emit('connection', ws, req);
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.httpPort, config.host, () => resolve());
  });
  const address = http.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : config.httpPort;
  const httpUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${httpPort}`;

  return {
    node,
    httpUrl,
    health,
    async stop() {
      federation.stop();
      sweep.stop();
      loopDelay.stop();
      // Upgraded tracker sockets keep the HTTP server open until they end, so end them first.
      for (const ws of trackerSockets) ws.terminate();
      await new Promise<void>((resolve) => tracker.close(() => resolve()));
      await closeHttp(http);
      await node.stop();
    },
  };
}

function memoryMiB(): RelayHealth['memoryMiB'] {
  const m = process.memoryUsage();
  const mib = (bytes: number): number => Math.round(bytes / 104_857.6) / 10;
  return { rss: mib(m.rss), heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external) };
}

function handleHttp(req: IncomingMessage, res: ServerResponse, health: () => RelayHealth): void {
  // The app may show relay health from another origin; nothing here is private.
  res.setHeader('Access-Control-Allow-Origin', '*');
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/health') {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(health()));
    return;
  }
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain');
  res.end('Trustmesh relay: GET /health for status; WebSocket upgrades here reach the WebTorrent tracker.\n');
}

function closeHttp(http: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
}
