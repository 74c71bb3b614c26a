/**
 * Test support (used only by *.test.ts): libp2p nodes over libp2p's in-memory
 * transport with the tabs' GossipSub settings, and a dial that waits until
 * both ends know each other on a topic.
 */
import { createLibp2p, type Libp2p } from 'libp2p';
import { memory } from '@libp2p/memory';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { until } from '../testing/until.ts';
import { gossipsubService } from './gossipsub-config.ts';
import { GossipScores } from './gossip-scores.ts';
import type { GossipServices } from './gossipsub-channel.ts';

export type GossipNode = Libp2p<GossipServices>;

let seq = 0;

/** A started node carrying `topics`; the caller stops it. */
export async function memoryGossipNode(topics: readonly string[]): Promise<GossipNode> {
  const scores = new GossipScores(Date.now);
  return createLibp2p({
    addresses: { listen: [`/memory/gossip-node-${++seq}`] },
    transports: [memory()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsubService(topics, scores), gossipScores: () => scores },
  });
}

/** Whether `x` knows `y` as a subscriber of `topic`. */
export const knowsOnTopic = (x: GossipNode, y: GossipNode, topic: string): boolean => x.services.pubsub.getSubscribers(topic).some((p) => p.equals(y.peerId));

/** Dials b from a; resolves once the GossipSub streams opened both ways and each knows the other's subscription. */
export async function linkOnTopic(a: GossipNode, b: GossipNode, topic: string): Promise<void> {
  await a.dial(b.getMultiaddrs());
  await until(() => knowsOnTopic(a, b, topic) && knowsOnTopic(b, a, topic), 'the two peers know each other on the topic');
}
