/**
 * Pure: the discovery simulation (issue #19). `peers` join over JOIN_SPAN_MS, each reserved at one
 * of `relays` relays, and keep a bounded neighbourhood with the app's own policy
 * (src/net/neighbours.ts), fed by peer exchange: a newcomer asks its relay for a sample of the
 * peers reserved there, and every peer asks a random neighbour for its peers every
 * PEX_WALK_EVERY_MS. Figures: discovery messages per peer per second in steady state, the time a
 * newcomer takes to know FOUND_PEERS peers and to hold its target of neighbours, and the time a
 * fraud proof gossiped over the neighbour graph (GossipSub's rules, `spread`) takes to reach
 * REACH_SHARE of the peers. Today's
 * design, where every tab's announcement every 5 s reaches every other tab through the relays,
 * is given beside it in closed form.
 */
import { EventQueue } from '../economy/event-queue.ts';
import { NEIGHBOURHOOD, planNeighbourhood, type Candidate, type Neighbour } from '../../src/net/neighbours.ts';
import { seededRandom } from '../../src/reputation/prng.ts';
import { GOSSIPSUB_SETTINGS } from '../../src/net/gossipsub-config.ts';
import { DIAL_MS, FLOOD_ANNOUNCE_EVERY_MS, GOSSIP_HEARTBEAT_MS, FOUND_PEERS, JOIN_SPAN_MS, KNOWN_PEERS_KEPT, LATENCY_MS, PEX_ANSWER_PEERS, PEX_WALK_EVERY_MS, REACH_SHARE, ROUND_MS, STEADY_MS } from './constants.ts';

export interface DiscoveryRun {
  peers: number;
  relays: number;
  seed: number;
}

export interface DiscoveryFigures {
  peers: number;
  /** Discovery messages each peer sends and receives a second, steady state (mean). */
  walkMessagesPerPeerPerSec: number;
  /** The same for today's flood: each tab receives every other tab's announcement. */
  floodMessagesPerPeerPerSec: number;
  /** Newcomers' time to know FOUND_PEERS peers, and to hold NEIGHBOURHOOD.target neighbours: median and 95th percentile (ms). */
  foundMs: { p50: number; p95: number };
  targetMs: { p50: number; p95: number };
  /** Neighbours per peer at the end (mean, and the most). */
  meanDegree: number;
  maxDegree: number;
  /** A fraud proof published by a random peer on GossipSub: the time it reaches REACH_SHARE of the peers (ms), and the share it reaches at all. */
  reachMs: number;
  reachedShare: number;
}

type Event = { kind: 'join'; p: number } | { kind: 'round'; p: number } | { kind: 'walk'; p: number } | { kind: 'learn'; p: number; peers: number[] } | { kind: 'connect'; a: number; b: number };

/** One peer's state. */
interface Peer {
  group: number;
  joinedAt: number;
  neighbours: Map<number, number>; // neighbour → since
  /** Candidates, oldest first (a Set keeps insertion order). */
  known: Set<number>;
  dialing: Set<number>;
  lastRefreshAt: number;
  nextRoundAt: number;
  messages: number;
  foundAt: number;
  targetAt: number;
}

