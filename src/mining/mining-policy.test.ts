import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMiningState,
  decideMining,
  DEFAULT_MINING_RULES,
  DEFAULT_MINING_SETTINGS,
  exposure,
  MiningSettingsError,
  parseMiningSettings,
  parseMiningState,
  serializeMiningSettings,
  serializeMiningState,
  validateMiningSettings,
  type MinedPosition,
  type MiningInputs,
  type MiningSettings,
  type MiningState,
  type SwarmInfo,
} from './mining-policy.ts';
import { DEMAND_PATTERNS, patternSwarms, SIM_SETTINGS, simulate, simulatePatterns } from './mining-sim.ts';

const MiB = 1024 * 1024;
const HOUR = 3_600_000;
const T0 = 1_000_000_000_000;
const R = DEFAULT_MINING_RULES;
const ON: MiningSettings = { ...DEFAULT_MINING_SETTINGS, enabled: true };
const LIMIT = ON.investmentLimit;

const ih = (i: number): string => i.toString(16).padStart(40, '0');
const swarm = (i: number, o: Partial<SwarmInfo> = {}): SwarmInfo => ({
  infoHash: ih(i),
  name: `swarm ${i}`,
  size: 100 * MiB,
  files: 1,
  seeders: 1,
  leechers: 5,
  demand: 12,
  announcers: 1,
  lastSeen: T0,
  ...o,
});
const position = (i: number, o: Partial<MinedPosition> = {}): MinedPosition => ({
  infohash: ih(i),
  size: 100 * MiB,
  joinedAt: T0,
  state: 'downloading',
  paid: 0n,
  earned: 0n,
  ...o,
});
const inputs = (o: Partial<MiningInputs> = {}): MiningInputs => ({ settings: ON, candidates: [], positions: [], balance: 0n, ...o });
const decide = (state: MiningState, o: Partial<MiningInputs>, now = T0) => decideMining(state, inputs(o), { now, random: () => 0.5 });
const joins = (out: ReturnType<typeof decide>): string[] => out.decisions.filter((d) => d.kind === 'join').map((d) => d.infohash);
const drops = (out: ReturnType<typeof decide>): string[] => out.decisions.filter((d) => d.kind === 'drop').map((d) => d.infohash);
const why = (out: ReturnType<typeof decide>, i: number): string => out.explanations.find((e) => e.infohash === ih(i))!.why;

/** A state holding swarm i, joined at T0, as the policy would have it. */
function holding(i: number, o: Partial<SwarmInfo> = {}): MiningState {
  return decide(createMiningState(), { candidates: [swarm(i, o)] }).state;
}

describe('settings', () => {
  it('defaults are valid and off', () => {
    expect(validateMiningSettings(DEFAULT_MINING_SETTINGS).enabled).toBe(false);
  });

  it('refuses values out of bounds with a message saying what fits', () => {
    expect(() => validateMiningSettings({ ...ON, diskBudgetBytes: 1 })).toThrow(/disk budget must be between/);
    expect(() => validateMiningSettings({ ...ON, uploadCapBytesPerSec: 0 })).toThrow(MiningSettingsError);
    expect(() => validateMiningSettings({ ...ON, investmentLimit: 0n })).toThrow(/investment limit must be between/);
    expect(() => validateMiningSettings({ ...ON, diskBudgetBytes: 1.5 * MiB * 100 })).not.toThrow();
  });

  it('round-trips through JSON; a bad save gives the defaults, never mining on', () => {
    const s = { ...ON, investmentLimit: 123n * BigInt(MiB) };
    expect(parseMiningSettings(serializeMiningSettings(s))).toEqual(s);
    expect(parseMiningSettings('{"enabled":true,"investmentLimit":"-5"}')).toEqual(DEFAULT_MINING_SETTINGS);
    expect(parseMiningSettings('{"enabled":true,"diskBudgetBytes":-1}')).toEqual(DEFAULT_MINING_SETTINGS);
    expect(parseMiningSettings('not json')).toEqual(DEFAULT_MINING_SETTINGS);
    expect(parseMiningSettings(null)).toEqual(DEFAULT_MINING_SETTINGS);
  });
});

