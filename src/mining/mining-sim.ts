/**
 * Pure: a discrete-time simulation of demand against the credit-mining policy. No clock, no I/O;
 * deterministic given the seed.
 *
 * Each tick: the policy decides (with the swarms as an announcer would report them) and its
 * decisions are applied; leechers arrive per the swarm's pattern (Poisson), each downloads the file
 * once and then seeds it for a while; every leecher's bytes are split evenly among the swarm's
 * seeders, the miner's share bounded by its upload cap; the miner pays for every byte it downloads
 * (its cost is the size) and earns every byte it uploads.
 */
import { seededRandom } from '../reputation/prng.ts';
import { DEFAULT_MINING_RULES, type MiningRules } from './constants.ts';
import { createMiningState, decideMining, type MinedPosition, type MiningDecision, type SwarmInfo } from './mining-policy.ts';
import { DEFAULT_MINING_SETTINGS, type MiningSettings } from './settings.ts';

const MiB = 1024 * 1024;
const HOUR = 3_600_000;

/** One tick: the glue's decision period (DECIDE_EVERY_MS). */
export const SIM_TICK_MS = 60_000;
/** Three days: three payback windows, long enough to see a loser dropped and a winner pay back. */
export const SIM_HORIZON_MS = 72 * HOUR;
/** The announcers' demand window: downloaders seen in the last hour. */
export const DEMAND_WINDOW_MS = HOUR;
/** A leecher's download rate (and the miner's): a fast tab-to-tab link. */
export const DOWNLOAD_BYTES_PER_SEC = 2 * MiB;
/** A finished leecher seeds this long before leaving; lingering seeders take part of the miner's share. */
export const LINGER_MS = 15 * 60_000;
/** The series keeps one point per this many ticks (ten minutes), enough for a chart. */
const SAMPLE_EVERY_TICKS = 10;

export type DemandPattern = 'rising' | 'flat' | 'none' | 'over-seeded';

export interface SimSwarm {
  infohash: string;
  name: string;
  size: number;
  /** Seeders other than the miner and the leechers that finished. */
  seeders: number;
  /** New leechers per hour at simulated time t (ms). */
  ratePerHour: (t: number) => number;
  /** Downloaders seen in the demand window before the start (a burst that is over). */
  pastDemand?: number;
  /** Demand the announcers claim whatever really arrives (a lying announcer); unset: the real count. */
  claimedDemand?: number;
}

export interface SimConfig {
  swarms: readonly SimSwarm[];
  settings: MiningSettings;
  seed: number;
  startBalance?: bigint;
  horizonMs?: number;
  /** Switch mining off at this time (ms). */
  switchOffAt?: number;
  rules?: MiningRules;
}

export interface SimResult {
  /** Mining's net tokens (earned − paid, bytes) over time (hours). */
  series: { t: number; net: number }[];
  invested: bigint;
  earned: bigint;
  net: bigint;
  /** The lowest net reached: the most mining was ever down. */
  worstNet: bigint;
  joined: number;
  dropped: number;
  /** Every decision, with its time. */
  log: (MiningDecision & { t: number })[];
  /** Swarms held at the end. */
  heldAtEnd: number;
}

const hex = (i: number): string => i.toString(16).padStart(40, '0');
const SIZES = [64, 128, 192, 256].map((m) => m * MiB);

/** Four swarms (64–256 MiB) per pattern. */
export function patternSwarms(pattern: DemandPattern, horizonMs = SIM_HORIZON_MS): SimSwarm[] {
  const offset = { rising: 0x100, flat: 0x200, none: 0x300, 'over-seeded': 0x400 }[pattern];
  const make = (seeders: number, ratePerHour: (t: number) => number, pastDemand = 0): SimSwarm[] =>
    SIZES.map((size, i) => ({ infohash: hex(offset + i), name: `${pattern} ${size / MiB} MiB`, size, seeders, ratePerHour, pastDemand }));
  switch (pattern) {
    case 'rising': // a new release catching on: 2 → 40 downloaders an hour, one seeder
      return make(1, (t) => 2 + (38 * t) / horizonMs);
    case 'flat': // steady demand: 20 an hour, two seeders
      return make(2, () => 20);
    case 'none': // a burst that ended just before the miner looked: it sees 12 recent downloaders, none come
      return make(1, () => 0, 12);
    case 'over-seeded': // 30 seeders for 6 downloaders an hour
      return make(30, () => 6);
  }
}

export const DEMAND_PATTERNS: readonly DemandPattern[] = ['rising', 'flat', 'none', 'over-seeded'];

/** The simulation's miner: the default settings, switched on. */
export const SIM_SETTINGS: MiningSettings = { ...DEFAULT_MINING_SETTINGS, enabled: true };

function poisson(mean: number, random: () => number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random(); p > limit; p *= random()) k++;
  return k;
}

interface SwarmRun {
  def: SimSwarm;
  /** Arrival times in the demand window. */
  arrivals: number[];
  leechers: number[]; // bytes still to download, per active leecher
  lingering: number[]; // when each finished leecher leaves
}

