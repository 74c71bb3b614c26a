/**
 * The catalogue of swarms this peer knows of (pure; clock and signature
 * check injected): the newest valid record of each (infohash, announcer),
 * bounded in total and per announcer, and per infohash an aggregate that no
 * single announcer can inflate. Records arrive from any neighbour, so each is
 * judged on its own; only a record that is new here is passed on, so gossip
 * floods end.
 *
 * Aggregate rule (SwarmInfo): each announcer's counts are capped (a browser
 * cannot see more than MAX_CLAIMED_PEERS peers or MAX_CLAIMED_DEMAND
 * downloaders), then the LOWER MEDIAN across announcers is taken. Not the sum:
 * announcers of one swarm see mostly the same peers, so sums double-count.
 * Not the max: one liar would set it. The lower median moves only if at least
 * half of the announcers claim more, so one announcer alone can raise a
 * swarm's figures to at most what it may claim (the cap) and only when it is
 * the sole announcer; with two announcers the lower of the two counts.
 * Name, size and file count are those claimed by the most announcers (ties: the
 * newest claim), so one announcer cannot rename a swarm others describe.
 */
import { toHex } from '../codec/bytes.ts';
import {
  ANNOUNCER_BURST,
  ANNOUNCER_REFILL_PER_MINUTE,
  MAX_CATALOGUE_RECORDS,
  MAX_CLAIMED_DEMAND,
  MAX_CLAIMED_PEERS,
  MAX_CLOCK_SKEW_MS,
  MAX_RECORDS_PER_ANNOUNCER,
  MAX_TRACKED_ANNOUNCERS,
} from './constants.ts';
import { KeyedRate } from './rate.ts';
import { recordSigningBytes, type SwarmRecord } from './swarm-record-wire.ts';

/**
 * 'new': kept (replaces the announcer's older record of the swarm), pass it on;
 * 'known': this very record is held; 'stale': a newer one of the announcer is held;
 * 'expired' / 'future': outside its validity (or dated beyond MAX_CLOCK_SKEW_MS ahead);
 * 'rate': the announcer holds its share of records or placed too many lately;
 * 'full': the catalogue is full of records kept before this one; 'invalid': bad signature.
 */
export type OfferResult = 'new' | 'known' | 'stale' | 'expired' | 'future' | 'rate' | 'full' | 'invalid';

export interface SwarmInfo {
  /** Lowercase hex, as WebTorrent names torrents. */
  infoHash: string;
  name: string;
  size: number;
  files: number;
  seeders: number;
  leechers: number;
  /** Distinct downloaders seen in the last DEMAND_WINDOW_MS, as combined across announcers. */
  demand: number;
  announcers: number;
  /** Newest issuedAt among the announcers' records (ms). */
  lastSeen: number;
}

export interface CatalogueLimits {
  maxRecords: number;
  maxPerAnnouncer: number;
  announcerBurst: number;
  announcerPerMinute: number;
}

export interface CatalogueDeps {
  now(): number;
  /** The project's one signature rule (strict RFC 8032). */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** Our own key: our records are neither rate-limited nor evicted. */
  ownKey?: Uint8Array | undefined;
  limits?: Partial<CatalogueLimits> | undefined;
}

export type CatalogueChange = { infoHash: string; put: SwarmRecord } | { infoHash: string; removed: SwarmRecord };

export const DEFAULT_LIMITS: CatalogueLimits = {
  maxRecords: MAX_CATALOGUE_RECORDS,
  maxPerAnnouncer: MAX_RECORDS_PER_ANNOUNCER,
  announcerBurst: ANNOUNCER_BURST,
  announcerPerMinute: ANNOUNCER_REFILL_PER_MINUTE,
};