describe('joining', () => {
  it('joins a swarm where upload is wanted, and says why', () => {
    const out = decide(createMiningState(), { candidates: [swarm(1)] });
    expect(out.decisions).toEqual([{ kind: 'join', infohash: ih(1), why: expect.stringMatching(/12 recent downloaders for 1 seeders, expected to earn 6\.0×/) }]);
    expect(out.explanations[0]).toMatchObject({ state: 'downloading', invested: 0n, earned: 0n });
  });

  it('never joins an over-seeded swarm (demand ≤ seeders)', () => {
    const out = decide(createMiningState(), { candidates: [swarm(1, { demand: 5, seeders: 5 }), swarm(2, { demand: 0, seeders: 1 })] });
    expect(out.decisions).toEqual([]);
    expect(why(out, 1)).toMatch(/^over-seeded: 5 recent downloaders for 5 seeders/);
    expect(out.explanations.every((e) => e.state === 'skipped')).toBe(true);
  });

  it('joins only when the expected earning, demand × size ÷ (seeders + 1), reaches the margin', () => {
    // 3 × size ÷ 2 = 1.5× < 2×: skipped; 4 × size ÷ 2 = 2×: joined.
    const out = decide(createMiningState(), { candidates: [swarm(1, { demand: 3 }), swarm(2, { demand: 4 })] });
    expect(joins(out)).toEqual([ih(2)]);
    expect(why(out, 1)).toMatch(/^not enough demand: expected to earn 150\.0 MiB for a cost of 100\.0 MiB \(needs 2×\)/);
  });

  it('bounds the expected earning by what the upload cap lets out in the payback window', () => {
    const settings = { ...ON, uploadCapBytesPerSec: 16 * 1024, diskBudgetBytes: 100 * 1024 * MiB, investmentLimit: 10n * 1024n * BigInt(MiB) };
    // 16 KiB/s for 24 h is 1.3 GiB, less than twice a 1 GiB file, however high the demand.
    const out = decide(createMiningState(), { settings, candidates: [swarm(1, { size: 1024 * MiB, demand: 1000 })] });
    expect(out.decisions).toEqual([]);
    expect(why(out, 1)).toMatch(/^not enough demand: expected to earn 1\.32 GiB for a cost of 1\.00 GiB/);
  });

  it('skips stale announcements, swarms without seeders, and malformed ones', () => {
    const out = decide(createMiningState(), {
      candidates: [swarm(1, { lastSeen: T0 - R.candidateMaxAgeMs - 1 }), swarm(2, { seeders: 0 }), swarm(3, { size: -1 }), swarm(5, { lastSeen: Number.NaN }), { ...swarm(4), infoHash: '__proto__' }],
    });
    expect(out.decisions).toEqual([]);
    expect(why(out, 1)).toMatch(/^not announced for 30 min/);
    expect(why(out, 2)).toMatch(/^no seeder/);
    expect(why(out, 3)).toMatch(/malformed/);
    expect(why(out, 5)).toMatch(/malformed/);
  });

  it('never joins a swarm larger than the disk budget left', () => {
    const settings = { ...ON, diskBudgetBytes: 150 * MiB };
    const out = decide(createMiningState(), { settings, candidates: [swarm(1), swarm(2)] });
    expect(joins(out)).toHaveLength(1);
    expect(out.explanations.find((e) => e.state === 'skipped')!.why).toMatch(/needs 100\.0 MiB of disk and 50\.0 MiB of the budget is left/);
  });

  it('never joins a swarm whose cost exceeds the investment headroom, counting downloads at their full cost', () => {
    const out = decide(createMiningState(), { candidates: [swarm(1, { size: 200 * MiB }), swarm(2, { size: 200 * MiB }), swarm(3, { size: 300 * MiB })] });
    expect(joins(out)).toHaveLength(1);
    expect(exposure(out.state)).toBe(200n * BigInt(MiB));
    expect(out.explanations.filter((e) => e.state === 'skipped').map((e) => e.why)).toEqual([
      expect.stringMatching(/investment headroom left \(56\.0 MiB of 256\.0 MiB\)/),
      expect.stringMatching(/investment headroom left \(56\.0 MiB of 256\.0 MiB\)/),
    ]);
  });

  it('counts the losses of dropped swarms against the limit, and earnings back into it', () => {
    const lost: MiningState = { ...createMiningState(), spent: String(200 * MiB), earned: '0' };
    expect(joins(decide(lost, { candidates: [swarm(1)] }))).toEqual([]);
    const recovered: MiningState = { ...lost, earned: String(100 * MiB) };
    expect(joins(decide(recovered, { candidates: [swarm(1)] }))).toEqual([ih(1)]);
  });

  it('never takes my balance below minus the investment limit', () => {
    const out = decide(createMiningState(), { candidates: [swarm(1)], balance: -200n * BigInt(MiB) });
    expect(joins(out)).toEqual([]);
    expect(why(out, 1)).toMatch(/take my balance below −256\.0 MiB/);
  });

  it('holds at most maxPositions swarms, best expected return first', () => {
    const settings = { ...ON, investmentLimit: 10n * 1024n * BigInt(MiB) };
    const candidates = Array.from({ length: R.maxPositions + 2 }, (_, i) => swarm(i + 1, { demand: 10 + i }));
    const out = decide(createMiningState(), { settings, candidates });
    expect(joins(out)).toEqual(candidates.slice(2).reverse().map((c) => c.infoHash));
    expect(why(out, 1)).toMatch(/8 swarms are held, the most at once/);
  });
});

