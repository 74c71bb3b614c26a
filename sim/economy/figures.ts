/**
 * Pure: the figures of one economy run (issue #17), from the engine's state at the horizon.
 *
 * Download rate of a class = bytes its users downloaded ÷ online time they spent with a download
 * running (stalls included: waiting for a seeder is part of the service). Completion time = online
 * time from request to the last byte. Share of upload = bytes a class received ÷ all bytes moved.
 * Balances are real (minted pairs left out), per person (a whitewasher's keys summed). The Gini
 * coefficient of signed balances (their sum is 0, so the usual mean is 0) is the mean absolute
 * difference over twice the mean absolute balance: the usual Gini for non-negative values, 0 when
 * all are equal, at most 1. Sybil gain = a ring member's download rate ÷ a free-rider's: what
 * minting buys over giving nothing without it.
 */
import type { Judging } from './accounting.ts';
import { NON_CONTRIBUTORS, PEER_CLASSES, type PeerClass } from './classes.ts';
import type { CircuitCounts, Economy } from './engine.ts';

export interface ClassFigures {
  peers: number;
  /** Bytes per second while downloading (user downloads only). */
  downloadRate: number;
  completions: number;
  /** Median online time to complete a download, minutes (null: none completed). */
  medianCompletionMin: number | null;
  downloaded: number;
  uploaded: number;
  /** Share of all bytes moved that this class received. */
  uploadShare: number;
  /** Sum of the class's real balances over all its keys, and what the pairs it took part in add up to. */
  balanceSum: number;
  ledgerNet: number;
  meanBalance: number;
  /** Tokens earned carrying circuits (relays, exits). */
  carried: number;
}

export interface SeriesPoint {
  hour: number;
  gini: number;
  online: number;
  classes: Partial<Record<PeerClass, { p10: number; p50: number; p90: number }>>;
}

export interface RunFigures {
  scenario: string;
  policy: 'on' | 'off';
  judge: Judging;
  peers: number;
  seed: number;
  hours: number;
  movedBytes: number;
  classes: Partial<Record<PeerClass, ClassFigures>>;
  /** Fraction of the network's upload received by free-riders, and by every class that gives nothing. */
  freeRiderShare: number;
  nonContributorShare: number;
  /** Who served whom: bytes by uploader class, then downloader class. */
  flows: Partial<Record<PeerClass, Partial<Record<PeerClass, number>>>>;
  sybil: { rings: number; members: number; mintedClaims: number; downloadRate: number; gainOverFreeRider: number | null };
  mining: { miners: number; paid: number; earned: number; net: number; positions: number };
  circuits: CircuitCounts;
  whitewashes: number;
  series: SeriesPoint[];
  /** Ledger invariants: the raw sum over all keys (0), and minted claims, reported apart. */
  ledger: { rawSum: number; realSum: number; bandwidth: number; payout: number; minted: number };
  finalGini: number;
}

/** Gini of signed values: mean absolute difference ÷ (2 × mean absolute value); 0 for no spread. */
export function signedGini(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  let absSum = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    absSum += Math.abs(sorted[i]!);
    weighted += (2 * i - n + 1) * sorted[i]!;
  }
  // Σ_i Σ_j |x_i − x_j| = 2 Σ_i (2i − n + 1) x_(i) over sorted values.
  return absSum === 0 ? 0 : (2 * weighted) / (2 * n * absSum);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function medianMinutes(ms: readonly number[]): number | null {
  if (ms.length === 0) return null;
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]! / 60_000;
}

