/**
 * How fast a fraud proof spreads on GossipSub (BENCH=gossip-spread): GOSSIP_PEERS
 * libp2p nodes in this process (libp2p's in-memory transport, Noise, yamux, the
 * tabs' GossipSub settings and a judge that accepts news), each dialling
 * GOSSIP_DIAL others at random, so each has about 2 × GOSSIP_DIAL neighbours, as a
 * tab's bounded neighbourhood. A random peer publishes; the figures are the time
 * until 99 % and all of the peers have judged the message, the median over
 * ROUNDS messages, first right after the links formed (meshes still forming) and
 * then with meshes settled. Baseline in the same run: the same network flooding
 * (every peer passes every message to all its neighbours, GossipSub with a mesh as
 * large as the neighbourhood), the fastest any gossip can be, and the most copies.
 *
 * Knobs: GOSSIP_PEERS (comma-separated sizes, default 100,300), GOSSIP_DIAL (5).
 * One process and its event loop carry every peer: the times include its queueing,
 * so they bound what separate tabs see from above.
 */
import { createLibp2p, type Libp2p } from 'libp2p';
import { memory } from '@libp2p/memory';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { gossipsubChannel } from '../src/net/gossipsub-channel.ts';
import { gossipsubOptions } from '../src/net/gossipsub-config.ts';
import { GossipScores } from '../src/net/gossip-scores.ts';
import { seededRandom } from '../src/reputation/prng.ts';
import { median, type Figure } from './env.ts';

const SIZES = (process.env.GOSSIP_PEERS ?? '100,300').split(',').map(Number);
const DIAL = Number(process.env.GOSSIP_DIAL ?? 5);
const ROUNDS = 5;
const TOPIC = '/trustmesh/bench-gossip/1.0.0';
/** GossipSub's heartbeat: meshes form and repair once a second. */
const SETTLE_MS = 3_000;
/** A message not everywhere by then is reported as lost (a figure, not a hang). */
const ROUND_TIMEOUT_MS = 30_000;

type Node = Libp2p<{ pubsub: GossipSub }>;

interface Network {
  nodes: Node[];
  /** Per node, when it judged each message (by text). */
  heard: Map<string, number>[];
}

let run = 0;
async function network(size: number, flood: boolean): Promise<Network> {
  run++;
  // Nobody is muted in the bench: one empty record serves every node.
  const scores = new GossipScores(Date.now);
  const options = gossipsubOptions([TOPIC], scores);
  const degree = 4 * DIAL;
  const nodes: Node[] = [];
  for (let i = 0; i < size; i++) {
    nodes.push(
      await createLibp2p({
        addresses: { listen: [`/memory/bench-${run}-${i}`] },
        transports: [memory()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionManager: { maxConnections: 4 * degree },
        services: { identify: identify(), pubsub: gossipsub(flood ? { ...options, D: degree, Dlo: degree, Dhi: 2 * degree, Dout: 1 } : options) },
      }),
    );
  }
  const heard = nodes.map(() => new Map<string, number>());
  nodes.forEach((n, i) => {
    const channel = gossipsubChannel<string>(n.services.pubsub, { topic: TOPIC, maxBytes: 1024, encode: (t) => new TextEncoder().encode(t), decode: (b) => new TextDecoder().decode(b) }, scores);
    channel.subscribe(async (_from, text) => {
      if (!heard[i]!.has(text)) heard[i]!.set(text, performance.now());
      return 'accept';
    });
  });
  // Seeded by size: both networks of a size have the same shape.
  const random = seededRandom(size);
  for (let i = 0; i < size; i++) {
    const picks = new Set<number>();
    while (picks.size < Math.min(DIAL, size - 1)) {
      const j = Math.floor(random() * size);
      if (j !== i) picks.add(j);
    }
    await Promise.all([...picks].map((j) => nodes[i]!.dial(nodes[j]!.getMultiaddrs())));
  }
  // Every link carries the topic both ways before anything is published.
  await until(() => nodes.every((n) => n.services.pubsub.getSubscribers(TOPIC).length >= n.getPeers().length), 60_000);
  return { nodes, heard };
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Publishes one message from a random peer; ms until 99 % and all of the others judged it (Infinity: never). */
async function spread(net: Network, text: string, random: () => number): Promise<{ p99: number; all: number }> {
  const from = Math.floor(random() * net.nodes.length);
  const others = net.heard.filter((_, i) => i !== from);
  const start = performance.now();
  await net.nodes[from]!.services.pubsub.publish(TOPIC, new TextEncoder().encode(text));
  const need99 = Math.ceil(0.99 * others.length);
  await until(() => others.every((h) => h.has(text)), ROUND_TIMEOUT_MS);
  const times = others.map((h) => (h.get(text) ?? Number.POSITIVE_INFINITY) - start).sort((a, b) => a - b);
  return { p99: times[need99 - 1]!, all: times.at(-1)! };
}

async function measure(size: number, flood: boolean): Promise<{ cold: { p99: number; all: number }; warm: { p99: number; all: number }; links: number }> {
  const net = await network(size, flood);
  const random = seededRandom(size + 1);
  try {
    // Cold: right after the links formed, before a heartbeat has built the meshes.
    const cold = await spread(net, `cold-${flood}`, random);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rounds: Array<{ p99: number; all: number }> = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await spread(net, `warm-${flood}-${r}`, random));
    const links = net.nodes.reduce((n, x) => n + x.getPeers().length, 0) / net.nodes.length;
    return { cold, warm: { p99: median(rounds.map((r) => r.p99)), all: median(rounds.map((r) => r.all)) }, links };
  } finally {
    await Promise.all(net.nodes.map((n) => n.stop()));
  }
}

export async function benchGossipSpread(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const size of SIZES) {
    const base = await measure(size, true);
    const g = await measure(size, false);
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)} × flooding (${b.toFixed(0)} ms)`;
    figures.push(
      { section: 'gossip', name: `fraud proof to 99 % of ${size} peers, meshes forming`, value: g.cold.p99, unit: 'ms', note: `all in ${g.cold.all.toFixed(0)} ms; ${ratio(g.cold.p99, base.cold.p99)}` },
      { section: 'gossip', name: `fraud proof to 99 % of ${size} peers, meshes settled`, value: g.warm.p99, unit: 'ms', note: `all in ${g.warm.all.toFixed(0)} ms; ${ratio(g.warm.p99, base.warm.p99)}; ${g.links.toFixed(1)} neighbours each, median of ${ROUNDS}` },
    );
  }
  return figures;
}
