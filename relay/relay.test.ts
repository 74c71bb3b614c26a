/**
 * The relay on real sockets (127.0.0.1, port 0 for both listeners): health,
 * 404s, the WebTorrent tracker, and survival of garbage on every listener
 * (and from a peer relay it dials), after which a libp2p client can still
 * dial and ping it.
 * Every wait is on an event (open, message, pong, close), never a sleep.
 */
import { createHash } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { ping, type Ping } from '@libp2p/ping';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { RELAY_DEFAULTS } from './config.ts';
import { noRefusals } from './limits.ts';
import { startRelay, WEBSOCKET_ANNOUNCE_INTERVAL_S, type Relay, type RelayHealth } from './relay.ts';
import { seededBytes } from '../src/codec/seeded-bytes.ts';
import { until } from '../src/testing/until.ts';

let relay: Relay;
const logs: string[] = [];
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  relay = await startRelay(
    { ...RELAY_DEFAULTS, host: '127.0.0.1', p2pPort: 0, httpPort: 0, announce: [], peers: [] },
    await generateKeyPair('Ed25519'),
    (m) => logs.push(m),
  );
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await relay?.stop();
});

// ---- helpers ----

const p2pPort = (): number => Number(relay.node.getMultiaddrs()[0]!.getComponents().find((c) => c.name === 'tcp')!.value);
const httpPort = (): number => Number(new URL(relay.httpUrl).port);
const trackerUrl = (): string => relay.httpUrl.replace(/^http/, 'ws');

async function health(): Promise<RelayHealth> {
  const res = await fetch(`${relay.httpUrl}/health`);
  expect(res.status).toBe(200);
  return (await res.json()) as RelayHealth;
}

/** Deterministic pseudo-random bytes, so a failure can be replayed. */
function randomBytes(seed: number): (n: number) => Buffer {
  const next = seededBytes(seed);
  return (n) => Buffer.from(next(n));
}

async function openWebSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** Resolves with the next message as JSON. */
function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData): void => {
      ws.off('close', onClose);
      resolve(JSON.parse(String(data)) as Record<string, unknown>);
    };
    const onClose = (): void => {
      ws.off('message', onMessage);
      reject(new Error('closed before answering'));
    };
    ws.once('message', onMessage);
    ws.once('close', onClose);
  });
}

/**
 * Waits until the server has dealt with everything sent so far: frames are
 * handled in order, so a pong means all earlier frames were read. Resolves
 * 'closed' if the server hung up instead.
 */
function settle(ws: WebSocket): Promise<'alive' | 'closed'> {
  if (ws.readyState !== WebSocket.OPEN) return Promise.resolve('closed');
  return new Promise((resolve) => {
    const done = (outcome: 'alive' | 'closed') => (): void => {
      ws.off('pong', onPong);
      ws.off('close', onClose);
      resolve(outcome);
    };
    const onPong = done('alive');
    const onClose = done('closed');
    ws.once('pong', onPong);
    ws.once('close', onClose);
    ws.ping();
  });
}

async function closeWebSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  ws.terminate();
  await closed;
}

/**
 * Opens a raw TCP connection and writes `steps` in turn, each once the
 * previous reply has arrived in full (its text matches `until`); resolves with
 * everything received once the server closes the connection.
 */
function rawTcp(port: number, steps: { send: Uint8Array | string; until?: RegExp }[]): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    let step = 0;
    const sock = connect(port, '127.0.0.1');
    cleanups.push(() => sock.destroy());
    const sendNext = (): void => {
      const s = steps[step++];
      if (s !== undefined) sock.write(s.send);
    };
    sock.once('connect', sendNext);
    sock.on('data', (d) => {
      received += d.toString('latin1');
      const waiting = steps[step - 1]?.until;
      if (waiting !== undefined && waiting.test(received)) sendNext();
    });
    sock.on('error', () => {}); // a reset is one way to be dropped
    sock.on('close', () => resolve(received));
  });
}

const UPGRADE =
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

const infoHash = (c: string): string => c.repeat(20);

