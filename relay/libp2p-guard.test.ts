/**
 * The relay's libp2p limits on real sockets (127.0.0.1): connections and
 * reservations per address, reservation requests per peer, a reservation
 * ending with its peer's connection, and relayed connections per peer (how many
 * at once, how many bytes per window). Each relay here has small limits so a
 * few Node clients reach them; every wait is on a condition.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { RELAY_DEFAULTS } from './config.ts';
import { RELAY_LIMITS, type RelayLimits } from './limits.ts';
import { startRelay, type Relay } from './relay.ts';
import { until } from '../src/testing/until.ts';
import { HOP_STATUS, reserve as reserveOn } from './test-support.ts';
import { DIAL_POLICY } from '../src/net/dial-policy.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function relayWith(limits: Partial<RelayLimits>, logs: string[] = []): Promise<Relay> {
  const relay = await startRelay(
    { ...RELAY_DEFAULTS, host: '127.0.0.1', p2pPort: 0, httpPort: 0, announce: [], peers: [] },
    await generateKeyPair('Ed25519'),
    (m) => logs.push(m),
    Date.now,
    // These clients are all on 127.0.0.1; here it stands for one host, not a proxy.
    { loopbackIsProxy: false, ...limits },
  );
  cleanups.push(() => relay.stop());
  return relay;
}

const relayAddr = (relay: Relay): Multiaddr => relay.node.getMultiaddrs()[0]!;

/** A Node client like a browser tab: WebSockets to the relay, and circuits through it. */
async function client(listenVia?: Relay): Promise<Libp2p> {
  const node = await createLibp2p({
    ...(listenVia === undefined ? {} : { addresses: { listen: [`${relayAddr(listenVia).toString()}/p2p-circuit`] } }),
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  });
  cleanups.push(() => node.stop());
  return node;
}

/** A client that holds a reservation on `relay` (as a tab does to be reachable). */
async function reachableClient(relay: Relay): Promise<Libp2p> {
  const node = await client(relay);
  await until(() => node.getMultiaddrs().some((ma) => ma.toString().includes('/p2p-circuit')), 'a reservation on the relay');
  return node;
}

const reserve = (node: Libp2p, relay: Relay): Promise<number> => reserveOn(node, relayAddr(relay));

// ---- tests ----

describe('reservations', () => {
  it('ends a reservation when its peer disconnects, not at the end of its two-hour TTL', async () => {
    const relay = await relayWith({});
    const tab = await reachableClient(relay);
    expect(relay.health().reservations).toBe(1);
    await tab.stop();
    await until(() => relay.health().reservations === 0, 'the reservation to end with its connection', 5_000);
  });

  it('lets a peer that reconnects reserve again', async () => {
    const relay = await relayWith({});
    const tab = await client();
    expect(await reserve(tab, relay)).toBe(HOP_STATUS.OK);
    await tab.hangUp(relay.node.peerId);
    await until(() => relay.health().reservations === 0, 'the reservation to end');
    expect(await reserve(tab, relay)).toBe(HOP_STATUS.OK);
    expect(relay.health().reservations).toBe(1);
  });

  it('refuses reservations beyond the per-address cap, and takes one again once a place is free', async () => {
    const logs: string[] = [];
    const relay = await relayWith({ reservationsPerAddress: 2 }, logs);
    const [a, b, c] = [await client(), await client(), await client()];
    expect(await reserve(a, relay)).toBe(HOP_STATUS.OK);
    expect(await reserve(b, relay)).toBe(HOP_STATUS.OK);
    expect(await reserve(c, relay)).toBe(HOP_STATUS.PERMISSION_DENIED);
    expect(relay.health().reservations).toBe(2);
    expect(relay.health().refused.reservations).toBe(1);
    expect(logs.some((l) => l.includes('2 reservations from 127.0.0.1'))).toBe(true);
    // A refresh by a holder takes no new place.
    expect(await reserve(a, relay)).toBe(HOP_STATUS.OK);
    await b.stop();
    await until(() => relay.health().reservations === 1, 'b to leave');
    expect(await reserve(c, relay)).toBe(HOP_STATUS.OK);
  });

  it('does not hold loopback clients (a local TLS proxy) to the per-address cap by default', async () => {
    const relay = await relayWith({ reservationsPerAddress: 1, loopbackIsProxy: true });
    expect(await reserve(await client(), relay)).toBe(HOP_STATUS.OK);
    expect(await reserve(await client(), relay)).toBe(HOP_STATUS.OK);
  });

  it('refuses a peer that asks for reservations too often', async () => {
    const relay = await relayWith({ reserveRequestsPerPeer: { count: 3, windowMs: 60_000 } });
    const tab = await client();
    for (let i = 0; i < 3; i++) expect(await reserve(tab, relay)).toBe(HOP_STATUS.OK);
    expect(await reserve(tab, relay)).toBe(HOP_STATUS.PERMISSION_DENIED);
    // Another peer is still served.
    expect(await reserve(await client(), relay)).toBe(HOP_STATUS.OK);
  });
});

describe('connections per address', () => {
  it('refuses a connection beyond the per-address cap and accepts one when a place frees', async () => {
    const relay = await relayWith({ connectionsPerAddress: 2 });
    const [a, b, c] = [await client(), await client(), await client()];
    await a.dial(relayAddr(relay));
    await b.dial(relayAddr(relay));
    await expect(c.dial(relayAddr(relay))).rejects.toThrow();
    expect(relay.health().connections).toBe(2);
    expect(relay.health().refused.connections).toBeGreaterThanOrEqual(1);
    await a.hangUp(relay.node.peerId);
    await until(() => relay.health().connections === 1, 'a to leave');
    await c.dial(relayAddr(relay));
    await until(() => relay.health().connections === 2, 'c to be let in');
  });
});