describe('dropping', () => {
  it('drops a download at once when its demand goes (the miner itself not counted)', () => {
    const state = holding(1);
    const keep = decide(state, { candidates: [swarm(1, { demand: 3, seeders: 1 })], positions: [position(1, { paid: 50n * BigInt(MiB) })] }, T0 + 60_000);
    expect(keep.decisions).toEqual([]);
    const out = decide(state, { candidates: [swarm(1, { demand: 2, seeders: 1 })], positions: [position(1, { paid: 50n * BigInt(MiB) })] }, T0 + 60_000);
    expect(out.decisions).toEqual([{ kind: 'drop', infohash: ih(1), why: expect.stringMatching(/^demand went while downloading: 1 other downloaders for 1 seeders/) }]);
    expect(exposure(out.state)).toBe(50n * BigInt(MiB));
    expect(out.explanations).toEqual([expect.objectContaining({ state: 'dropped', invested: 50n * BigInt(MiB) })]);
  });

  it('drops a download whose swarm is no longer announced, or that takes too long', () => {
    const state = holding(1);
    expect(drops(decide(state, { candidates: [] }, T0 + 60_000))).toEqual([ih(1)]);
    const late = T0 + R.downloadTimeoutMs + 1;
    const out = decide(state, { candidates: [swarm(1, { lastSeen: late })], positions: [position(1)] }, late);
    expect(out.decisions[0]!.why).toMatch(/^still downloading 6 h after it was joined/);
  });

  it('drops a seeding swarm that has not earned back its cost within the payback window after it finished', () => {
    const paid = 100n * BigInt(MiB);
    const finished = T0 + 2 * HOUR; // the window starts when it is first seen seeding, not at the join
    const seeding = position(1, { state: 'seeding', paid, earned: paid - 1n });
    let state = decide(holding(1), { candidates: [swarm(1, { lastSeen: finished })], positions: [seeding] }, finished).state;
    const almost = finished + R.paybackWindowMs - 1;
    const kept = decide(state, { candidates: [swarm(1, { lastSeen: almost })], positions: [seeding] }, almost);
    expect(kept.decisions).toEqual([]);
    expect(kept.explanations[0]).toMatchObject({ state: 'seeding', return: 0.999 });
    state = kept.state;
    const out = decide(state, { candidates: [], positions: [seeding] }, finished + R.paybackWindowMs);
    expect(out.decisions).toEqual([{ kind: 'drop', infohash: ih(1), why: expect.stringMatching(/^did not earn back its cost within 24 h of seeding: earned 100\.0 MiB of 100\.0 MiB/) }]);
  });

  it('keeps a paid-back swarm while it earns, and drops it once it goes idle', () => {
    const paid = 100n * BigInt(MiB);
    const at = (earned: bigint) => [position(1, { state: 'seeding', paid, earned })];
    let state = decide(holding(1), { positions: at(paid), candidates: [swarm(1)] }, T0).state;
    // 10 MiB in the first idle window: 10 % of the size, above 5 %: kept.
    const first = decide(state, { positions: at(paid + 10n * BigInt(MiB)) }, T0 + R.idleWindowMs);
    expect(first.decisions).toEqual([]);
    state = first.state;
    const second = decide(state, { positions: at(paid + 14n * BigInt(MiB)) }, T0 + 2 * R.idleWindowMs);
    expect(second.decisions).toEqual([{ kind: 'drop', infohash: ih(1), why: expect.stringMatching(/^paid back \(return 1\.14\), but earned only 4\.00 MiB in the last 24 h/) }]);
  });

  it('when switched off, drops every swarm in the same decision and joins nothing', () => {
    let state = decide(createMiningState(), { settings: { ...ON, investmentLimit: 1024n * BigInt(MiB) }, candidates: [swarm(1), swarm(2), swarm(3)] }).state;
    expect(Object.keys(state.held)).toHaveLength(3);
    const positions = [position(1, { state: 'seeding', paid: 100n * BigInt(MiB) }), position(2), position(3)];
    const off = decide(state, { settings: { ...ON, enabled: false }, candidates: [swarm(1), swarm(2), swarm(3), swarm(4)], positions });
    expect(drops(off).sort()).toEqual([ih(1), ih(2), ih(3)]);
    expect(joins(off)).toEqual([]);
    expect(off.state.held).toEqual({});
    expect(why(off, 4)).toMatch(/; mining is off$/);
    expect(off.explanations.find((e) => e.infohash === ih(4))!.state).toBe('candidate');
    // A torrent the glue still reports is dropped again on every call, and one it never told us of too.
    state = off.state;
    const again = decide(state, { settings: { ...ON, enabled: false }, positions: [position(2, { paid: 10n }), position(9)] });
    expect(drops(again).sort()).toEqual([ih(2), ih(9)]);
    expect(again.decisions[0]!.why).toMatch(/^still running after it was dropped \(mining was switched off\)/);
  });

  it('does not rejoin a dropped swarm before its cool-down ends', () => {
    const dropped = decide(holding(1), { candidates: [swarm(1, { demand: 1 })], positions: [position(1)] }, T0 + 60_000).state;
    const during = T0 + 60_000 + R.cooldownMs - 1;
    const out = decide(dropped, { candidates: [swarm(1, { lastSeen: during })] }, during);
    expect(out.decisions).toEqual([]);
    expect(out.explanations[0]).toMatchObject({ state: 'dropped', why: expect.stringMatching(/not joined again for 0 h$/) });
    const after = T0 + 60_000 + R.cooldownMs;
    expect(joins(decide(dropped, { candidates: [swarm(1, { lastSeen: after })] }, after))).toEqual([ih(1)]);
  });

  it('stops downloads when the limit is lowered below what is committed, and frees disk when the budget is', () => {
    const settings = { ...ON, investmentLimit: 1024n * BigInt(MiB) };
    const state = decide(createMiningState(), { settings, candidates: [swarm(1), swarm(2)] }).state;
    const positions = [position(1, { paid: 90n * BigInt(MiB) }), position(2, { state: 'seeding', paid: 100n * BigInt(MiB), earned: 10n * BigInt(MiB) })];
    const lowered = decide(state, { settings: { ...settings, investmentLimit: 100n * BigInt(MiB) }, candidates: [swarm(1), swarm(2)], positions });
    // Only downloads spend: the one is stopped; the seeding swarm's loss is already spent and stays.
    expect(drops(lowered)).toEqual([ih(1)]);
    expect(exposure(lowered.state)).toBe(180n * BigInt(MiB));
    const smaller = decide(state, { settings: { ...settings, diskBudgetBytes: 100 * MiB }, candidates: [swarm(1), swarm(2)], positions });
    expect(drops(smaller)).toEqual([ih(1)]); // the lower return goes first: the download has earned nothing yet
  });
});

