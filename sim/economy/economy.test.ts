import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, UNPAID_WINDOW_BYTES } from '../../src/sharing/constants.ts';
import { NON_CONTRIBUTORS, PEER_CLASSES } from './classes.ts';
import { MAX_CONNECTIONS, SYBIL_MINT_BYTES } from './constants.ts';
import { Economy } from './engine.ts';
import { figures, signedGini, type RunFigures } from './figures.ts';
import { runScenario } from './run.ts';
import { scenarioByName, UnknownScenarioError } from './scenarios.ts';

/** 100 peers for half a simulated day: every class present, ~1 s of CPU per run. */
const SMALL = { peers: 100, seed: 3, hours: 12 } as const;
const run = (name: string, policy: boolean, o: { peers: number; seed: number; hours: number } = SMALL) =>
  new Economy({ scenario: scenarioByName(name), ...o, policy }).run();
const perPeerShare = (f: RunFigures, cls: 'cooperator' | 'free-rider') => f.classes[cls]!.uploadShare / f.classes[cls]!.peers;

const on = run('default', true);
const off = run('default', false);
const [onF, offF] = [figures(on), figures(off)];

describe('economy invariants (100 peers, policy on and off)', () => {
  it('conserves tokens: every class balance is exactly what its pairs moved, and all balances sum to 0', () => {
    for (const [e, f] of [[on, onF], [off, offF]] as const) {
      expect(f.ledger.rawSum).toBe(0);
      expect(f.ledger.realSum).toBe(0);
      for (const cls of PEER_CLASSES) expect(f.classes[cls]!.balanceSum).toBe(f.classes[cls]!.ledgerNet);
      // Stock clients keep no ledger: nothing moves for them.
      expect(f.classes.stock!.balanceSum).toBe(0);
      expect(e.ledger.totals.bandwidth).toBeGreaterThan(0);
    }
  });

  it('reports minted claims as Sybil gain, never as real balance', () => {
    const members = on.rings.flatMap((r) => r.members);
    expect(members.length).toBeGreaterThan(0);
    expect(onF.ledger.minted).toBe(members.length * Number(SYBIL_MINT_BYTES));
    for (const m of members) {
      const b = on.ledger.of(m.key);
      expect(b.mintedUp).toBe(Number(SYBIL_MINT_BYTES));
      expect(on.ledger.real(m.key)).toBe(on.ledger.raw(m.key) - Number(SYBIL_MINT_BYTES));
      // A ring member never gave anything: its real balance is what it paid for, negative.
      expect(on.ledger.real(m.key)).toBeLessThanOrEqual(0);
    }
    expect(onF.sybil.gainOverFreeRider).not.toBeNull();
  });

  it('with the policy on, free-riders receive a smaller share of the upload than cooperators', () => {
    expect(onF.classes['free-rider']!.uploadShare).toBeLessThan(onF.classes.cooperator!.uploadShare);
    // Per peer too, where credits are counted at face value (see the trusted-credit finding in the report).
    const raw = figures(run('default-raw', true));
    expect(perPeerShare(raw, 'free-rider')).toBeLessThan(perPeerShare(raw, 'cooperator'));
    expect(raw.classes['free-rider']!.downloadRate).toBeLessThan(raw.classes.cooperator!.downloadRate);
  });

  it('holds a free-rider near the threshold with the policy on, and not at all with it off', () => {
    // Each seeder checks only its own unpaid bytes: a peer can overshoot by a window per seeder it is connected to.
    const slack = 2 * MAX_CONNECTIONS * UNPAID_WINDOW_BYTES;
    const lowest = (e: Economy) => Math.min(...e.world.peers.filter((p) => p.cls === 'free-rider').map((p) => e.ledger.real(p.key)));
    expect(lowest(on)).toBeGreaterThanOrEqual(Number(DEFAULT_POLICY.thresholdBytes) - slack);
    expect(lowest(off)).toBeLessThan(Number(DEFAULT_POLICY.thresholdBytes) - slack);
  });

  it('class behaviours: takers never upload, whitewashers change keys only when refused, relays and exits earn by carrying', () => {
    for (const e of [on, off]) {
      for (const p of e.world.peers) if (NON_CONTRIBUTORS.has(p.cls) || p.cls === 'relay' || p.cls === 'exit') expect(p.stats.uploaded).toBe(0);
      const carriers = e.world.peers.filter((p) => p.cls === 'exit');
      expect(carriers.some((p) => p.stats.carried > 0)).toBe(true);
      for (const p of carriers) expect(e.ledger.real(p.key)).toBe(p.stats.carried);
    }
    expect(on.whitewashes).toBeGreaterThan(0);
    expect(off.whitewashes).toBe(0);
    const washer = on.world.peers.find((p) => p.cls === 'whitewasher' && p.keys.length > 1)!;
    // It left every abandoned key in debt: what it took under that key, never paid back.
    for (const k of washer.keys.slice(0, -1)) expect(on.ledger.real(k)).toBeLessThan(0);
  });

  it('miners follow the mining policy: they join swarms, pay for them and earn from them', () => {
    expect(onF.mining.miners).toBeGreaterThan(0);
    expect(onF.mining.paid).toBeGreaterThan(0);
    expect(onF.mining.earned).toBeGreaterThan(0);
  });
});

describe('deterministic replay', () => {
  const o = { peers: 60, seed: 9, hours: 4 };
  it('gives identical JSON for the same seed, and different figures for another', () => {
    const a = JSON.stringify(runScenario({ scenario: 'default', ...o }));
    expect(JSON.stringify(runScenario({ scenario: 'default', ...o }))).toBe(a);
    expect(JSON.stringify(runScenario({ scenario: 'default', ...o, seed: 10 }))).not.toBe(a);
  });
});

describe('scenarios and figures', () => {
  it('names its scenarios, and refuses an unknown one listing the choices', () => {
    expect(() => scenarioByName('nope')).toThrow(UnknownScenarioError);
    expect(() => scenarioByName('nope')).toThrow(/default/);
  });

  it('signedGini is the usual Gini for non-negative values and stays within [0, 1] for signed ones', () => {
    expect(signedGini([5, 5, 5])).toBe(0);
    expect(signedGini([0, 0, 0, 12])).toBeCloseTo(0.75, 12);
    expect(signedGini([-1, 1])).toBeCloseTo(0.5, 12);
    expect(signedGini([-3, 0, 0, 3])).toBeLessThanOrEqual(1);
  });
});