export function simulateDiscovery(run: DiscoveryRun): DiscoveryFigures {
  const random = seededRandom(run.seed);
  const latency = (): number => LATENCY_MS[0] + random() * (LATENCY_MS[1] - LATENCY_MS[0]);
  const q = new EventQueue<Event>();
  const peers: Peer[] = [];
  const byGroup: number[][] = Array.from({ length: run.relays }, () => []);
  const endAt = JOIN_SPAN_MS + STEADY_MS;
  const countFrom = JOIN_SPAN_MS + STEADY_MS / 2;
  const counting = (): boolean => q.now >= countFrom;
  const note = (p: Peer): void => {
    if (counting()) p.messages++;
  };

  for (let i = 0; i < run.peers; i++) q.push((JOIN_SPAN_MS * i) / run.peers, { kind: 'join', p: i });

  const learn = (p: number, ids: readonly number[]): void => {
    const me = peers[p]!;
    for (const id of ids) {
      if (id === p || me.known.has(id)) continue;
      me.known.add(id);
      if (me.known.size > KNOWN_PEERS_KEPT) me.known.delete(me.known.values().next().value!);
    }
    if (me.foundAt === Infinity && new Set([...me.known, ...me.neighbours.keys()]).size >= FOUND_PEERS) me.foundAt = q.now - me.joinedAt;
  };
  const scheduleRound = (p: number, at: number): void => {
    const me = peers[p]!;
    if (me.nextRoundAt <= at) return;
    me.nextRoundAt = at;
    q.push(at, { kind: 'round', p });
  };
  const unlink = (a: number, b: number): void => {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      peers[x]!.neighbours.delete(y);
      if (peers[x]!.neighbours.size < NEIGHBOURHOOD.target) scheduleRound(x, q.now + ROUND_MS);
    }
  };

  for (let e = q.pop(); e !== undefined && e.at <= endAt; e = q.pop()) {
    const ev = e.event;
    switch (ev.kind) {
      case 'join': {
        const group = ev.p % run.relays;
        peers[ev.p] = { group, joinedAt: q.now, neighbours: new Map(), known: new Set(), dialing: new Set(), lastRefreshAt: -Infinity, nextRoundAt: Infinity, messages: 0, foundAt: Infinity, targetAt: Infinity };
        // Its relay answers (a request and an answer) with peers reserved there and, for half, peers of the other
        // relays it federates with: with its own peers alone, walks never leave a relay's group and the network
        // splits into one part per relay (a fraud proof reached a third of the peers with three relays).
        const mates = byGroup[group]!;
        const sample: number[] = [];
        for (let k = 0; k < Math.min(PEX_ANSWER_PEERS / 2, mates.length); k++) sample.push(mates[Math.floor(random() * mates.length)]!);
        for (let k = 0; k < Math.min(PEX_ANSWER_PEERS / 2, ev.p); k++) sample.push(Math.floor(random() * ev.p));
        mates.push(ev.p);
        note(peers[ev.p]!);
        q.push(q.now + 2 * latency(), { kind: 'learn', p: ev.p, peers: sample });
        q.push(q.now + random() * PEX_WALK_EVERY_MS, { kind: 'walk', p: ev.p });
        break;
      }
      case 'learn': {
        note(peers[ev.p]!);
        learn(ev.p, ev.peers);
        scheduleRound(ev.p, q.now);
        break;
      }
      case 'walk': {
        const me = peers[ev.p]!;
        q.push(q.now + PEX_WALK_EVERY_MS * (0.75 + random() / 2), { kind: 'walk', p: ev.p });
        const around = [...me.neighbours.keys()];
        if (around.length === 0) break;
        const them = peers[around[Math.floor(random() * around.length)]!]!;
        // A request and an answer, each counted by its sender and its receiver.
        note(me);
        note(them);
        note(them);
        const pool = [...them.neighbours.keys(), ...them.known];
        const answer: number[] = [];
        for (let k = 0; k < Math.min(PEX_ANSWER_PEERS, pool.length); k++) answer.push(pool[Math.floor(random() * pool.length)]!);
        q.push(q.now + 2 * latency(), { kind: 'learn', p: ev.p, peers: answer });
        break;
      }
      case 'round': {
        const me = peers[ev.p]!;
        if (me.nextRoundAt !== q.now) break; // superseded by an earlier round
        me.nextRoundAt = Infinity;
        const neighbours: Neighbour[] = [...me.neighbours].map(([id, since]) => ({ id: String(id), since, group: String(peers[id]!.group), usefulness: 0 }));
        const candidates: Candidate[] = [...me.known].filter((id) => !me.neighbours.has(id) && !me.dialing.has(id)).map((id) => ({ id: String(id), group: String(peers[id]!.group) }));
        const plan = planNeighbourhood({ now: q.now, neighbours, candidates, lastRefreshAt: me.lastRefreshAt, random });
        if (plan.refreshed) me.lastRefreshAt = q.now;
        for (const id of plan.drop) unlink(ev.p, Number(id));
        for (const id of plan.dial) {
          me.dialing.add(Number(id));
          q.push(q.now + DIAL_MS, { kind: 'connect', a: ev.p, b: Number(id) });
        }
        const below = me.neighbours.size + me.dialing.size < NEIGHBOURHOOD.target;
        scheduleRound(ev.p, below ? q.now + ROUND_MS : Math.max(q.now + ROUND_MS, me.lastRefreshAt + NEIGHBOURHOOD.refreshEveryMs));
        break;
      }
      case 'connect': {
        const a = peers[ev.a]!;
        const b = peers[ev.b]!;
        a.dialing.delete(ev.b);
        // The callee takes it while it has room; a refused dial leaves the candidate for another round.
        if (b.neighbours.size < NEIGHBOURHOOD.max && a.neighbours.size < NEIGHBOURHOOD.max) {
          a.neighbours.set(ev.b, q.now);
          b.neighbours.set(ev.a, q.now);
          for (const [x, p] of [[a, ev.a], [b, ev.b]] as const) {
            if (x.targetAt === Infinity && x.neighbours.size >= NEIGHBOURHOOD.target) x.targetAt = q.now - x.joinedAt;
            learn(p, []);
          }
          // The callee may now be over its maximum only by a race; its next round trims.
          if (b.neighbours.size > NEIGHBOURHOOD.max) scheduleRound(ev.b, q.now);
        } else a.known.delete(ev.b);
        scheduleRound(ev.a, q.now + ROUND_MS);
        break;
      }
    }
  }

  const degrees = peers.map((p) => p.neighbours.size);
  const window = (endAt - countFrom) / 1000;
  return {
    peers: run.peers,
    walkMessagesPerPeerPerSec: peers.reduce((n, p) => n + p.messages, 0) / peers.length / window,
    floodMessagesPerPeerPerSec: (run.peers - 1) / (FLOOD_ANNOUNCE_EVERY_MS / 1000),
    foundMs: percentiles(peers.map((p) => p.foundAt)),
    targetMs: percentiles(peers.map((p) => p.targetAt)),
    meanDegree: degrees.reduce((a, b) => a + b, 0) / degrees.length,
    maxDegree: Math.max(...degrees),
    ...spread(peers, Math.floor(random() * peers.length), latency, random),
  };
}

