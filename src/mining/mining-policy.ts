/**
 * Pure: the credit-mining policy — which swarms the miner joins and drops, and why. Clock and
 * randomness injected, no timers; its state is plain JSON (amounts as decimal strings), so it
 * survives a reload.
 *
 * Invariant: mining's net loss, counting every swarm it ever held and the full cost of those still
 * downloading, never exceeds the investment limit. A join is allowed only if it fits; spending
 * happens only while downloading, and a download is dropped the moment its demand goes.
 *
 * What the glue calls, and when:
 *   - at start: `parseMiningState(saved)` (a fresh state when nothing valid is saved) and
 *     `parseMiningSettings(saved)` (settings.ts);
 *   - every DECIDE_EVERY_MS, and at once when the settings change (above all when mining is
 *     switched off): `decideMining(state, inputs, { now, random })` with the settings, the
 *     discovery catalogue's swarms, the mined torrents' positions (tokens paid and earned per
 *     torrent, from the sharing service, cumulative across reloads: the policy never lets them go
 *     back) and my verified balance. It returns the next
 *     state (save it with `serializeMiningState`), the decisions and one explanation per swarm for
 *     the Mining page;
 *   - applies each decision at once: `join` adds the torrent by infohash, directly (no relay hops)
 *     with the upload cap; `drop` stops the torrent and deletes its data. A drop is repeated on
 *     every call while the torrent is still reported, so a missed one is retried.
 *
 * Mining is direct-only in this version: it never builds or pays circuits, so it never mines over
 * hops it cannot pay for. Mined swarms are announced ones, so they are public anyway.
 *
 * Rules (constants in constants.ts, each with its reason):
 *   join a swarm only if, in this order: its announcement is fresh (candidateMaxAgeMs); it has a
 *   seeder (minSeeders); it is not over-seeded (demand > seeders); its expected earning
 *   min(demand × size ÷ (seeders + 1), upload cap × payback window) is at least joinMargin × size;
 *   it fits the disk left, the investment headroom (limit − net loss so far − cost still to pay −
 *   its size ≥ 0) and the balance floor (balance after paying every download ≥ −limit); fewer than
 *   maxPositions are held; it was not dropped within cooldownMs. Best expected return first.
 *   drop: everything, at once, when switched off; a download whose demand went (demand, less the
 *   miner itself, ≤ seeders) or whose swarm is no longer announced (sunk cost is lost either way,
 *   every further byte costs); a download older than downloadTimeoutMs; a seeding swarm that has
 *   not earned back its cost paybackWindowMs after it finished; a paid-back swarm that earned under
 *   idleMinShare of its size in idleWindowMs; downloads while over the investment limit, and swarms
 *   while over the disk budget (settings lowered).
 */
import { formatBytes } from '../codec/units.ts';
import type { SwarmInfo } from '../discovery/catalogue.ts';
import { DEFAULT_MINING_RULES, type MiningRules } from './constants.ts';
import type { MiningSettings } from './settings.ts';

export { DEFAULT_MINING_SETTINGS, MiningSettingsError, parseMiningSettings, serializeMiningSettings, validateMiningSettings, type MiningSettings } from './settings.ts';
export { DEFAULT_MINING_RULES, type MiningRules } from './constants.ts';

/** How often the glue asks for decisions: a minute is short next to every window of the rules. */
export const DECIDE_EVERY_MS = 60_000;

/** A swarm from the discovery catalogue (its aggregate of the announcers' records). */
export type { SwarmInfo };

/** A mined torrent as the sharing service sees it; paid and earned are cumulative tokens for it. */
export interface MinedPosition {
  infohash: string;
  size: number;
  joinedAt: number;
  state: 'downloading' | 'seeding';
  paid: bigint;
  earned: bigint;
}

export type MiningDecision = { kind: 'join'; infohash: string; why: string } | { kind: 'drop'; infohash: string; why: string };

export interface SwarmExplanation {
  infohash: string;
  name: string;
  state: 'candidate' | 'downloading' | 'seeding' | 'dropped' | 'skipped';
  invested: bigint;
  earned: bigint;
  /** earned ÷ invested (0 before anything is invested). */
  return: number;
  why: string;
}

export interface MiningInputs {
  settings: MiningSettings;
  candidates: readonly SwarmInfo[];
  positions: readonly MinedPosition[];
  /** My verified token balance. */
  balance: bigint;
}

export interface MiningDeps {
  now: number;
  /** Uniform in [0, 1): breaks ties between equally good swarms. */
  random: () => number;
}

interface Held {
  name: string;
  size: number;
  joinedAt: number;
  why: string;
  /** When it was first seen seeding: its payback window starts here. */
  seedingSince?: number;
  checkpointAt?: number;
  earnedAtCheckpoint?: string;
  paid: string;
  earned: string;
}