export function simulate(config: SimConfig): SimResult {
  const rules = config.rules ?? DEFAULT_MINING_RULES;
  const horizon = config.horizonMs ?? SIM_HORIZON_MS;
  const random = seededRandom(config.seed);
  const tickBytes = (DOWNLOAD_BYTES_PER_SEC * SIM_TICK_MS) / 1000;
  const runs: SwarmRun[] = config.swarms.map((def) => ({
    def,
    // The past burst, spread evenly over the demand window before the start.
    arrivals: Array.from({ length: def.pastDemand ?? 0 }, (_, i) => -DEMAND_WINDOW_MS + ((i + 0.5) * DEMAND_WINDOW_MS) / (def.pastDemand ?? 1)),
    leechers: [],
    lingering: [],
  }));
  let state = createMiningState();
  const positions = new Map<string, MinedPosition>();
  let paidTotal = 0n;
  let earnedTotal = 0n;
  let worstNet = 0n;
  const series: SimResult['series'] = [];
  const log: SimResult['log'] = [];

  for (let tick = 0, t = 0; t <= horizon; tick++, t += SIM_TICK_MS) {
    const settings = config.switchOffAt !== undefined && t >= config.switchOffAt ? { ...config.settings, enabled: false } : config.settings;

    // What announcers would report now; the miner counts as a downloader while it downloads.
    const candidates: SwarmInfo[] = runs.map((r) => {
      r.arrivals = r.arrivals.filter((a) => a > t - DEMAND_WINDOW_MS);
      r.lingering = r.lingering.filter((until) => until > t);
      const mine = positions.get(r.def.infohash);
      return {
        infoHash: r.def.infohash,
        name: r.def.name,
        size: r.def.size,
        files: 1,
        seeders: r.def.seeders + r.lingering.length + (mine?.state === 'seeding' ? 1 : 0),
        leechers: r.leechers.length + (mine?.state === 'downloading' ? 1 : 0),
        demand: r.def.claimedDemand ?? r.arrivals.length + (mine?.state === 'downloading' ? 1 : 0),
        announcers: r.def.seeders,
        lastSeen: t,
      };
    });
    const balance = (config.startBalance ?? 0n) + earnedTotal - paidTotal;
    const outcome = decideMining(state, { settings, candidates, positions: [...positions.values()], balance }, { now: t, random }, rules);
    state = outcome.state;
    for (const d of outcome.decisions) {
      log.push({ ...d, t });
      const def = runs.find((r) => r.def.infohash === d.infohash)!.def;
      if (d.kind === 'join') positions.set(d.infohash, { infohash: d.infohash, size: def.size, joinedAt: t, state: 'downloading', paid: 0n, earned: 0n });
      else positions.delete(d.infohash);
    }

    // Leechers arrive, download (the miner earning its share), finish and linger.
    const shares = new Map<string, number>();
    for (const r of runs) {
      const arrived = poisson((r.def.ratePerHour(t) * SIM_TICK_MS) / HOUR, random);
      for (let i = 0; i < arrived; i++) {
        r.arrivals.push(t);
        r.leechers.push(r.def.size);
      }
      const minerSeeds = positions.get(r.def.infohash)?.state === 'seeding';
      const sources = r.def.seeders + r.lingering.length + (minerSeeds ? 1 : 0);
      let share = 0;
      r.leechers = r.leechers.flatMap((left) => {
        const got = Math.min(left, tickBytes);
        if (minerSeeds && sources > 0) share += got / sources;
        if (got < left) return [left - got];
        r.lingering.push(t + LINGER_MS);
        return [];
      });
      if (share > 0) shares.set(r.def.infohash, share);
    }
    const capBytes = (config.settings.uploadCapBytesPerSec * SIM_TICK_MS) / 1000;
    const totalShare = [...shares.values()].reduce((a, b) => a + b, 0);
    const scale = totalShare > capBytes ? capBytes / totalShare : 1;
    for (const [ih, share] of shares) {
      const earned = BigInt(Math.floor(share * scale));
      const p = positions.get(ih)!;
      positions.set(ih, { ...p, earned: p.earned + earned });
      earnedTotal += earned;
    }

    // The miner downloads what it joined, paying for every byte.
    for (const [ih, p] of positions) {
      if (p.state !== 'downloading') continue;
      const r = runs.find((x) => x.def.infohash === ih)!;
      if (r.def.seeders + r.lingering.length === 0) continue;
      const got = BigInt(Math.min(p.size - Number(p.paid), tickBytes));
      paidTotal += got;
      const paid = p.paid + got;
      positions.set(ih, { ...p, paid, state: paid >= BigInt(p.size) ? 'seeding' : 'downloading' });
    }

    const net = earnedTotal - paidTotal;
    if (net < worstNet) worstNet = net;
    if (tick % SAMPLE_EVERY_TICKS === 0) series.push({ t: t / HOUR, net: Number(net) });
  }

  return {
    series,
    invested: paidTotal,
    earned: earnedTotal,
    net: earnedTotal - paidTotal,
    worstNet,
    joined: log.filter((d) => d.kind === 'join').length,
    dropped: log.filter((d) => d.kind === 'drop').length,
    log,
    heldAtEnd: positions.size,
  };
}

/** The four patterns of the issue, each with the simulation's miner. */
export function simulatePatterns(seed: number): Map<DemandPattern, SimResult> {
  return new Map(DEMAND_PATTERNS.map((p) => [p, simulate({ swarms: patternSwarms(p), settings: SIM_SETTINGS, seed })] as const));
}
