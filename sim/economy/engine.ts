/**
 * Pure: the economy experiment's discrete-event engine. Peers arrive and leave (Poisson sessions),
 * pick files by Zipf popularity, join swarms, and every TICK_MS the swarms exchange data
 * (transfer.ts); private downloads go over circuits admitted by the relays' own rule
 * (src/circuits/admission.ts); miners follow the mining policy (src/mining/mining-policy.ts) every
 * MINING_DECIDE_MS; whitewashers take a fresh key when refused; Sybil rings mint at the start. Only
 * network and time are simulated; every decision is the app's module. Deterministic given the seed.
 */
import { admit, type AdmissionConfig } from '../../src/circuits/admission.ts';
import { MAX_RELAYED_CIRCUITS, RELAY_NEWCOMER_CHAIN_LENGTH, RELAY_NEWCOMER_SHARE } from '../../src/circuits/constants.ts';
import { DEMAND_WINDOW_MS } from '../../src/discovery/constants.ts';
import { createMiningState, decideMining, DEFAULT_MINING_SETTINGS, type MinedPosition, type SwarmInfo } from '../../src/mining/mining-policy.ts';
import { seededRandom } from '../../src/reputation/prng.ts';
import { MIN_SETTLEMENT_BYTES } from '../../src/sharing/constants.ts';
import { judgedBalance, mint, settle, type Books, type Judging } from './accounting.ts';
import type { PeerClass } from './classes.ts';
import {
  ALWAYS_ON_SESSION_FACTOR,
  HOUR,
  INITIAL_SEEDERS_PER_FILE,
  MAX_SEEDING,
  MINING_DECIDE_MS,
  OFFLINE_MEAN_MS,
  PRIVATE_SHARE,
  SAMPLE_MS,
  SESSION_MEAN_MS,
  SYBIL_MINT_BLOCKS,
  SYBIL_MINT_BYTES,
  SYBIL_RING_SIZE,
  THINK_MEAN_MS,
  TICK_MS,
  TWO_HOP_SHARE,
} from './constants.ts';
import { exponential } from './distributions.ts';
import { EventQueue } from './event-queue.ts';
import { SimLedger } from './ledger.ts';
import { buildWorld, joinSwarm, leaveSwarm, type Circuit, type Download, type Peer, type Swarm, type World } from './model.ts';
import type { EconomyScenario } from './scenarios.ts';
import { step, type StepContext } from './transfer.ts';

/** The relays' admission rule as relay-admission.ts configures it (its constant is module-private; the figures are the same constants). */
const ADMISSION: AdmissionConfig = { capacity: MAX_RELAYED_CIRCUITS, newcomerShare: RELAY_NEWCOMER_SHARE, newcomerChainLength: RELAY_NEWCOMER_CHAIN_LENGTH };
/** The miner's settings: the defaults, switched on. */
const MINING_SETTINGS = { ...DEFAULT_MINING_SETTINGS, enabled: true };
/** Tries at drawing a file the peer neither holds nor is fetching before it gives up for this round. */
const PICK_TRIES = 10;

export interface EconomyOptions {
  readonly scenario: EconomyScenario;
  readonly peers: number;
  readonly seed: number;
  readonly hours: number;
  /** The sharing policy on (the app) or off (every peer served as stock WebTorrent serves). */
  readonly policy: boolean;
}

type Event =
  | { kind: 'arrive'; peer: Peer }
  | { kind: 'depart'; peer: Peer; epoch: number }
  | { kind: 'fetch'; peer: Peer; epoch: number }
  | { kind: 'tick' }
  | { kind: 'mine' }
  | { kind: 'sample' };

export interface Sample {
  readonly t: number;
  /** Each person's real balance (all its keys), by class; stock clients keep no ledger and are left out. */
  readonly balances: Map<PeerClass, number[]>;
  readonly online: number;
}

export interface CircuitCounts {
  built: number;
  refused: number;
  cut: number;
  direct: number;
}

export class Economy implements StepContext {
  readonly ledger = new SimLedger();
  readonly world: World;
  readonly policy: boolean;
  readonly judge: Judging;
  readonly random: () => number;
  readonly credited = new Map<PeerClass, number>();
  readonly debited = new Map<PeerClass, number>();
  readonly received = new Map<PeerClass, number>();
  readonly flows = new Map<PeerClass, Map<PeerClass, number>>();
  readonly samples: Sample[] = [];
  readonly circuitCounts: CircuitCounts = { built: 0, refused: 0, cut: 0, direct: 0 };
  readonly rings: { sink: string; members: Peer[] }[] = [];
  whitewashes = 0;
  moved = 0;
  private readonly queue = new EventQueue<Event>();
  private readonly horizon: number;