function percentiles(values: number[]): { p50: number; p95: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p95: at(0.95) };
}

/**
 * A fraud proof published by `origin` on GossipSub: the origin sends it to all its neighbours (flood
 * publishing); every other peer passes it to its mesh (GOSSIPSUB_SETTINGS.D of its neighbours) and
 * tells the rest it has it at its next heartbeat, which ask for it and receive it (three one-way
 * latencies after the heartbeat). Arrival times by shortest delay (Dijkstra).
 */
function spread(peers: readonly Peer[], origin: number, latency: () => number, random: () => number): { reachMs: number; reachedShare: number } {
  const meshes = new Map<number, Set<number>>();
  const meshOf = (p: number): Set<number> => {
    let mesh = meshes.get(p);
    if (mesh === undefined) {
      const all = [...peers[p]!.neighbours.keys()];
      for (let i = all.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [all[i], all[j]] = [all[j]!, all[i]!];
      }
      mesh = new Set(all.slice(0, GOSSIPSUB_SETTINGS.D));
      meshes.set(p, mesh);
    }
    return mesh;
  };
  const at = new Float64Array(peers.length).fill(Infinity);
  const q = new EventQueue<number>();
  at[origin] = 0;
  q.push(0, origin);
  const arrivals: number[] = [];
  for (let e = q.pop(); e !== undefined; e = q.pop()) {
    if (e.at > at[e.event]!) continue;
    arrivals.push(e.at);
    const mesh = e.event === origin ? undefined : meshOf(e.event);
    const heartbeat = e.at + random() * GOSSIP_HEARTBEAT_MS;
    for (const n of peers[e.event]!.neighbours.keys()) {
      const t = mesh === undefined || mesh.has(n) ? e.at + latency() : heartbeat + latency() + latency() + latency();
      if (t < at[n]!) {
        at[n] = t;
        q.push(t, n);
      }
    }
  }
  const needed = Math.ceil(REACH_SHARE * peers.length);
  return { reachMs: arrivals.length >= needed ? arrivals[needed - 1]! : Infinity, reachedShare: arrivals.length / peers.length };
}