/** A server that accepts any WebSocket handshake, then answers with `frame` (raw bytes). */
async function hostileWebSocketServer(frame: Uint8Array): Promise<number> {
  const server = createServer((sock) => {
    let request = '';
    sock.on('error', () => {});
    sock.on('data', (d) => {
      request += d.toString('latin1');
      const key = /Sec-WebSocket-Key: *(\S+)\r\n/i.exec(request)?.[1];
      if (!request.includes('\r\n\r\n') || key === undefined) return;
      request = '';
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      sock.write(frame);
    });
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as { port: number }).port;
}

// ---- tests ----

describe('relay HTTP endpoint', () => {
  it('listens on real ports picked by the system', () => {
    expect(p2pPort()).toBeGreaterThan(0);
    expect(httpPort()).toBeGreaterThan(0);
    expect(relay.httpUrl).toBe(`http://127.0.0.1:${httpPort()}`);
  });

  it('reports health as JSON with status and counts', async () => {
    const res = await fetch(`${relay.httpUrl}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await res.json()) as RelayHealth;
    const peerId = relay.node.peerId.toString();
    expect(body).toEqual({
      status: 'ok',
      peerId,
      uptimeSeconds: expect.any(Number),
      connections: 0,
      reservations: 0,
      federated: 0,
      tracker: { torrents: 0 },
      refused: noRefusals(),
      eventLoopDelay: { p50Ms: expect.any(Number), p99Ms: expect.any(Number), maxMs: expect.any(Number) },
      memoryMiB: { rss: expect.any(Number), heapUsed: expect.any(Number), heapTotal: expect.any(Number), external: expect.any(Number) },
      listen: [`/ip4/127.0.0.1/tcp/${p2pPort()}/ws/p2p/${peerId}`],
    });
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(body.memoryMiB.rss).toBeGreaterThan(body.memoryMiB.heapUsed);
    expect(body).toEqual({ ...relay.health(), uptimeSeconds: body.uptimeSeconds, memoryMiB: body.memoryMiB });
  });

  it('ignores a query string on /health', async () => {
    expect((await fetch(`${relay.httpUrl}/health?from=app`)).status).toBe(200);
  });

  it.each([
    ['GET', '/'],
    ['GET', '/nope'],
    ['GET', '/health/extra'],
    ['GET', '/HEALTH'],
    ['POST', '/health'],
    ['DELETE', '/health'],
  ])('answers %s %s with 404 and a hint', async (method, path) => {
    const res = await fetch(`${relay.httpUrl}${path}`, { method });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.text()).toContain('GET /health');
  });
});

describe('WebTorrent tracker on the HTTP port', () => {
  it('answers an announce, tells the client to announce again within 30 s, and counts the torrent in /health', async () => {
    const ws = await openWebSocket(trackerUrl());
    const reply = nextMessage(ws);
    ws.send(JSON.stringify({ action: 'announce', event: 'started', info_hash: infoHash('h'), peer_id: 'P'.repeat(20), offers: [] }));
    expect(await reply).toMatchObject({ action: 'announce', info_hash: infoHash('h'), complete: 0, incomplete: 1, interval: WEBSOCKET_ANNOUNCE_INTERVAL_S });
    expect(WEBSOCKET_ANNOUNCE_INTERVAL_S).toBeLessThanOrEqual(30);
    expect((await health()).tracker.torrents).toBe(1);
    await closeWebSocket(ws);
  });

  it('forwards a WebRTC offer from one peer to another in the same swarm', async () => {
    const a = await openWebSocket(trackerUrl());
    const b = await openWebSocket(trackerUrl());
    const aJoined = nextMessage(a);
    a.send(JSON.stringify({ action: 'announce', event: 'started', info_hash: infoHash('f'), peer_id: 'A'.repeat(20), offers: [] }));
    await aJoined;
    const offerForA = nextMessage(a);
    b.send(JSON.stringify({
      action: 'announce', event: 'started', info_hash: infoHash('f'), peer_id: 'B'.repeat(20),
      offers: [{ offer: { type: 'offer', sdp: 'v=0' }, offer_id: 'o'.repeat(20) }],
    }));
    expect(await offerForA).toMatchObject({ action: 'announce', offer: { type: 'offer', sdp: 'v=0' }, offer_id: 'o'.repeat(20), peer_id: 'B'.repeat(20) });
    await closeWebSocket(a);
    await closeWebSocket(b);
  });

  const garbage: [string, string | Buffer][] = [
    ['random binary', randomBytes(1)(4096)],
    ['random binary, one byte', randomBytes(2)(1)],
    ['random text', randomBytes(3)(300).toString('latin1')],
    ['text that is not JSON', 'not json at all'],
    ['cut-off JSON', '{"action":"announce","info_hash":'],
    ['JSON null', 'null'],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"announce"'],
    ['an unknown action', JSON.stringify({ action: 'bogus' })],
    ['an announce with a short info_hash', JSON.stringify({ action: 'announce', info_hash: 'short', peer_id: 'P'.repeat(20) })],
    ['an announce with a numeric peer_id', JSON.stringify({ action: 'announce', info_hash: infoHash('g'), peer_id: 12 })],
    ['an announce with offers that are not objects', JSON.stringify({ action: 'announce', info_hash: infoHash('g'), peer_id: 'Q'.repeat(20), offers: [null, 3] })],
    ['an answer without to_peer_id', JSON.stringify({ action: 'announce', info_hash: infoHash('g'), peer_id: 'Q'.repeat(20), answer: {} })],
    ['a scrape with a numeric info_hash', JSON.stringify({ action: 'scrape', info_hash: 5 })],
    ['a scrape with an object info_hash', JSON.stringify({ action: 'scrape', info_hash: {} })],
    ['a scrape with true as info_hash', JSON.stringify({ action: 'scrape', info_hash: true })],
    ['a scrape with a numeric info_hash in a list', JSON.stringify({ action: 'scrape', info_hash: [1] })],
  ];

  it('answers each malformed message with a failure reason, and keeps the socket open', async () => {
    const ws = await openWebSocket(trackerUrl());
    for (const [what, message] of garbage) {
      const reply = nextMessage(ws);
      ws.send(message);
      expect(await reply, what).toHaveProperty('failure reason', expect.any(String));
    }
    expect(await settle(ws)).toBe('alive');
    expect((await health()).status).toBe('ok');
    await closeWebSocket(ws);
  });

  it('survives a null offer aimed at another peer in the swarm', async () => {
    const a = await openWebSocket(trackerUrl());
    const b = await openWebSocket(trackerUrl());
    const aJoined = nextMessage(a);
    a.send(JSON.stringify({ action: 'announce', event: 'started', info_hash: infoHash('n'), peer_id: 'C'.repeat(20), offers: [] }));
    await aJoined;
    const refused = nextMessage(b);
    b.send(JSON.stringify({ action: 'announce', event: 'started', info_hash: infoHash('n'), peer_id: 'D'.repeat(20), offers: [null] }));
    expect(await refused).toHaveProperty('failure reason');
    expect(await settle(a)).toBe('alive');
    expect((await health()).status).toBe('ok');
    await closeWebSocket(a);
    await closeWebSocket(b);
  });

  it('refuses an upgrade request without a WebSocket key', async () => {
    const reply = await rawTcp(httpPort(), [{ send: UPGRADE.replace(/Sec-WebSocket-Key: .*\r\n/, '') }]);
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('drops bytes that are not HTTP', async () => {
    const reply = await rawTcp(httpPort(), [{ send: randomBytes(4)(512) }]);
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
  });
});

describe('libp2p WebSocket listener', () => {
  it('drops a WebSocket that sends random binary and text frames', async () => {
    const ws = await openWebSocket(`ws://127.0.0.1:${p2pPort()}`);
    const bytes = randomBytes(5);
    for (const size of [1, 7, 64, 1500, 70_000]) ws.send(bytes(size));
    ws.send('{"hello":"relay"}');
    ws.send(bytes(300).toString('latin1'));
    // The server reads our frames (pong) or has already hung up on them; either way it moves on.
    if ((await settle(ws)) === 'alive') await closeWebSocket(ws);
    expect(relay.health().connections).toBe(0);
  });

  it('drops a raw TCP connection that sends bytes that are not HTTP', async () => {
    const reply = await rawTcp(p2pPort(), [{ send: Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x42, 0x0d, 0x0a, 0x0d, 0x0a]) }]);
    expect(reply).not.toContain('101 Switching Protocols');
  });

  it('drops a raw TCP connection that sends a long line of noise', async () => {
    const reply = await rawTcp(p2pPort(), [{ send: randomBytes(6)(64 * 1024) }]);
    expect(reply).not.toContain('101 Switching Protocols');
  });
});