  constructor(readonly options: EconomyOptions) {
    this.random = seededRandom(options.seed);
    this.policy = options.policy;
    this.judge = options.scenario.judge;
    this.horizon = options.hours * HOUR;
    this.world = buildWorld(options.scenario.mix, options.peers, this.random, () => this.now());
    this.setUp();
  }

  now(): number {
    return this.queue.now;
  }

  private setUp(): void {
    const { peers, swarms } = this.world;
    const holders = peers.filter((p) => p.traits.seeds);
    for (const s of swarms) {
      for (let i = 0; i < INITIAL_SEEDERS_PER_FILE && holders.length > 0; i++) {
        const p = holders[Math.floor(this.random() * holders.length)]!;
        if (!p.has.has(s.file)) this.addToLibrary(p, s.file);
      }
    }
    const sybils = peers.filter((p) => p.cls === 'sybil');
    for (let r = 0; r * SYBIL_RING_SIZE < sybils.length; r++) {
      const members = sybils.slice(r * SYBIL_RING_SIZE, (r + 1) * SYBIL_RING_SIZE);
      const sink = `sink${r}`;
      this.world.classKeys.get('sybil')!.add(sink);
      this.world.keyClass.set(sink, 'sybil');
      for (const m of members) for (let b = 0; b < SYBIL_MINT_BLOCKS; b++) mint(this, sink, m.key, Number(SYBIL_MINT_BYTES) / SYBIL_MINT_BLOCKS);
      this.rings.push({ sink, members });
    }
    for (const p of peers) {
      if (p.cls === 'miner') p.mining = { state: createMiningState(), files: new Map() };
      // The stationary start of an on/off process: online with probability session ÷ (session + gap).
      const session = this.sessionMean(p);
      if (this.random() < session / (session + OFFLINE_MEAN_MS)) this.queue.push(0, { kind: 'arrive', peer: p });
      else this.queue.push(exponential(this.random, OFFLINE_MEAN_MS), { kind: 'arrive', peer: p });
    }
    this.queue.push(0, { kind: 'sample' });
    this.queue.push(TICK_MS, { kind: 'tick' });
    if (peers.some((p) => p.cls === 'miner')) this.queue.push(MINING_DECIDE_MS, { kind: 'mine' });
  }

  private sessionMean(p: Peer): number {
    return p.traits.alwaysOn ? SESSION_MEAN_MS * ALWAYS_ON_SESSION_FACTOR : SESSION_MEAN_MS;
  }

  /** Runs to the horizon. */
  run(): this {
    for (let e = this.queue.pop(); e !== undefined && e.at <= this.horizon; e = this.queue.pop()) this.handle(e.event);
    return this;
  }

  private later(delay: number, event: Event): void {
    const at = this.now() + delay;
    if (at <= this.horizon) this.queue.push(at, event);
  }

  private handle(e: Event): void {
    switch (e.kind) {
      case 'arrive':
        return this.arrive(e.peer);
      case 'depart':
        if (e.peer.online && e.peer.epoch === e.epoch) this.depart(e.peer);
        return;
      case 'fetch':
        if (e.peer.online && e.peer.epoch === e.epoch) this.fetch(e.peer);
        return;
      case 'tick':
        this.tick();
        return this.later(TICK_MS, e);
      case 'mine':
        this.mine();
        return this.later(MINING_DECIDE_MS, e);
      case 'sample':
        this.sample();
        return this.later(SAMPLE_MS, e);
    }
  }

  private arrive(p: Peer): void {
    p.online = true;
    p.epoch++;
    this.later(exponential(this.random, this.sessionMean(p)), { kind: 'depart', peer: p, epoch: p.epoch });
    for (const f of p.seeding) joinSwarm(this.world.swarms[f]!, p.id, this.random);
    for (const f of p.mining?.files.keys() ?? []) if (p.has.has(f)) joinSwarm(this.world.swarms[f]!, p.id, this.random);
    for (const d of p.downloads.values()) this.joinAsLeecher(d, false);
    if (p.traits.downloads && this.userDownload(p) === undefined) this.later(exponential(this.random, THINK_MEAN_MS), { kind: 'fetch', peer: p, epoch: p.epoch });
  }

  private depart(p: Peer): void {
    for (const d of p.downloads.values()) {
      this.settleAll(d, MIN_SETTLEMENT_BYTES);
      this.dropCircuit(d);
      this.leaveAsLeecher(d);
    }
    for (const f of p.has) leaveSwarm(this.world.swarms[f]!, p.id);
    for (const c of [...p.circuits]) this.cut(c, true);
    p.online = false;
    p.view = undefined;
    this.later(exponential(this.random, OFFLINE_MEAN_MS), { kind: 'arrive', peer: p });
  }

  private userDownload(p: Peer): Download | undefined {
    for (const d of p.downloads.values()) if (!d.mined) return d;
    return undefined;
  }