/** The lower median: with an even count, the smaller middle value (two announcers: the lower claim). */
export function lowerMedian(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The aggregate of one swarm's live records (see the rule at the top of the file); undefined when none. */
export function aggregate(records: readonly SwarmRecord[]): SwarmInfo | undefined {
  const first = records[0];
  if (first === undefined) return undefined;
  const claims = new Map<string, { count: number; newest: SwarmRecord }>();
  for (const r of records) {
    const key = JSON.stringify([r.name, r.size, r.files]);
    const c = claims.get(key);
    if (c === undefined) claims.set(key, { count: 1, newest: r });
    else {
      c.count++;
      if (r.issuedAt > c.newest.issuedAt) c.newest = r;
    }
  }
  const described = [...claims.values()].sort((a, b) => b.count - a.count || b.newest.issuedAt - a.newest.issuedAt)[0]!.newest;
  return {
    infoHash: toHex(first.infoHash),
    name: described.name,
    size: described.size,
    files: described.files,
    seeders: lowerMedian(records.map((r) => Math.min(r.seeders, MAX_CLAIMED_PEERS))),
    leechers: lowerMedian(records.map((r) => Math.min(r.leechers, MAX_CLAIMED_PEERS))),
    demand: lowerMedian(records.map((r) => Math.min(r.demand, MAX_CLAIMED_DEMAND))),
    announcers: records.length,
    lastSeen: Math.max(...records.map((r) => r.issuedAt)),
  };
}

const newestFirst = (a: SwarmRecord, b: SwarmRecord): number => b.issuedAt - a.issuedAt;

/**
 * What an offer's outcome says of the neighbour that sent it (src/net/gossip-scores.ts): a bad signature
 * is invalid whatever anyone holds; expiry, clock skew and our own limits say nothing of the sender.
 */
export function judgeRecord(outcome: OfferResult): 'new' | 'invalid' | 'other' {
  return outcome === 'new' ? 'new' : outcome === 'invalid' ? 'invalid' : 'other';
}

export class Catalogue {
  /** infohash hex → announcer hex → its newest record of that swarm. */
  private readonly bySwarm = new Map<string, Map<string, SwarmRecord>>();
  /** announcer hex → records it holds here. */
  private readonly perAnnouncer = new Map<string, number>();
  private count = 0;
  private readonly limits: CatalogueLimits;
  private readonly rate: KeyedRate;
  private readonly ownHex: string | undefined;
  private readonly listeners = new Set<(change: CatalogueChange) => void>();

  constructor(private readonly deps: CatalogueDeps) {
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
    this.rate = new KeyedRate({ burst: this.limits.announcerBurst, perMinute: this.limits.announcerPerMinute, maxKeys: MAX_TRACKED_ANNOUNCERS }, deps.now);
    this.ownHex = deps.ownKey === undefined ? undefined : toHex(deps.ownKey);
  }

  /** Takes a record from the network; 'new' means it was kept and should be passed on. */
  offer(r: SwarmRecord): OfferResult {
    return this.place(r, true);
  }

  /** Puts back records from our own storage (checked when they first arrived): no signature check, no rate. */
  restore(records: readonly SwarmRecord[]): number {
    return records.filter((r) => this.place(r, false) === 'new').length;
  }

  onChange(listener: (change: CatalogueChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every swarm with a live record, as aggregates. */
  swarms(): SwarmInfo[] {
    return [...this.bySwarm.keys()].map((ih) => this.swarm(ih)).filter((s): s is SwarmInfo => s !== undefined);
  }

  swarm(infoHash: string): SwarmInfo | undefined {
    return aggregate(this.recordsOf(infoHash));
  }

  /** A swarm's live records, newest first. */
  recordsOf(infoHash: string): SwarmRecord[] {
    const now = this.deps.now();
    return [...(this.bySwarm.get(infoHash)?.values() ?? [])].filter((r) => r.expiresAt > now).sort(newestFirst);
  }

  /** What to tell a neighbour: the newest live records. */
  freshest(limit: number): SwarmRecord[] {
    const now = this.deps.now();
    return this.all()
      .filter((r) => r.expiresAt > now)
      .sort(newestFirst)
      .slice(0, limit);
  }

  /** Every record held (live or not yet pruned). */
  all(): SwarmRecord[] {
    return [...this.bySwarm.values()].flatMap((m) => [...m.values()]);
  }

  get size(): number {
    return this.count;
  }

  /** Records the announcer holds here. */
  heldBy(announcer: Uint8Array): number {
    return this.perAnnouncer.get(toHex(announcer)) ?? 0;
  }

  /** Drops the announcer's record of a swarm (ours, when the user stops announcing it). */
  forget(infoHash: string, announcer: Uint8Array): void {
    const r = this.bySwarm.get(infoHash)?.get(toHex(announcer));
    if (r !== undefined) this.remove(r);
  }

  /** Drops expired records; returns how many. */
  prune(): number {
    const now = this.deps.now();
    const gone = this.all().filter((r) => r.expiresAt <= now);
    for (const r of gone) this.remove(r);
    return gone.length;
  }

  private place(r: SwarmRecord, fromNetwork: boolean): OfferResult {
    // The cheap checks come first: replays, expired and over-limit records are turned away without a signature check.
    const now = this.deps.now();
    if (r.expiresAt <= now) return 'expired';
    if (r.issuedAt > now + MAX_CLOCK_SKEW_MS) return 'future';
    const ih = toHex(r.infoHash);
    const who = toHex(r.announcer);
    const held = this.bySwarm.get(ih)?.get(who);
    if (held !== undefined && held.issuedAt >= r.issuedAt) return held.issuedAt === r.issuedAt ? 'known' : 'stale';
    const own = who === this.ownHex;
    if (!own && held === undefined && (this.perAnnouncer.get(who) ?? 0) >= this.limits.maxPerAnnouncer) return 'rate';
    if (fromNetwork && !own && !this.rate.has(who)) return 'rate';
    if (held === undefined && this.count >= this.limits.maxRecords && this.makeRoom(r, who) === 'full') return 'full';
    if (fromNetwork && !this.deps.verify(r.signature, recordSigningBytes(r), r.announcer)) return 'invalid';
    // Taken only for a valid record: forgeries under someone's key must not use up that key's rate.
    if (fromNetwork && !own) this.rate.take(who);
    if (held !== undefined) this.remove(held, false);
    if (this.count >= this.limits.maxRecords && this.evictOne(who) === undefined) return 'full';
    let swarm = this.bySwarm.get(ih);
    if (swarm === undefined) this.bySwarm.set(ih, (swarm = new Map()));
    swarm.set(who, r);
    this.perAnnouncer.set(who, (this.perAnnouncer.get(who) ?? 0) + 1);
    this.count++;
    this.emit({ infoHash: ih, put: r });
    return 'new';
  }

  /** Before the signature check: whether a new record could be placed in a full catalogue (expired ones pruned first). */
  private makeRoom(incoming: SwarmRecord, who: string): 'room' | 'full' {
    if (this.prune() > 0) return 'room';
    return this.victim(who, incoming) === incoming ? 'full' : 'room';
  }

  /**
   * The record to drop for a new one of `incomingAnnouncer`: from the announcer
   * holding the most records here (counting the new one), its oldest (fewest
   * seeders among equals); our own records never. A flooding announcer thus
   * only ever displaces its own records, never others' while it holds more.
   */
  private victim(incomingAnnouncer: string, incoming?: SwarmRecord): SwarmRecord | undefined {
    let best: { r: SwarmRecord; held: number } | undefined;
    const candidates = incoming === undefined ? this.all() : [...this.all(), incoming];
    for (const r of candidates) {
      const who = toHex(r.announcer);
      if (who === this.ownHex) continue;
      const held = (this.perAnnouncer.get(who) ?? 0) + (who === incomingAnnouncer ? 1 : 0);
      if (best === undefined || held > best.held || (held === best.held && (r.issuedAt < best.r.issuedAt || (r.issuedAt === best.r.issuedAt && r.seeders < best.r.seeders)))) best = { r, held };
    }
    return best?.r;
  }

  private evictOne(incomingAnnouncer: string): SwarmRecord | undefined {
    const v = this.victim(incomingAnnouncer);
    if (v !== undefined) this.remove(v);
    return v;
  }

  private remove(r: SwarmRecord, notify = true): void {
    const ih = toHex(r.infoHash);
    const who = toHex(r.announcer);
    const swarm = this.bySwarm.get(ih);
    if (swarm?.get(who) !== r) return;
    swarm.delete(who);
    if (swarm.size === 0) this.bySwarm.delete(ih);
    const left = (this.perAnnouncer.get(who) ?? 1) - 1;
    if (left === 0) this.perAnnouncer.delete(who);
    else this.perAnnouncer.set(who, left);
    this.count--;
    if (notify) this.emit({ infoHash: ih, removed: r });
  }

  private emit(change: CatalogueChange): void {
    for (const l of this.listeners) l(change);
  }
}