describe.each([
  ['libp2p WebSocket listener', p2pPort],
  ['tracker', httpPort],
] as const)('%s: WebSocket framing errors', (_, port) => {
  it('closes the connection on a frame with a reserved opcode', async () => {
    const reply = await rawTcp(port(), [
      { send: UPGRADE, until: /\r\n\r\n/ },
      { send: Buffer.from([0x83, 0x81, 1, 2, 3, 4, 0x55]) }, // FIN + opcode 3, masked, 1 byte
    ]);
    expect(reply).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
  });

  it('closes the connection on an unmasked client frame', async () => {
    const reply = await rawTcp(port(), [
      { send: UPGRADE, until: /\r\n\r\n/ },
      { send: Buffer.from([0x82, 0x03, 1, 2, 3]) },
    ]);
    expect(reply).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
  });
});

describe('a relay dialling a peer relay that sends garbage', () => {
  it('drops that connection and keeps running', async () => {
    const port = await hostileWebSocketServer(new Uint8Array([0x83, 0x00])); // reserved opcode
    const fakeId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
    const address = `/ip4/127.0.0.1/tcp/${port}/ws/p2p/${fakeId.toString()}`;
    const gaveUp = Promise.withResolvers<string>();
    const dialler = await startRelay(
      { ...RELAY_DEFAULTS, host: '127.0.0.1', p2pPort: 0, httpPort: 0, announce: [], peers: [address] },
      await generateKeyPair('Ed25519'),
      (m) => { if (m.startsWith(`cannot reach relay ${address}`)) gaveUp.resolve(m); },
    );
    cleanups.push(() => dialler.stop());
    await gaveUp.promise;
    expect(dialler.health().status).toBe('ok');
    expect(dialler.health().connections).toBe(0);
  });
});