  /** A user picks its next file (Zipf) and starts fetching it, over a circuit for some private users. */
  private fetch(p: Peer): void {
    if (this.userDownload(p) !== undefined) return;
    for (let i = 0; i < PICK_TRIES; i++) {
      const file = this.world.zipf.draw(this.random);
      if (p.has.has(file) || p.downloads.has(file)) continue;
      const d: Download = { peer: p, file, have: 0, started: this.now(), activeMs: 0, mined: false, circuit: undefined, owes: new Map() };
      p.downloads.set(file, d);
      this.joinAsLeecher(d, p.traits.private && this.random() < PRIVATE_SHARE);
      return;
    }
    this.later(exponential(this.random, THINK_MEAN_MS), { kind: 'fetch', peer: p, epoch: p.epoch });
  }

  private joinAsLeecher(d: Download, privately: boolean): void {
    const s = this.world.swarms[d.file]!;
    if (privately || d.circuit !== undefined) {
      d.circuit = undefined;
      this.buildCircuit(d);
    }
    joinSwarm(s, d.peer.id, this.random);
    s.leechers++;
    s.joins.push({ at: this.now(), peer: d.peer.id });
  }

  private leaveAsLeecher(d: Download): void {
    const s = this.world.swarms[d.file]!;
    if (!s.pos.has(d.peer.id)) return;
    s.leechers--;
    const p = d.peer;
    // It stays as a seeder of what it seeds (a user's recent files, a miner's finished swarms).
    if (!p.seeding.has(d.file) && !(p.mining?.files.has(d.file) === true && p.has.has(d.file))) leaveSwarm(s, p.id);
  }

  /** Pays a download's seeders what it owes them (at least `min` bytes each; the rest stays unpaid in their books). */
  private settleAll(d: Download, min: number): void {
    for (const [seederId, bytes] of d.owes) if (bytes >= min) settle(this, this.world.peers[seederId]!, d, bytes);
    d.owes.clear();
  }

  private buildCircuit(d: Download): void {
    const online = (cls: PeerClass) => this.world.peers.filter((p) => p.cls === cls && p.online);
    const exits = online('exit');
    const relays = online('relay');
    const path: Peer[] = [];
    if (relays.length > 0 && this.random() < TWO_HOP_SHARE) path.push(relays[Math.floor(this.random() * relays.length)]!);
    if (exits.length === 0) {
      this.circuitCounts.direct++;
      return;
    }
    path.push(exits[Math.floor(this.random() * exits.length)]!);
    const places = new Map<Peer, { newcomer: boolean; balance: bigint }>();
    const evictions: Circuit[] = [];
    for (const hop of path) {
      const holders = hop.circuits.map((c) => ({ id: String(hop.circuits.indexOf(c)), ...c.places.get(hop)! }));
      const requester = { fraudster: false, balance: this.policy ? judgedBalance(this, hop, d.peer.key) : 0n, chainLength: this.ledger.of(d.peer.key).chain };
      const decision = this.policy ? admit(requester, holders, ADMISSION, this.random) : holders.length < ADMISSION.capacity ? { admit: true as const, newcomer: false, balance: 0n } : { admit: false as const };
      if (!decision.admit) {
        this.circuitCounts.refused++;
        this.circuitCounts.direct++;
        return;
      }
      places.set(hop, { newcomer: decision.newcomer, balance: decision.balance });
      if ('evict' in decision && decision.evict !== undefined) evictions.push(hop.circuits[Number(decision.evict)]!);
    }
    for (const c of evictions) this.cut(c, false);
    const circuit: Circuit = { download: d, relay: path.length === 2 ? path[0] : undefined, exit: path.at(-1)!, places };
    for (const hop of path) hop.circuits.push(circuit);
    d.circuit = circuit;
    this.circuitCounts.built++;
  }

  private dropCircuit(d: Download): void {
    const c = d.circuit;
    if (c === undefined) return;
    for (const hop of c.places.keys()) hop.circuits.splice(hop.circuits.indexOf(c), 1);
    d.circuit = undefined;
  }

  /** A hop left or evicted the circuit: its download settles under the old path and goes on direct. */
  private cut(c: Circuit, rebuild: boolean): void {
    const d = c.download;
    this.settleAll(d, 1);
    this.dropCircuit(d);
    this.circuitCounts.cut++;
    if (rebuild && d.peer.online) this.buildCircuit(d);
  }

  private addToLibrary(p: Peer, file: number): void {
    p.has.add(file);
    p.library.push(file);
    if (!p.traits.seeds) return;
    p.seeding.add(file);
    if (p.seeding.size > MAX_SEEDING) {
      const oldest = p.seeding.values().next().value!;
      p.seeding.delete(oldest);
      if (p.online) leaveSwarm(this.world.swarms[oldest]!, p.id);
    }
  }

