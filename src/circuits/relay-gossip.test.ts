import { afterEach, describe, expect, it } from 'vitest';
import { createLibp2p, type Libp2p } from 'libp2p';
import type { Connection, PeerId, StreamHandler, StreamHandlerOptions } from '@libp2p/interface';
import { memory } from '@libp2p/memory';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { until } from '../testing/until.ts';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { signEd25519, verifyEd25519 } from '../crypto/signature.ts';
import { GossipScores } from '../net/gossip-scores.ts';
import type { GossipChannel } from '../net/gossip-channel.ts';
import { RelayDirectory, signAnnouncement } from './relay-directory.ts';
import { RelayGossip } from './relay-gossip.ts';
import type { RelayAnnouncement } from './relay-announcement-wire.ts';

/** What classifies a connection as direct WebRTC (net/peer-table.ts): the in-memory links stand in for them here. */
const WEBRTC_ADDR = { toString: () => '/ip4/127.0.0.1/udp/9/webrtc' };

/** A connection that reads as direct WebRTC, counting the streams opened over it. */
function asDirect(c: Connection, opened: { count: number }): Connection {
  return new Proxy(c, {
    get(target, key) {
      if (key === 'remoteAddr') return WEBRTC_ADDR;
      if (key === 'newStream') return (...args: Parameters<Connection['newStream']>) => (opened.count++, target.newStream(...args));
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** A node whose connections, to RelayGossip, are direct ones. */
function directView(node: Libp2p, opened: { count: number }): Libp2p {
  return new Proxy(node, {
    get(target, key) {
      if (key === 'getConnections') return (peer?: PeerId) => target.getConnections(peer).map((c) => asDirect(c, opened));
      if (key === 'handle') return (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => target.handle(protocol, (stream, c) => handler(stream, asDirect(c, opened)), options);
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** The announcements topic, before the neighbour has joined it: what we publish reaches nobody; joins are ours to call. */
class NotYetJoined implements GossipChannel<RelayAnnouncement> {
  readonly published: RelayAnnouncement[] = [];
  private readonly listeners = new Set<(peer: string) => void>();
  async publish(m: RelayAnnouncement): Promise<void> {
    this.published.push(m);
  }
  subscribe(): void {}
  onJoin(listener: (peer: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  join(peer: string): void {
    for (const l of this.listeners) l(peer);
  }
  stop(): void {}
}

const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});

async function tab(name: string, seedByte: number) {
  const node = await createLibp2p({ addresses: { listen: [`/memory/relay-gossip-${name}`] }, transports: [memory()], connectionEncrypters: [noise()], streamMuxers: [yamux()] });
  const seed = new Uint8Array(32).fill(seedByte);
  const publicKey = publicKeyFromSeed(seed);
  const directory = new RelayDirectory({ now: Date.now, verify: verifyEd25519 });
  const channel = new NotYetJoined();
  const opened = { count: 0 };
  let relaying = true;
  let issuedAt = Date.now();
  const announceSelf = (): Promise<RelayAnnouncement> => signAnnouncement({ publicKey, issuedAt: BigInt(++issuedAt), relaying, exit: false, capKiBps: 0 }, (m) => signEd25519(seed, m));
  const gossip = new RelayGossip(directView(node, opened), directory, announceSelf, channel, new GossipScores(Date.now));
  running.push(async () => {
    gossip.stop();
    await node.stop();
  });
  return { node, publicKey, directory, channel, opened, gossip, setRelaying: (on: boolean) => (relaying = on) };
}

describe('RelayGossip', () => {
  it('tells a neighbour that joins the topic of an announcement signed since their swap, once', async () => {
    const a = await tab('a', 1);
    const b = await tab('b', 2);
    await b.gossip.start();
    await a.node.dial(b.node.getMultiaddrs());
    await a.gossip.start(); // swaps with b over the open connection
    await until(() => b.directory.isRelay(a.publicKey), 'b learns from the swap that a relays');

    // a turns relaying off before b has joined the topic: the withdrawal is published, and reaches nobody.
    a.setRelaying(false);
    await a.gossip.announce();
    expect(a.channel.published.at(-1)?.relaying).toBe(false);
    expect(b.directory.isRelay(a.publicKey)).toBe(true);

    const before = a.opened.count;
    a.channel.join(b.node.peerId.toString());
    await until(() => !b.directory.isRelay(a.publicKey), 'b hears of the withdrawal when it joins');
    expect(a.opened.count).toBe(before + 1);
    // Joining again (a re-subscription) sends nothing new: b was told this one.
    a.channel.join(b.node.peerId.toString());
    expect(a.opened.count).toBe(before + 1);
  });
});