describe('after all that garbage', () => {
  it('still reports health', async () => {
    const h = await health();
    expect(h.status).toBe('ok');
    expect(h.connections).toBe(0);
  });

  it('serves a fresh libp2p client: dial, ping, then see it leave', async () => {
    const client: Libp2p<{ ping: Ping }> = await createLibp2p({
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping() },
    });
    cleanups.push(() => client.stop());

    const relayAddr = relay.node.getMultiaddrs()[0]!;
    const rtt = await client.services.ping.ping(relayAddr);
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(client.getConnections(relay.node.peerId)).toHaveLength(1);
    expect(relay.health().connections).toBe(1);
    expect((await health()).connections).toBe(1);
    expect(logs.some((l) => l.startsWith(`peer connected ${client.peerId.toString().slice(-8)}`))).toBe(true);

    await until(async () => relay.node.peerStore.has(client.peerId), 'the relay to record the peer');
    const left = new Promise<void>((resolve) => relay.node.addEventListener('peer:disconnect', () => resolve(), { once: true }));
    await client.stop();
    await left;
    expect(relay.health().connections).toBe(0);
    // Nothing of a peer that left stays behind: with churn, those records were the relay's growing memory.
    await until(async () => !(await relay.node.peerStore.has(client.peerId)), 'the relay to forget the peer');
  });
});

describe('shutdown', () => {
  it('stops while tracker and libp2p clients are still connected, closing their sockets', async () => {
    const other = await startRelay(
      { ...RELAY_DEFAULTS, host: '127.0.0.1', p2pPort: 0, httpPort: 0, announce: [], peers: [] },
      await generateKeyPair('Ed25519'),
      () => undefined,
    );
    const tracker = await openWebSocket(other.httpUrl.replace(/^http/, 'ws'));
    const trackerClosed = new Promise<void>((resolve) => tracker.once('close', () => resolve()));
    const client = await createLibp2p({ transports: [webSockets()], connectionEncrypters: [noise()], streamMuxers: [yamux()] });
    cleanups.push(() => client.stop());
    await client.dial(other.node.getMultiaddrs()[0]!);
    const clientDropped = new Promise<void>((resolve) => client.addEventListener('peer:disconnect', () => resolve(), { once: true }));

    await other.stop();
    await trackerClosed;
    await clientDropped;
    expect(client.getConnections(other.node.peerId)).toHaveLength(0);
  });
});