describe('new connections per address', () => {
  it('turns away a host that opens connections faster than its share, and counts the refusal', async () => {
    const relay = await relayWith({ connectionAttemptsPerAddress: { count: 2, windowMs: 60_000 } });
    const [a, b, c] = [await client(), await client(), await client()];
    await a.dial(relayAddr(relay));
    await b.dial(relayAddr(relay));
    await expect(c.dial(relayAddr(relay))).rejects.toThrow();
    expect(relay.health().refused.connections).toBeGreaterThanOrEqual(1);
  });

  it('behind a local proxy, lets many clients of the one host in within a second (libp2p alone let in 5)', async () => {
    const relay = await relayWith({ loopbackIsProxy: true });
    const tabs = await Promise.all(Array.from({ length: 16 }, () => client()));
    await Promise.all(tabs.map((t) => t.dial(relayAddr(relay))));
    await until(() => relay.health().connections === 16, 'the relay to count all 16');
    expect(relay.health().refused.connections).toBe(0);
  });
});

describe('relayed connections', () => {
  const SINK = '/trustmesh-test/sink/1.0.0';

  /** A reachable client that counts what arrives on SINK over relayed connections, and the SINK streams that ended. */
  async function sinkClient(relay: Relay): Promise<{ node: Libp2p; received: () => number; ended: () => number }> {
    const node = await reachableClient(relay);
    let received = 0;
    let ended = 0;
    await node.handle(SINK, async (stream) => {
      try {
        for await (const chunk of stream) received += chunk.byteLength;
      } finally {
        ended++; // read to the end, or reset by the relay
      }
    }, { runOnLimitedConnection: true });
    return { node, received: () => received, ended: () => ended };
  }

  const circuitTo = (relay: Relay, node: Libp2p): Multiaddr => multiaddr(`${relayAddr(relay).toString()}/p2p-circuit/p2p/${node.peerId.toString()}`);

  /** Opens a relayed connection from `from` to `to` and sends `bytes` on SINK (or as many as pass). */
  async function sendThrough(from: Libp2p, to: Multiaddr, bytes: number): Promise<void> {
    const conn = await from.dial(to);
    expect(conn.limits).toBeDefined(); // relayed, not direct
    const stream = await conn.newStream(SINK, { runOnLimitedConnection: true });
    const chunk = new Uint8Array(8 * 1024);
    try {
      for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
        if (!stream.send(chunk)) await stream.onDrain();
      }
      await stream.close();
    } catch {
      // cut by the relay
    }
  }

  it('keeps each relayed connection to its own limit (the library default, here 128 KiB)', async () => {
    const relay = await relayWith({});
    const a = await sinkClient(relay);
    const b = await client();
    await sendThrough(b, circuitTo(relay, a.node), 256 * 1024);
    await until(() => a.ended() === 1, 'the stream to be cut');
    expect(a.received()).toBeLessThanOrEqual(RELAY_DEFAULTS.relayDataLimitBytes);
  });

  it('stops two peers chaining relayed connections into a tunnel: bytes per peer are capped across connections', async () => {
    const budget = 200 * 1024;
    const relay = await relayWith({ relayedBytesPerPeer: { bytes: budget, windowMs: 60_000 } });
    const a = await sinkClient(relay);
    const b = await client();
    const target = circuitTo(relay, a.node);
    // Each connection stays under its own 128 KiB; together they are well over the budget.
    for (let i = 0; i < 3; i++) {
      await sendThrough(b, target, 96 * 1024);
      await until(() => a.ended() === i + 1, 'the stream to be read to its end or cut');
      await b.hangUp(a.node.peerId);
    }
    // Framing (noise, yamux) counts too, so a little less than the budget arrives.
    expect(a.received()).toBeLessThanOrEqual(budget);
    expect(a.received()).toBeGreaterThan(budget - 16 * 1024);
    // Once over its share, b gets no new relayed connection either.
    await expect(b.dial(target)).rejects.toThrow();
    expect(relay.health().refused).toMatchObject({ relayedStreamsCut: 1, relayedConnections: 1 });
    // Another peer is still served.
    const before = a.received();
    await sendThrough(await client(), target, 16 * 1024);
    await until(() => a.ended() === 4, "another peer's stream to end");
    expect(a.received()).toBe(before + 16 * 1024);
  });

  it('caps the relayed connections a peer is part of at once', async () => {
    const relay = await relayWith({ relayedConnectionsPerPeer: 2 });
    const a = await sinkClient(relay);
    const target = circuitTo(relay, a.node);
    const [b, c, d] = [await client(), await client(), await client()];
    const bc = await b.dial(target);
    const cc = await c.dial(target);
    expect([bc.limits, cc.limits]).not.toContain(undefined);
    await expect(d.dial(target)).rejects.toThrow();
    expect(relay.health().refused.relayedConnections).toBe(1);
    await bc.close();
    await until(async () => (await d.dial(target).then(() => true, () => false)), 'a place to free up once b hangs up');
  });
});

it('lets a tab signal with all the direct peers it may dial at once', () => {
  expect(RELAY_LIMITS.relayedConnectionsPerPeer).toBeGreaterThan(DIAL_POLICY.maxDirectPeers);
});
