/**
 * `npm run load`: the relay load bench (relay-load.ts: RELAY_LOAD_RELAYS federated relays, 3 by
 * default) at each network size of RELAY_LOAD_SIZES (100,300,1000), a table of the figures issue #19
 * asks for, and charts of them against size in docs/ (measured, beside the discovery simulation's
 * charts that extend the curve to 100,000). The other RELAY_LOAD_* knobs apply to every run.
 * The measured rows are kept in docs/relay-load.json; RELAY_LOAD_CHARTS_ONLY=1 draws the charts
 * again from it without measuring.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { overSize, render } from '../sim/charts.ts';
import { benchRelayLoad } from './relay-load.ts';
import type { Figure } from './env.ts';

const SIZES = (process.env.RELAY_LOAD_SIZES ?? '100,300,1000').split(',').map(Number);
const RELAYS = Number(process.env.RELAY_LOAD_RELAYS ?? 3);
/** The goals, drawn as lines beside the measured curves. */
const GOALS = { messagesPerPeerPerSec: 1, rssMiB: 200, healthMs: 100 } as const;

interface Row {
  peers: number;
  messagesPerPeerPerSec: number;
  findsMs: number;
  rssMiB: number;
  healthSteadyMs: number;
  healthAttackMs: number;
  healthRampMs: number;
}

function pick(figures: Figure[], prefix: string): number {
  const f = figures.find((x) => x.name.startsWith(prefix));
  if (f === undefined) throw new Error(`the relay load bench printed no figure "${prefix}…"`);
  return f.value;
}

function row(peers: number, figures: Figure[]): Row {
  return {
    peers,
    messagesPerPeerPerSec: pick(figures, 'discovery messages per peer per second'),
    findsMs: pick(figures, 'newcomer knows'),
    rssMiB: Math.max(...['ramp', 'steady', 'attack'].map((p) => pick(figures, `relay RSS, ${p}`))),
    healthRampMs: pick(figures, '/health latency, ramp'),
    healthSteadyMs: pick(figures, '/health latency, steady'),
    healthAttackMs: pick(figures, '/health latency, attack'),
  };
}

function specs(rows: Row[]): [string, TopLevelSpec][] {
  const sub = `${RELAYS} federated relays and Node clients on this 2-core machine (npm run load)`;
  const line = (y: number, series: string) => rows.map((r) => ({ peers: r.peers, y, series }));
  return [
    ['relay-load-traffic.svg', overSize('Discovery messages per peer per second, measured', sub, [
      ...rows.map((r) => ({ peers: r.peers, y: r.messagesPerPeerPerSec, series: 'walks: each peer asks its relay every 10 s (measured)' })),
      ...rows.map((r) => ({ peers: r.peers, y: (r.peers - 1) / 5, series: 'before: every tab announced to all every 5 s' })),
      ...line(GOALS.messagesPerPeerPerSec, 'goal: under 1'),
    ], 'messages / peer / s', true)],
    ['relay-load-relays.svg', overSize('Relay memory and /health, measured', sub, [
      ...rows.map((r) => ({ peers: r.peers, y: r.rssMiB, series: 'RSS of the busiest relay, MiB (max over the run)' })),
      ...rows.map((r) => ({ peers: r.peers, y: r.healthSteadyMs, series: '/health p95, ms, steady' })),
      ...rows.map((r) => ({ peers: r.peers, y: r.healthAttackMs, series: '/health p95, ms, first relay under attack' })),
      ...rows.map((r) => ({ peers: r.peers, y: r.findsMs, series: 'a newcomer knows 10 peers, ms (median)' })),
      ...line(GOALS.rssMiB, 'goal: RSS under 200 MiB'),
      ...line(GOALS.healthMs, 'goal: /health under 100 ms'),
    ], 'MiB or ms', false)],
  ];
}

const dir = resolve(import.meta.dirname, '..', 'docs');
const record = join(dir, 'relay-load.json');
const rows: Row[] = [];
if (process.env.RELAY_LOAD_CHARTS_ONLY) rows.push(...(JSON.parse(await readFile(record, 'utf8')) as Row[]));
else {
  for (const peers of SIZES) {
    console.log(`relay load: ${peers} peers over ${RELAYS} relays…`);
    rows.push(row(peers, await benchRelayLoad(peers)));
  }
}
console.log('\npeers | discovery msg/peer/s | newcomer knows 10 | relay RSS (max) | /health p95 ramp / steady / attack');
console.log('----- | -------------------- | ----------------- | --------------- | ---------------------------------');
for (const r of rows) {
  console.log(`${r.peers} | ${r.messagesPerPeerPerSec.toFixed(3)} | ${r.findsMs.toFixed(0)} ms | ${r.rssMiB.toFixed(0)} MiB | ${r.healthRampMs.toFixed(1)} / ${r.healthSteadyMs.toFixed(1)} / ${r.healthAttackMs.toFixed(1)} ms`);
}
if (rows.length >= 2) {
  await mkdir(dir, { recursive: true });
  await writeFile(record, `${JSON.stringify(rows, null, 1)}\n`);
  for (const [name, spec] of specs(rows)) await writeFile(join(dir, name), await render(spec));
  console.log(`charts: docs/relay-load-traffic.svg, docs/relay-load-relays.svg (rows: docs/relay-load.json)`);
}
process.exit(0);
