/**
 * Node glue: `npm run sim -- --economy <scenario> [--peers N] [--seed S] [--hours H] [--out DIR]`:
 * runs the scenario twice with the same seed, policy on and policy off, prints a summary table,
 * and writes docs/economy-<scenario>.json and its charts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatBytes } from '../../src/ui/format.ts';
import { writeEconomyCharts } from './charts.ts';
import { PEER_CLASSES } from './classes.ts';
import { Economy } from './engine.ts';
import { figures, type RunFigures } from './figures.ts';
import { scenarioByName } from './scenarios.ts';

export interface EconomyRunOptions {
  scenario: string;
  peers: number;
  seed: number;
  hours: number;
}

export function runScenario(o: EconomyRunOptions): RunFigures[] {
  const scenario = scenarioByName(o.scenario);
  return [true, false].map((policy) => figures(new Economy({ scenario, peers: o.peers, seed: o.seed, hours: o.hours, policy }).run()));
}

const kib = (x: number): string => `${(x / 1024).toFixed(0)} KiB/s`;
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
const mib = (x: number): string => formatBytes(x);

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join(' | '), ...rows.map(line)];
}

export function summary(runs: readonly RunFigures[]): string[] {
  const [on, off] = runs as [RunFigures, RunFigures];
  const rows = PEER_CLASSES.filter((c) => on.classes[c] !== undefined).map((c) => {
    const a = on.classes[c]!;
    const b = off.classes[c]!;
    const done = (x: number | null) => (x === null ? '—' : `${x.toFixed(0)} min`);
    return [c, String(a.peers), kib(a.downloadRate), kib(b.downloadRate), done(a.medianCompletionMin), done(b.medianCompletionMin), pct(a.uploadShare), pct(b.uploadShare), mib(a.meanBalance), mib(b.meanBalance)];
  });
  const out = table(['class', 'peers', 'rate on', 'rate off', 'median done on', 'off', 'upload share on', 'off', 'mean balance on', 'off'], rows);
  const both = (f: (r: RunFigures) => string) => `${f(on)} (policy on) vs ${f(off)} (off)`;
  out.push(
    '',
    `bytes moved: ${both((r) => mib(r.movedBytes))}`,
    `upload to free-riders: ${both((r) => pct(r.freeRiderShare))}; to all non-contributors (free-riders, whitewashers, Sybils): ${both((r) => pct(r.nonContributorShare))}`,
    `Gini of balances at the end: ${both((r) => r.finalGini.toFixed(3))}`,
    `Sybil gain (ring member's rate ÷ free-rider's): ${both((r) => (r.sybil.gainOverFreeRider === null ? '—' : r.sybil.gainOverFreeRider.toFixed(2)))}; minted claims ${mib(on.sybil.mintedClaims)} in ${on.sybil.rings} rings, not counted as balance`,
    `miners: net ${both((r) => mib(r.mining.net))} (paid ${mib(on.mining.paid)}, earned ${mib(on.mining.earned)} with the policy on)`,
    `relays carried ${both((r) => mib(r.classes.relay?.carried ?? 0))}; exits ${both((r) => mib(r.classes.exit?.carried ?? 0))}`,
    `circuits (on): ${JSON.stringify(on.circuits)}; whitewashes: ${both((r) => String(r.whitewashes))}`,
    `ledger: sum of raw balances ${both((r) => String(r.ledger.rawSum))}; real ${both((r) => String(r.ledger.realSum))}`,
  );
  return out;
}

/** Runs, prints, writes; returns the files written. */
export async function runEconomy(o: EconomyRunOptions, dir: string): Promise<string[]> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const runs = runScenario(o);
  const simulated = performance.now();
  const used = process.cpuUsage(cpu);
  const scenario = scenarioByName(o.scenario);
  console.log(`economy "${scenario.name}" (${scenario.about}); ${o.peers} peers, ${o.hours} h, seed ${o.seed}, credits judged ${scenario.judge}`);
  console.log('');
  for (const l of summary(runs)) console.log(l);
  await mkdir(dir, { recursive: true });
  const json = join(dir, `economy-${scenario.name}.json`);
  await writeFile(json, `${JSON.stringify({ command: `npm run sim -- --economy ${o.scenario} --peers ${o.peers} --seed ${o.seed} --hours ${o.hours}`, runs }, null, 1)}\n`);
  const charts = await writeEconomyCharts(runs, dir);
  console.log('');
  console.log(`wrote ${[json, ...charts].join(', ')}`);
  console.log(
    `time: simulation ${((simulated - started) / 1000).toFixed(1)} s wall (${((used.user + used.system) / 1e6).toFixed(1)} s CPU) for both runs, ` +
      `charts ${((performance.now() - simulated) / 1000).toFixed(1)} s`,
  );
  return [json, ...charts];
}