interface Dropped {
  name: string;
  at: number;
  why: string;
  paid: string;
  earned: string;
}

export interface MiningState {
  v: 1;
  held: Record<string, Held>;
  dropped: Record<string, Dropped>;
  /** Paid and earned by swarms already dropped (the realized part of mining's account). */
  spent: string;
  earned: string;
}

export interface MiningOutcome {
  state: MiningState;
  decisions: MiningDecision[];
  explanations: SwarmExplanation[];
}

const INFOHASH = /^[0-9a-f]{40}$/;

export function createMiningState(): MiningState {
  return { v: 1, held: {}, dropped: {}, spent: '0', earned: '0' };
}

export function serializeMiningState(s: MiningState): string {
  return JSON.stringify(s);
}

/** A saved state, or a fresh one where nothing valid is saved. */
export function parseMiningState(raw: string | null): MiningState {
  if (raw === null) return createMiningState();
  try {
    const o = JSON.parse(raw) as MiningState;
    const amounts = [o.spent, o.earned, ...Object.values(o.held).flatMap((h) => [h.paid, h.earned]), ...Object.values(o.dropped).flatMap((d) => [d.paid, d.earned])];
    const keys = [...Object.keys(o.held), ...Object.keys(o.dropped)];
    if (o.v !== 1 || !amounts.every((a) => typeof a === 'string' && /^[0-9]{1,30}$/.test(a)) || !keys.every((k) => INFOHASH.test(k))) return createMiningState();
    return o;
  } catch {
    return createMiningState();
  }
}

/** Loss so far plus cost still to pay: what `investmentLimit` bounds. */
export function exposure(state: MiningState): bigint {
  let e = BigInt(state.spent) - BigInt(state.earned);
  for (const h of Object.values(state.held)) {
    const paid = BigInt(h.paid);
    const committed = h.seedingSince === undefined && paid < BigInt(h.size) ? BigInt(h.size) : paid;
    e += committed - BigInt(h.earned);
  }
  return e;
}

const bytes = (n: number | bigint): string => formatBytes(Number(n));
const ratio = (earned: bigint, invested: bigint): number => (invested > 0n ? Number((earned * 1000n) / invested) / 1000 : 0);
const hours = (ms: number): string => `${Math.round(ms / 3_600_000)} h`;

/** Expected earning over the payback window: the recent downloaders coming once more, shared with the seeders. */
function expectedEarning(c: SwarmInfo, s: MiningSettings, r: MiningRules): number {
  return Math.min((c.demand * c.size) / (c.seeders + 1), (s.uploadCapBytesPerSec * r.paybackWindowMs) / 1000);
}

/** Why a swarm may not be joined, whatever the budgets; undefined when it is worth joining. */
function unwanted(c: SwarmInfo, s: MiningSettings, r: MiningRules, now: number): string | undefined {
  if (!INFOHASH.test(c.infoHash) || !Number.isSafeInteger(c.size) || c.size <= 0 || !(c.demand >= 0) || !(c.seeders >= 0) || !Number.isFinite(c.lastSeen)) return 'its announcement is malformed';
  if (now - c.lastSeen > r.candidateMaxAgeMs) return `not announced for ${Math.round((now - c.lastSeen) / 60_000)} min: no sign of demand now`;
  if (c.seeders < r.minSeeders) return 'no seeder to download a full copy from';
  if (c.demand <= c.seeders) return `over-seeded: ${c.demand} recent downloaders for ${c.seeders} seeders, a new seeder would earn little`;
  const expected = expectedEarning(c, s, r);
  if (expected < r.joinMargin * c.size)
    return `not enough demand: expected to earn ${bytes(expected)} for a cost of ${bytes(c.size)} (needs ${r.joinMargin}×)`;
  return undefined;
}