  private tick(): void {
    const active = this.world.swarms.filter((s) => s.leechers > 0);
    this.moved += step(this, active);
    for (const p of this.world.peers) {
      if (!p.online) continue;
      if (p.downloads.size === 0 && !p.refused) continue;
      for (const d of [...p.downloads.values()]) {
        d.activeMs += TICK_MS;
        if (!d.mined) p.stats.downloadingMs += TICK_MS;
        if (d.have >= this.world.swarms[d.file]!.size) this.complete(d);
      }
      if (p.refused && p.traits.whitewashes) this.whitewash(p);
      p.refused = false;
    }
  }

  private complete(d: Download): void {
    const p = d.peer;
    this.settleAll(d, 1);
    this.dropCircuit(d);
    p.downloads.delete(d.file);
    if (!d.mined) {
      p.stats.completions++;
      p.stats.completionMs.push(d.activeMs);
    }
    this.addToLibrary(p, d.file);
    this.leaveAsLeecher(d);
    if (!d.mined && p.traits.downloads) this.later(exponential(this.random, THINK_MEAN_MS), { kind: 'fetch', peer: p, epoch: p.epoch });
  }

  /** A fresh key: a new chain, no balance, no debts; what it owed under the old key stays unpaid there. */
  private whitewash(p: Peer): void {
    for (const d of p.downloads.values()) d.owes.clear();
    p.key = `p${p.id}.${p.keys.length}`;
    p.keys.push(p.key);
    this.world.classKeys.get(p.cls)!.add(p.key);
    this.world.keyClass.set(p.key, p.cls);
    this.whitewashes++;
  }

  /** Every miner asks the mining policy what to join and drop, with the swarms as announcers report them. */
  private mine(): void {
    const now = this.now();
    const candidates: SwarmInfo[] = [];
    for (const s of this.world.swarms) {
      s.joins = s.joins.filter((j) => now - j.at <= DEMAND_WINDOW_MS);
      if (s.members.length === 0) continue;
      let seeders = 0;
      for (const id of s.members) if (this.world.peers[id]!.has.has(s.file)) seeders++;
      const demand = new Set(s.joins.map((j) => j.peer)).size;
      candidates.push({ infoHash: s.infoHash, name: `file ${s.file}`, size: s.size, files: 1, seeders, leechers: s.leechers, demand, announcers: 1, lastSeen: now });
    }
    for (const p of this.world.peers) {
      if (p.mining === undefined || !p.online) continue;
      // Swarms without demand are never joined (demand must exceed seeders); held ones must be listed, or they read as no longer announced.
      const listed = candidates.filter((c) => c.demand > 0 || p.mining!.files.has(parseInt(c.infoHash, 16)));
      const positions: MinedPosition[] = [...p.mining.files].map(([f, m]) => ({
        infohash: this.world.swarms[f]!.infoHash,
        size: this.world.swarms[f]!.size,
        joinedAt: m.joinedAt,
        state: p.has.has(f) ? 'seeding' : 'downloading',
        paid: BigInt(m.paid),
        earned: BigInt(m.earned),
      }));
      const outcome = decideMining(p.mining.state, { settings: MINING_SETTINGS, candidates: listed, positions, balance: BigInt(this.ledger.raw(p.key)) }, { now, random: this.random });
      p.mining.state = outcome.state;
      for (const decision of outcome.decisions) {
        const file = parseInt(decision.infohash, 16);
        if (decision.kind === 'join') {
          if (p.mining.files.has(file) || p.has.has(file)) continue;
          p.mining.files.set(file, { joinedAt: now, paid: 0, earned: 0 });
          const d: Download = { peer: p, file, have: 0, started: now, activeMs: 0, mined: true, circuit: undefined, owes: new Map() };
          p.downloads.set(file, d);
          this.joinAsLeecher(d, false);
        } else {
          const d = p.downloads.get(file);
          if (d !== undefined) {
            this.settleAll(d, MIN_SETTLEMENT_BYTES);
            this.leaveAsLeecher(d);
            p.downloads.delete(file);
          }
          p.has.delete(file);
          leaveSwarm(this.world.swarms[file]!, p.id);
          p.mining.files.delete(file);
        }
      }
    }
  }

  private sample(): void {
    const balances = new Map<PeerClass, number[]>();
    let online = 0;
    for (const p of this.world.peers) {
      if (p.online) online++;
      if (!p.traits.extension) continue;
      let real = 0;
      for (const k of p.keys) real += this.ledger.real(k);
      if (!balances.has(p.cls)) balances.set(p.cls, []);
      balances.get(p.cls)!.push(real);
    }
    this.samples.push({ t: this.now(), balances, online });
  }
}