describe('state', () => {
  it('survives a reload as JSON; garbage gives a fresh state', () => {
    const out = decide(holding(1), { candidates: [swarm(1)], positions: [position(1, { state: 'seeding', paid: 100n * BigInt(MiB) })] }, T0 + HOUR);
    const reloaded = parseMiningState(serializeMiningState(out.state));
    expect(reloaded).toEqual(out.state);
    const later = { candidates: [swarm(1, { lastSeen: T0 + 30 * HOUR })], positions: [position(1, { state: 'seeding', paid: 100n * BigInt(MiB) })] } as const;
    expect(decide(reloaded, later, T0 + 30 * HOUR)).toEqual(decide(out.state, later, T0 + 30 * HOUR));
    expect(parseMiningState('{"v":1,"held":{"__proto__":{}},"dropped":{},"spent":"0","earned":"0"}')).toEqual(createMiningState());
    expect(parseMiningState('nope')).toEqual(createMiningState());
  });

  it("never lets a position's counters go back (a glue that lost its totals frees no headroom)", () => {
    const seeding = (paid: bigint) => [position(1, { state: 'seeding', paid, earned: 0n })];
    const state = decide(holding(1), { candidates: [swarm(1)], positions: seeding(100n * BigInt(MiB)) }).state;
    const reset = decide(state, { candidates: [swarm(1)], positions: seeding(0n) });
    expect(exposure(reset.state)).toBe(100n * BigInt(MiB));
  });

  it('adopts mined torrents it does not know (state lost), counting them against the limit', () => {
    const out = decide(createMiningState(), { positions: [position(1, { paid: 10n })], candidates: [swarm(1)] });
    expect(out.decisions).toEqual([]);
    expect(exposure(out.state)).toBe(100n * BigInt(MiB));
  });

  it('never lets the exposure pass the investment limit, nor the positions or disk their bounds (property)', () => {
    const candidate = fc.record({
      i: fc.integer({ min: 1, max: 20 }),
      size: fc.integer({ min: 1, max: 400 }).map((m) => m * MiB),
      seeders: fc.integer({ min: 0, max: 10 }),
      demand: fc.integer({ min: 0, max: 60 }),
    });
    fc.assert(
      fc.property(fc.array(fc.array(candidate, { maxLength: 10 }), { minLength: 1, maxLength: 8 }), fc.bigInt({ min: -300n * BigInt(MiB), max: 1000n * BigInt(MiB) }), (rounds, balance) => {
        let state = createMiningState();
        let now = T0;
        for (const round of rounds) {
          now += HOUR;
          // What the glue would report for each held swarm: downloads half paid, nothing earned.
          const positions = Object.entries(state.held).map(([infohash, h]) => ({ infohash, size: h.size, joinedAt: h.joinedAt, state: 'downloading' as const, paid: BigInt(h.size) / 2n, earned: 0n }));
          const candidates = round.map((c) => swarm(c.i, { ...c, lastSeen: now }));
          state = decide(state, { candidates, positions, balance }, now).state;
          const held = Object.values(state.held);
          if (exposure(state) > LIMIT || held.length > R.maxPositions || held.reduce((a, h) => a + h.size, 0) > ON.diskBudgetBytes) return false;
        }
        return true;
      }),
    );
  });
});