export function figures(e: Economy): RunFigures {
  const { peers } = e.world;
  const moved = e.moved;
  const classes: Partial<Record<PeerClass, ClassFigures>> = {};
  for (const cls of PEER_CLASSES) {
    const members = peers.filter((p) => p.cls === cls);
    if (members.length === 0) continue;
    const downloaded = members.reduce((a, p) => a + p.stats.downloaded, 0);
    const userMs = members.reduce((a, p) => a + p.stats.downloadingMs, 0);
    const userBytes = members.reduce((a, p) => a + (p.mining === undefined ? p.stats.downloaded : 0), 0);
    let balanceSum = 0;
    for (const k of e.world.classKeys.get(cls) ?? []) balanceSum += e.ledger.raw(k);
    const realSum = members.reduce((a, p) => a + p.keys.reduce((b, k) => b + e.ledger.real(k), 0), 0);
    classes[cls] = {
      peers: members.length,
      downloadRate: userMs === 0 ? 0 : (userBytes / userMs) * 1000,
      completions: members.reduce((a, p) => a + p.stats.completions, 0),
      medianCompletionMin: medianMinutes(members.flatMap((p) => p.stats.completionMs)),
      downloaded,
      uploaded: members.reduce((a, p) => a + p.stats.uploaded, 0),
      uploadShare: moved === 0 ? 0 : (e.received.get(cls) ?? 0) / moved,
      balanceSum,
      ledgerNet: (e.credited.get(cls) ?? 0) - (e.debited.get(cls) ?? 0),
      meanBalance: realSum / members.length,
      carried: members.reduce((a, p) => a + p.stats.carried, 0),
    };
  }
  const share = (set: ReadonlySet<PeerClass>) => [...set].reduce((a, c) => a + (e.received.get(c) ?? 0), 0) / Math.max(1, moved);
  const sybilMembers = e.rings.flatMap((r) => r.members);
  const freeRate = classes['free-rider']?.downloadRate;
  const sybilRate = classes.sybil?.downloadRate ?? 0;
  const miners = peers.filter((p) => p.mining !== undefined);
  let paid = 0;
  let earned = 0;
  let positions = 0;
  for (const m of miners) {
    // Swarms still held count with those dropped: the policy's own account (spent, earned) holds the dropped ones.
    paid += Number(m.mining!.state.spent);
    earned += Number(m.mining!.state.earned);
    for (const f of m.mining!.files.values()) {
      paid += f.paid;
      earned += f.earned;
      positions++;
    }
  }
  let realSum = 0;
  for (const k of e.ledger.keys()) realSum += e.ledger.real(k);
  const series = e.samples.map((s): SeriesPoint => {
    const all = [...s.balances.values()].flat();
    const cls: SeriesPoint['classes'] = {};
    for (const [c, values] of s.balances) {
      const sorted = [...values].sort((a, b) => a - b);
      cls[c] = { p10: quantile(sorted, 0.1), p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
    }
    return { hour: s.t / 3_600_000, gini: signedGini(all), online: s.online, classes: cls };
  });
  const flows: RunFigures['flows'] = {};
  for (const [u, row] of e.flows) flows[u] = Object.fromEntries(row);
  return {
    scenario: e.options.scenario.name,
    policy: e.policy ? 'on' : 'off',
    judge: e.judge,
    peers: peers.length,
    seed: e.options.seed,
    hours: e.options.hours,
    movedBytes: moved,
    classes,
    freeRiderShare: share(new Set(['free-rider'])),
    nonContributorShare: share(NON_CONTRIBUTORS),
    flows,
    sybil: {
      rings: e.rings.length,
      members: sybilMembers.length,
      mintedClaims: e.ledger.totals.mint,
      downloadRate: sybilRate,
      gainOverFreeRider: freeRate === undefined || freeRate === 0 || sybilMembers.length === 0 ? null : sybilRate / freeRate,
    },
    mining: { miners: miners.length, paid, earned, net: earned - paid, positions },
    circuits: { ...e.circuitCounts },
    whitewashes: e.whitewashes,
    series,
    ledger: { rawSum: e.ledger.rawSum(), realSum, bandwidth: e.ledger.totals.bandwidth, payout: e.ledger.totals.payout, minted: e.ledger.totals.mint },
    finalGini: series.at(-1)?.gini ?? 0,
  };
}
