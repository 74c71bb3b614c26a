/**
 * Node glue: the economy experiment's charts, Vega-Lite rendered to SVG headless (sim/charts.ts
 * `render`), written into docs/ as economy-<scenario>-<chart>.svg.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { render } from '../charts.ts';
import { PEER_CLASSES, type PeerClass } from './classes.ts';
import { MiB } from './constants.ts';
import type { RunFigures } from './figures.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const LEGEND = { orient: 'bottom', symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } as const;

function subtitle(runs: readonly RunFigures[]): string {
  const r = runs[0]!;
  return `scenario "${r.scenario}", ${r.peers} peers, ${r.hours} h simulated, seed ${r.seed}; same seed with the policy on and off`;
}

/** Per class, a bar per policy: `metric` of each run. */
function perClassBars(runs: readonly RunFigures[], title: string, axis: string, metric: (r: RunFigures, cls: PeerClass) => number | undefined): TopLevelSpec {
  const values = runs.flatMap((r) => PEER_CLASSES.flatMap((cls) => {
    const v = metric(r, cls);
    return v === undefined ? [] : [{ cls, policy: `policy ${r.policy}`, v }];
  }));
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: subtitle(runs) },
    width: 480,
    height: 260,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'cls', type: 'nominal', title: null, sort: [...PEER_CLASSES], axis: { labelAngle: -30 } },
      xOffset: { field: 'policy', type: 'nominal' },
      y: { field: 'v', type: 'quantitative', title: axis },
      color: { field: 'policy', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
  };
}

function balancesSpec(runs: readonly RunFigures[]): TopLevelSpec {
  const values = runs.flatMap((r) => r.series.flatMap((p) => Object.entries(p.classes).map(([cls, q]) => ({ hour: p.hour, cls, policy: `policy ${r.policy}`, p50: q.p50 / MiB, p10: q.p10 / MiB, p90: q.p90 / MiB }))));
  return {
    $schema: SCHEMA,
    title: { text: 'Real balance over time, median per class (band: 10th–90th percentile)', subtitle: subtitle(runs) },
    data: { values },
    facet: { column: { field: 'policy', type: 'nominal', title: null } },
    spec: {
      width: 300,
      height: 260,
      layer: [
        { mark: { type: 'area', opacity: 0.15 }, encoding: { x: { field: 'hour', type: 'quantitative', title: 'simulated hour' }, y: { field: 'p10', type: 'quantitative', title: 'balance (MiB, symlog)', scale: { type: 'symlog', constant: 64 } }, y2: { field: 'p90' }, color: { field: 'cls', type: 'nominal', title: null, sort: [...PEER_CLASSES], legend: LEGEND } } },
        { mark: 'line', encoding: { x: { field: 'hour', type: 'quantitative' }, y: { field: 'p50', type: 'quantitative' }, color: { field: 'cls', type: 'nominal', title: null, sort: [...PEER_CLASSES], legend: LEGEND } } },
      ],
    },
  };
}

function giniSpec(runs: readonly RunFigures[]): TopLevelSpec {
  const values = runs.flatMap((r) => r.series.map((p) => ({ hour: p.hour, gini: p.gini, policy: `policy ${r.policy}` })));
  return {
    $schema: SCHEMA,
    title: { text: 'Gini coefficient of balances over time', subtitle: [subtitle(runs), 'signed balances: mean absolute difference ÷ 2 × mean absolute balance'] },
    width: 480,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'hour', type: 'quantitative', title: 'simulated hour' },
      y: { field: 'gini', type: 'quantitative', title: 'Gini', scale: { domain: [0, 1] } },
      color: { field: 'policy', type: 'nominal', title: null, legend: LEGEND },
    },
  };
}

export function economySpecs(runs: readonly RunFigures[]): [string, TopLevelSpec][] {
  return [
    ['rates', perClassBars(runs, 'Download rate per class (KiB/s while downloading)', 'KiB/s', (r, c) => {
      const rate = r.classes[c]?.downloadRate ?? 0;
      return rate > 0 ? rate / 1024 : undefined;
    })],
    ['shares', perClassBars(runs, "Share of the network's upload each class received", 'share of all bytes moved', (r, c) => r.classes[c]?.uploadShare)],
    ['balances', balancesSpec(runs)],
    ['gini', giniSpec(runs)],
  ];
}

/** Writes the scenario's charts; returns their paths. */
export async function writeEconomyCharts(runs: readonly RunFigures[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [name, spec] of economySpecs(runs)) {
    const path = join(dir, `economy-${runs[0]!.scenario}-${name}.svg`);
    await writeFile(path, await render(spec));
    paths.push(path);
  }
  return paths;
}