describe('simulated demand (acceptance of #15)', () => {
  const limit = SIM_SETTINGS.investmentLimit;

  it.each([1, 2, 3])('ends token-positive where demand exists and loses at most its limit where none does (seed %i)', (seed) => {
    const r = simulatePatterns(seed);
    expect(r.get('rising')!.net).toBeGreaterThan(0n);
    expect(r.get('flat')!.net).toBeGreaterThan(0n);
    for (const p of ['none', 'over-seeded'] as const) {
      expect(r.get(p)!.net).toBeGreaterThanOrEqual(-limit);
      expect(r.get(p)!.worstNet).toBeGreaterThanOrEqual(-limit);
    }
    for (const p of DEMAND_PATTERNS) expect(r.get(p)!.worstNet).toBeGreaterThanOrEqual(-limit);
  });

  it('never joins an over-seeded swarm', () => {
    const r = simulate({ swarms: patternSwarms('over-seeded'), settings: SIM_SETTINGS, seed: 1 });
    expect(r.joined).toBe(0);
    expect(r.invested).toBe(0n);
  });

  it('loses at most its limit to announced demand that never comes, however long it runs', () => {
    // Lying announcers claim 12 downloaders an hour for a week; none ever comes. The miner joins,
    // is dropped after each payback window, rejoins after each cool-down while headroom is left.
    const liars = patternSwarms('none').map((s) => ({ ...s, pastDemand: 0, claimedDemand: 12 }));
    const r = simulate({ swarms: liars, settings: SIM_SETTINGS, seed: 1, horizonMs: 7 * 24 * HOUR });
    expect(r.joined).toBeGreaterThan(2);
    expect(r.worstNet).toBeGreaterThanOrEqual(-limit);
    expect(r.net).toBe(-limit);
    const none = simulate({ swarms: patternSwarms('none'), settings: SIM_SETTINGS, seed: 1, horizonMs: 7 * 24 * HOUR });
    expect(none.joined).toBeGreaterThan(0);
    expect(none.worstNet).toBeGreaterThanOrEqual(-limit);
    expect(none.heldAtEnd).toBe(0);
  });

  it('drops every position in the decision right after it is switched off', () => {
    const off = 36 * HOUR;
    const r = simulate({ swarms: patternSwarms('flat'), settings: SIM_SETTINGS, seed: 1, switchOffAt: off });
    const heldBefore = r.log.filter((d) => d.t < off).reduce((n, d) => n + (d.kind === 'join' ? 1 : -1), 0);
    expect(heldBefore).toBeGreaterThan(0);
    const atSwitch = r.log.filter((d) => d.t === off);
    expect(atSwitch).toHaveLength(heldBefore);
    expect(atSwitch.every((d) => d.kind === 'drop' && d.why === 'mining was switched off')).toBe(true);
    expect(r.log.filter((d) => d.t > off)).toEqual([]);
    expect(r.heldAtEnd).toBe(0);
  });
});
