/**
 * Pure: the state of the simulated network (peers, files, swarms, downloads, circuits) and its
 * construction from a seed. Behaviour lives in engine.ts and transfer.ts.
 */
import { DebtBook } from '../../src/sharing/debt-book.ts';
import type { MiningState } from '../../src/mining/mining-policy.ts';
import { classCounts, TRAITS, type Mix, type PeerClass, type Traits } from './classes.ts';
import { FILE_MAX_BYTES, FILE_MEDIAN_BYTES, FILE_MIN_BYTES, FILE_SIGMA, FILES_PER_PEER, MAX_CONNECTIONS, ZIPF_EXPONENT } from './constants.ts';
import { drawCapacity, logNormal, Zipf, type Random } from './distributions.ts';
import type { Optimistic } from './stock-choke.ts';

export interface Circuit {
  readonly download: Download;
  /** The middle hop of a 2-hop path; absent on the default 1 hop. */
  readonly relay: Peer | undefined;
  readonly exit: Peer;
  /** How each hop admitted it (src/circuits/admission.ts Holder figures), while it holds a place there. */
  readonly places: Map<Peer, { newcomer: boolean; balance: bigint }>;
}

export interface Download {
  readonly peer: Peer;
  readonly file: number;
  have: number;
  readonly started: number;
  /** Online time spent on it so far (ms). */
  activeMs: number;
  /** Joined by the miner, not requested by a user. */
  readonly mined: boolean;
  circuit: Circuit | undefined;
  /** Bytes received from each uploader (peer id) and not yet paid. */
  readonly owes: Map<number, number>;
}

export interface MinedFile {
  joinedAt: number;
  paid: number;
  earned: number;
}

export interface PeerStats {
  downloaded: number;
  uploaded: number;
  downloadingMs: number;
  completions: number;
  completionMs: number[];
  /** Tokens earned carrying circuits (net of what it passed on). */
  carried: number;
}

export interface Peer {
  readonly id: number;
  readonly cls: PeerClass;
  readonly traits: Traits;
  /** Upload and download capacity, bytes per second. */
  readonly up: number;
  readonly down: number;
  key: string;
  /** Every key it ever used (a whitewasher's abandoned ones too). */
  readonly keys: string[];
  online: boolean;
  /** Session counter: events of an earlier session are stale. */
  epoch: number;
  /** Files it holds, oldest first. */
  readonly library: number[];
  readonly has: Set<number>;
  readonly seeding: Set<number>;
  readonly downloads: Map<number, Download>;
  /** Its seeder's books of what others owe it (src/sharing/debt-book.ts). */
  readonly debts: DebtBook;
  /** Per swarm: the peers it unchoked last round (policy ids or stock ids), and its optimistic slot. */
  readonly served: Map<number, Set<number>>;
  readonly optimistic: Map<number, Optimistic>;
  /** Bytes sent to and received from each peer in the last round: what stock choking ranks by. */
  sentLast: Map<number, number>;
  recvLast: Map<number, number>;
  /** Its personalized view: a key's trusted standing, the giving rate (giving-rate.ts), and when they were computed. */
  view: { at: number; standing: (key: string) => bigint; rate: number | undefined } | undefined;
  /** Set when a seeder refused it this round (a whitewasher then takes a fresh key). */
  refused: boolean;
  /** Circuits through it (relays and exits). */
  readonly circuits: Circuit[];
  mining: { state: MiningState; files: Map<number, MinedFile> } | undefined;
  readonly stats: PeerStats;
}

export interface Swarm {
  readonly file: number;
  readonly size: number;
  readonly infoHash: string;
  /** Online members (leechers and seeders), with swap-remove positions. */
  readonly members: number[];
  readonly pos: Map<number, number>;
  readonly conns: Map<number, Set<number>>;
  /** When leechers joined, for the demand an announcer reports (pruned to DEMAND_WINDOW_MS). */
  joins: { at: number; peer: number }[];
  leechers: number;
}

export interface World {
  readonly peers: Peer[];
  readonly swarms: Swarm[];
  readonly zipf: Zipf;
  /** Keys by class, sinks of Sybil rings included: what the conservation check sums. */
  readonly classKeys: Map<PeerClass, Set<string>>;
  readonly keyClass: Map<string, PeerClass>;
}

/** Builds peers (classes in a seeded shuffle, capacities drawn) and files (sizes drawn, Zipf ranks). */
export function buildWorld(mix: Mix, peerCount: number, random: Random, now: () => number): World {
  const counts = classCounts(mix, peerCount);
  const classes: PeerClass[] = [...counts].flatMap(([c, n]) => Array.from({ length: n }, () => c));
  for (let i = classes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [classes[i], classes[j]] = [classes[j]!, classes[i]!];
  }
  const classKeys = new Map<PeerClass, Set<string>>();
  const keyClass = new Map<string, PeerClass>();
  const peers = classes.map((cls, id): Peer => {
    const { up, down } = drawCapacity(random);
    const key = `p${id}`;
    if (!classKeys.has(cls)) classKeys.set(cls, new Set());
    classKeys.get(cls)!.add(key);
    keyClass.set(key, cls);
    return {
      id,
      cls,
      traits: TRAITS[cls],
      up,
      down,
      key,
      keys: [key],
      online: false,
      epoch: 0,
      library: [],
      has: new Set(),
      seeding: new Set(),
      downloads: new Map(),
      debts: new DebtBook(now),
      served: new Map(),
      optimistic: new Map(),
      sentLast: new Map(),
      recvLast: new Map(),
      view: undefined,
      refused: false,
      circuits: [],
      mining: undefined,
      stats: { downloaded: 0, uploaded: 0, downloadingMs: 0, completions: 0, completionMs: [], carried: 0 },
    };
  });
  const fileCount = Math.max(4, Math.round(peerCount * FILES_PER_PEER));
  const swarms = Array.from({ length: fileCount }, (_, file): Swarm => {
    const size = Math.round(Math.min(FILE_MAX_BYTES, Math.max(FILE_MIN_BYTES, logNormal(random, FILE_MEDIAN_BYTES, FILE_SIGMA))));
    return { file, size, infoHash: file.toString(16).padStart(40, '0'), members: [], pos: new Map(), conns: new Map(), joins: [], leechers: 0 };
  });
  return { peers, swarms, zipf: new Zipf(fileCount, ZIPF_EXPONENT), classKeys, keyClass };
}

/** Adds a peer to a swarm and connects it to up to MAX_CONNECTIONS random members (both ways). */
export function joinSwarm(s: Swarm, peer: number, random: Random): void {
  if (s.pos.has(peer)) return;
  const mine = new Set<number>();
  const n = s.members.length;
  for (let tries = 0; tries < 3 * MAX_CONNECTIONS && mine.size < Math.min(MAX_CONNECTIONS, n); tries++) mine.add(s.members[Math.floor(random() * n)]!);
  s.pos.set(peer, n);
  s.members.push(peer);
  s.conns.set(peer, mine);
  for (const other of mine) s.conns.get(other)!.add(peer);
}

export function leaveSwarm(s: Swarm, peer: number): void {
  const at = s.pos.get(peer);
  if (at === undefined) return;
  const last = s.members.pop()!;
  if (last !== peer) {
    s.members[at] = last;
    s.pos.set(last, at);
  }
  s.pos.delete(peer);
  for (const other of s.conns.get(peer)!) s.conns.get(other)?.delete(peer);
  s.conns.delete(peer);
}
