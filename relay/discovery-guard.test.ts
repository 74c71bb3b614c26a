/**
 * The discovery topic's rate limits on real sockets (127.0.0.1): per origin and
 * per sending peer, dropped messages not passed on, other peers still served,
 * federated relays exempt from the sender limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { floodsub, type FloodSub } from '@libp2p/floodsub';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { RELAY_DEFAULTS } from './config.ts';
import type { RelayLimits } from './limits.ts';
import { startRelay, type Relay } from './relay.ts';
import { DISCOVERY_TOPIC } from '../src/net/protocols.ts';
import { until } from '../src/testing/until.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function relayWith(limits: Partial<RelayLimits>, peers: string[] = []): Promise<Relay> {
  const relay = await startRelay(
    { ...RELAY_DEFAULTS, host: '127.0.0.1', p2pPort: 0, httpPort: 0, announce: [], peers },
    await generateKeyPair('Ed25519'),
    () => undefined,
    Date.now,
    // These clients are all on 127.0.0.1; here it stands for one host, not a proxy.
    { loopbackIsProxy: false, ...limits },
  );
  cleanups.push(() => relay.stop());
  return relay;
}

interface Tab {
  node: Libp2p<{ pubsub: FloodSub }>;
  received: string[];
}

/** A subscribed client on `relay`, recording the discovery messages it gets. */
async function tab(relay: Relay): Promise<Tab> {
  const node = await createLibp2p({
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: floodsub() },
  });
  cleanups.push(() => node.stop());
  const received: string[] = [];
  node.services.pubsub.addEventListener('message', (evt) => {
    if (evt.detail.topic === DISCOVERY_TOPIC) received.push(new TextDecoder().decode(evt.detail.data));
  });
  node.services.pubsub.subscribe(DISCOVERY_TOPIC);
  await node.dial(relay.node.getMultiaddrs()[0]!);
  await until(() => relay.node.services.pubsub.getSubscribers(DISCOVERY_TOPIC).some((p) => p.equals(node.peerId)), 'the relay to see the subscription');
  // floodsub publishes only to peers it knows subscribe: until the relay's subscription arrives, nothing goes out.
  await until(() => node.services.pubsub.getSubscribers(DISCOVERY_TOPIC).some((p) => p.equals(relay.node.peerId)), "the tab to see the relay's subscription");
  return { node, received };
}

async function publish(from: Tab, text: string): Promise<void> {
  await from.node.services.pubsub.publish(DISCOVERY_TOPIC, new TextEncoder().encode(text));
}

const window = { windowMs: 60_000 };

describe('discovery rate limits', () => {
  it('passes on at most the per-origin limit of one peer\'s messages and drops the rest, while others are still served', async () => {
    const relay = await relayWith({ discoveryPerOrigin: { count: 3, ...window } });
    const [x, y, z] = [await tab(relay), await tab(relay), await tab(relay)];
    for (let i = 0; i < 10; i++) await publish(x, `x${i}`);
    await until(() => relay.health().refused.discoveryMessages === 7 && y.received.length === 3, 'the relay to pass 3 and drop 7');
    // floodsub checks messages concurrently, so which three pass is not fixed.
    expect(new Set(y.received).size).toBe(3);
    await publish(z, 'z0');
    await until(() => y.received.includes('z0'), "another peer's message");
    expect(x.received).toEqual(['z0']);
  });

  it('drops new messages from a sending peer beyond the per-sender limit', async () => {
    const relay = await relayWith({ discoveryPerSender: { count: 2, ...window }, discoveryPerOrigin: { count: 100, ...window } });
    const [x, y] = [await tab(relay), await tab(relay)];
    for (let i = 0; i < 5; i++) await publish(x, `x${i}`);
    await until(() => relay.health().refused.discoveryMessages === 3 && y.received.length === 2, 'the relay to pass 2 and drop 3');
    expect(new Set(y.received).size).toBe(2);
  });

  it('drops a flood from one peer before checking its signatures, beyond the raw per-sender cap', async () => {
    const relay = await relayWith({ pubsubRawPerSender: { count: 4, ...window }, discoveryPerSender: { count: 100, ...window }, discoveryPerOrigin: { count: 100, ...window } });
    const [x, y] = [await tab(relay), await tab(relay)];
    for (let i = 0; i < 10; i++) await publish(x, `x${i}`);
    await until(() => relay.health().refused.pubsubUnchecked === 6 && y.received.length === 4, 'the relay to pass 4 and drop 6 unchecked');
    expect(relay.health().refused.discoveryMessages).toBe(0);
  });

  it('does not hold a federated relay to the per-sender limit: it carries many peers', async () => {
    const a = await relayWith({});
    const b = await relayWith({ discoveryPerSender: { count: 2, ...window } }, [a.node.getMultiaddrs()[0]!.toString()]);
    await until(() => a.node.getConnections(b.node.peerId).length > 0, 'the relays to federate');
    const listener = await tab(b);
    const publishers = [await tab(a), await tab(a), await tab(a), await tab(a)];
    await until(() => a.node.services.pubsub.getSubscribers(DISCOVERY_TOPIC).some((p) => p.equals(b.node.peerId)), 'a to see b subscribed');
    for (const [i, p] of publishers.entries()) await publish(p, `p${i}`);
    await until(() => listener.received.length === 4, 'all four messages across the federation');
    expect(b.health().refused.discoveryMessages).toBe(0);
  });
});