export function decideMining(prev: MiningState, inputs: MiningInputs, deps: MiningDeps, rules: MiningRules = DEFAULT_MINING_RULES): MiningOutcome {
  const { settings, balance } = inputs;
  const { now } = deps;
  const held: Record<string, Held> = { ...prev.held };
  const dropped: Record<string, Dropped> = { ...prev.dropped };
  let spent = BigInt(prev.spent);
  let earnedDone = BigInt(prev.earned);
  const decisions: MiningDecision[] = [];

  const info = new Map<string, SwarmInfo>();
  for (const c of inputs.candidates) {
    const known = info.get(c.infoHash);
    if (known === undefined || known.lastSeen < c.lastSeen) info.set(c.infoHash, c);
  }
  const positions = new Map(inputs.positions.filter((p) => INFOHASH.test(p.infohash)).map((p) => [p.infohash, p] as const));

  // Torrents the glue reports that the miner does not hold: dropped ones still running (count what
  // they moved since, and drop again), or ones mined before the state was lost (adopt them).
  for (const p of positions.values()) {
    if (held[p.infohash] !== undefined) continue;
    const d = dropped[p.infohash];
    if (d !== undefined) {
      const paid = p.paid > BigInt(d.paid) ? p.paid : BigInt(d.paid);
      const earned = p.earned > BigInt(d.earned) ? p.earned : BigInt(d.earned);
      spent += paid - BigInt(d.paid);
      earnedDone += earned - BigInt(d.earned);
      dropped[p.infohash] = { ...d, paid: paid.toString(), earned: earned.toString() };
      decisions.push({ kind: 'drop', infohash: p.infohash, why: `still running after it was dropped (${d.why})` });
    } else {
      held[p.infohash] = { name: info.get(p.infohash)?.name ?? p.infohash, size: p.size, joinedAt: p.joinedAt, why: 'mined before the page reloaded', paid: '0', earned: '0' };
    }
  }

  // Bring what is held up to date with the positions.
  for (const [ih, h] of Object.entries(held)) {
    const p = positions.get(ih);
    if (p === undefined) continue;
    // Counters never go back: a glue that lost its totals must not free headroom it already spent.
    const paid = p.paid > BigInt(h.paid) ? p.paid : BigInt(h.paid);
    const earned = p.earned > BigInt(h.earned) ? p.earned : BigInt(h.earned);
    const next: Held = { ...h, size: p.size, paid: paid.toString(), earned: earned.toString() };
    if (p.state === 'seeding' && h.seedingSince === undefined) Object.assign(next, { seedingSince: now, checkpointAt: now, earnedAtCheckpoint: next.earned });
    held[ih] = next;
  }

  const drop = (ih: string, why: string): void => {
    const h = held[ih]!;
    delete held[ih];
    spent += BigInt(h.paid);
    earnedDone += BigInt(h.earned);
    dropped[ih] = { name: h.name, at: now, why, paid: h.paid, earned: h.earned };
    decisions.push({ kind: 'drop', infohash: ih, why });
  };
  const current = (): MiningState => ({ v: 1, held, dropped, spent: spent.toString(), earned: earnedDone.toString() });

  if (!settings.enabled) {
    for (const ih of Object.keys(held)) drop(ih, 'mining was switched off');
  } else {
    for (const [ih, h] of Object.entries(held)) {
      const paid = BigInt(h.paid);
      const earned = BigInt(h.earned);
      if (h.seedingSince === undefined) {
        const c = info.get(ih);
        if (now - h.joinedAt > rules.downloadTimeoutMs) drop(ih, `still downloading ${hours(now - h.joinedAt)} after it was joined: starved of seeders`);
        else if (c === undefined || now - c.lastSeen > rules.candidateMaxAgeMs) drop(ih, 'no longer announced while downloading: no sign of demand, so every further byte would be a loss');
        else if (Math.max(0, c.demand - 1) <= c.seeders)
          drop(ih, `demand went while downloading: ${Math.max(0, c.demand - 1)} other downloaders for ${c.seeders} seeders; stopped before paying more`);
      } else if (earned < paid) {
        if (now - h.seedingSince >= rules.paybackWindowMs)
          drop(ih, `did not earn back its cost within ${hours(rules.paybackWindowMs)} of seeding: earned ${bytes(earned)} of ${bytes(paid)}`);
      } else if (now - h.checkpointAt! >= rules.idleWindowMs) {
        const recent = earned - BigInt(h.earnedAtCheckpoint!);
        if (Number(recent) < rules.idleMinShare * h.size) drop(ih, `paid back (return ${ratio(earned, paid)}), but earned only ${bytes(recent)} in the last ${hours(rules.idleWindowMs)}: no longer wanted`);
        else held[ih] = { ...h, checkpointAt: now, earnedAtCheckpoint: h.earned };
      }
    }
    // Settings lowered below what is held: stop spending first, then free disk from the worst returns.
    const downloads = Object.entries(held)
      .filter(([, h]) => h.seedingSince === undefined)
      .sort(([, a], [, b]) => b.size - Number(b.paid) - (a.size - Number(a.paid)));
    for (const [ih] of downloads) {
      if (exposure(current()) <= settings.investmentLimit) break;
      drop(ih, `over the investment limit of ${bytes(settings.investmentLimit)}: stopped downloading to spend no more`);
    }
    const byReturn = Object.entries(held).sort(([, a], [, b]) => ratio(BigInt(a.earned), BigInt(a.paid)) - ratio(BigInt(b.earned), BigInt(b.paid)));
    for (const [ih] of byReturn) {
      if (Object.values(held).reduce((a, h) => a + h.size, 0) <= settings.diskBudgetBytes) break;
      drop(ih, `over the disk budget of ${bytes(settings.diskBudgetBytes)}: freed the swarm with the lowest return`);
    }
  }

  // Candidates: first the rules that need no budget, then the budgets, best expected return first.
  const explanations: SwarmExplanation[] = [];
  const skipped = (c: SwarmInfo, why: string, state: SwarmExplanation['state'] = 'skipped'): void => {
    explanations.push({ infohash: c.infoHash, name: c.name, state, invested: 0n, earned: 0n, return: 0, why });
  };
  const wanted: { c: SwarmInfo; score: number; tie: number }[] = [];
  for (const c of info.values()) {
    if (held[c.infoHash] !== undefined) continue;
    const d = dropped[c.infoHash];
    if (d !== undefined && now - d.at < rules.cooldownMs) continue; // explained as dropped below
    const no = unwanted(c, settings, rules, now);
    if (no !== undefined) skipped(c, no);
    else wanted.push({ c, score: expectedEarning(c, settings, rules) / c.size, tie: deps.random() });
  }
  wanted.sort((a, b) => b.score - a.score || a.tie - b.tie);
  for (const { c, score } of wanted) {
    const reason = `wanted: ${c.demand} recent downloaders for ${c.seeders} seeders, expected to earn ${score.toFixed(1)}× its cost of ${bytes(c.size)}`;
    if (!settings.enabled) {
      skipped(c, `${reason}; mining is off`, 'candidate');
      continue;
    }
    const all = Object.values(held);
    const diskLeft = settings.diskBudgetBytes - all.reduce((a, h) => a + h.size, 0);
    const headroom = settings.investmentLimit - exposure(current());
    const toPay = all.reduce((a, h) => a + (h.seedingSince === undefined && BigInt(h.size) > BigInt(h.paid) ? BigInt(h.size) - BigInt(h.paid) : 0n), 0n);
    const cost = BigInt(c.size);
    if (all.length >= rules.maxPositions) skipped(c, `${reason}; but ${all.length} swarms are held, the most at once`);
    else if (c.size > diskLeft) skipped(c, `${reason}; but it needs ${bytes(c.size)} of disk and ${bytes(Math.max(0, diskLeft))} of the budget is left`);
    else if (cost > headroom) skipped(c, `${reason}; but its cost is above the investment headroom left (${bytes(headroom > 0n ? headroom : 0n)} of ${bytes(settings.investmentLimit)})`);
    else if (balance - toPay - cost < -settings.investmentLimit) skipped(c, `${reason}; but paying for it would take my balance below −${bytes(settings.investmentLimit)}`);
    else {
      held[c.infoHash] = { name: c.name, size: c.size, joinedAt: now, why: reason, paid: '0', earned: '0' };
      delete dropped[c.infoHash];
      decisions.push({ kind: 'join', infohash: c.infoHash, why: reason });
    }
  }

  for (const [ih, h] of Object.entries(held)) {
    const paid = BigInt(h.paid);
    const earned = BigInt(h.earned);
    const status =
      h.seedingSince === undefined
        ? `downloading ${bytes(paid)} of ${bytes(h.size)}`
        : earned >= paid
          ? `seeding, paid back (earned ${bytes(earned)})`
          : `seeding, earned back ${Math.floor(ratio(earned, paid) * 100)} % of its cost; ${hours(Math.max(0, h.seedingSince + rules.paybackWindowMs - now))} left to pay back`;
    explanations.push({ infohash: ih, name: h.name, state: h.seedingSince === undefined ? 'downloading' : 'seeding', invested: paid, earned, return: ratio(earned, paid), why: `${status} — ${h.why}` });
  }

  // Forget drops past their cool-down, and the oldest beyond the bound; the realized totals keep their tokens.
  const remembered = Object.entries(dropped)
    .filter(([, d]) => now - d.at < rules.cooldownMs)
    .sort(([, a], [, b]) => b.at - a.at)
    .slice(0, rules.maxRemembered);
  const keptDrops: Record<string, Dropped> = {};
  for (const [ih, d] of remembered) {
    keptDrops[ih] = d;
    const paid = BigInt(d.paid);
    const earned = BigInt(d.earned);
    explanations.push({ infohash: ih, name: d.name, state: 'dropped', invested: paid, earned, return: ratio(earned, paid), why: `dropped: ${d.why}; not joined again for ${hours(d.at + rules.cooldownMs - now)}` });
  }

  return { state: { v: 1, held, dropped: keptDrops, spent: spent.toString(), earned: earnedDone.toString() }, decisions, explanations };
}
