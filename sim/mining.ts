/**
 * Node glue: `npm run sim -- --mining [--seed S]`: runs the credit-mining policy against the four
 * demand patterns of issue #15 (src/mining/mining-sim.ts), prints a table per pattern and writes
 * the chart of mining's net tokens over simulated time to docs/mining-return.svg.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { DEFAULT_MINING_RULES } from '../src/mining/constants.ts';
import { DEMAND_PATTERNS, SIM_HORIZON_MS, SIM_SETTINGS, simulatePatterns, type DemandPattern, type SimResult } from '../src/mining/mining-sim.ts';
import { formatBytes } from '../src/ui/format.ts';
import { render } from './charts.ts';

export const MINING_CHART = 'mining-return.svg';

const MiB = 1024 * 1024;

export function miningSpec(results: Map<DemandPattern, SimResult>, seed: number): TopLevelSpec {
  const values = [...results].flatMap(([pattern, r]) => r.series.map((p) => ({ t: p.t, net: p.net / MiB, pattern })));
  const limit = Number(SIM_SETTINGS.investmentLimit) / MiB;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Credit mining: net tokens over simulated time',
      subtitle: [
        `4 swarms of 64–256 MiB per demand pattern; default settings, seed ${seed}`,
        `dashed: −investment limit (${limit} MiB); payback window ${DEFAULT_MINING_RULES.paybackWindowMs / 3_600_000} h`,
      ],
    },
    width: 480,
    height: 300,
    layer: [
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'simulated time (hours)', scale: { domain: [0, SIM_HORIZON_MS / 3_600_000] } },
          // Gains reach tens of GiB, losses a few hundred MiB: symlog shows both.
          y: {
            field: 'net',
            type: 'quantitative',
            title: 'net tokens (MiB earned − paid, symlog)',
            scale: { type: 'symlog', constant: 16 },
            axis: { values: [-limit, -64, 0, 64, 1024, 16_384, 131_072] },
          },
          color: { field: 'pattern', type: 'nominal', title: null, sort: [...DEMAND_PATTERNS], legend: { orient: 'bottom', symbolType: 'stroke' } },
        },
      },
      {
        data: { values: [{ y: -limit }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  };
}

function table(results: Map<DemandPattern, SimResult>): string[] {
  const rows = [...results].map(([p, r]) => [
    p,
    formatBytes(Number(r.invested)),
    formatBytes(Number(r.earned)),
    formatBytes(Number(r.net)),
    formatBytes(Number(r.worstNet)),
    String(r.joined),
    String(r.dropped),
    r.invested > 0n ? `${(Number(r.earned) / Number(r.invested)).toFixed(2)}×` : '—',
  ]);
  const head = ['pattern', 'invested', 'earned', 'net', 'worst net', 'joined', 'dropped', 'return'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join(' | '), ...rows.map(line)];
}

/** Runs the four patterns, prints the table, writes the chart; returns the chart's path. */
export async function runMining(seed: number, dir: string): Promise<string> {
  const results = simulatePatterns(seed);
  const limit = formatBytes(Number(SIM_SETTINGS.investmentLimit));
  console.log(`credit mining, ${SIM_HORIZON_MS / 3_600_000} h simulated, seed ${seed}, investment limit ${limit}, upload cap ${formatBytes(SIM_SETTINGS.uploadCapBytesPerSec)}/s`);
  console.log('');
  for (const l of table(results)) console.log(l);
  console.log('');
  console.log(`acceptance: token-positive where demand exists (rising, flat); loses at most ${limit} where none does (none, over-seeded)`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, MINING_CHART);
  await writeFile(path, await render(miningSpec(results, seed)));
  console.log(`chart: ${path}`);
  return path;
}
