/**
 * Node glue: renders the simulation's figures as SVG with Vega-Lite (compiled to Vega, rendered
 * headless with the `none` renderer, so no canvas or browser is needed) and writes them into `docs/`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { Figures } from './metrics.ts';

export const SYBIL_GAIN_CHART = 'sim-sybil-gain.svg';
export const RANK_QUALITY_CHART = 'sim-rank-quality.svg';

export async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const LEGEND = { orient: 'bottom', direction: 'vertical', labelLimit: 480, symbolType: 'stroke' } as const;

/** A line per series over network size (log x), as the discovery and relay load charts draw it. */
export function overSize(title: string, subtitle: string, values: { peers: number; y: number; series: string }[], yTitle: string, logY: boolean): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle },
    width: 480,
    height: 280,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'peers', type: 'quantitative', scale: { type: 'log' }, title: 'peers in the network' },
      y: { field: 'y', type: 'quantitative', ...(logY ? { scale: { type: 'log' } } : {}), title: yTitle },
      color: { field: 'series', type: 'nominal', title: null, legend: LEGEND },
    },
  };
}

/** Log scales cannot show 0: a ring with no trust at all is drawn at this floor. */
const FLOOR = 1e-3;

export function sybilGainSpec(figures: Figures, alpha: number, peers: number, seed: number): TopLevelSpec {
  const values = figures.rings.flatMap((r) => [
    { ring: r.size, gain: r.rawGain, series: 'raw upload ledger (claimed ÷ real)' },
    { ring: r.size, gain: Math.max(r.gain, FLOOR), series: 'reputation, mean over evaluators' },
    { ring: r.size, gain: Math.max(r.maxGain, FLOOR), series: 'reputation, worst evaluator' },
    { ring: r.size, gain: 1 / alpha, series: 'stated bound 1/α' },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Sybil gain vs ring size', subtitle: [`${peers} peers, seed ${seed}, ${figures.evaluators} honest evaluators`, 'gain 1 = the trust of an honest peer that gave the same bytes to the same peers'] },
    width: 480,
    height: 300,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'ring', type: 'quantitative', title: 'Sybil identities in the ring (log)', scale: { type: 'log' }, axis: { values: figures.rings.map((r) => r.size) } },
      y: { field: 'gain', type: 'quantitative', title: 'Sybil gain (log)', scale: { type: 'log' } },
      // Mean and worst nearly coincide under the bound; dashes keep each line visible (one merged legend).
      color: { field: 'series', type: 'nominal', title: null, legend: LEGEND },
      strokeDash: { field: 'series', type: 'nominal', title: null, legend: LEGEND },
    },
  };
}

export function rankQualitySpec(figures: Figures, peers: number, seed: number): TopLevelSpec {
  const MiB = 1024 * 1024;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Rank quality: Spearman ρ = ${figures.rankQuality.toFixed(3)}`,
      subtitle: `honest peers' true net contribution vs mean trust (${peers} peers, seed ${seed})`,
    },
    width: 480,
    height: 300,
    data: { values: figures.honestPoints.map((p) => ({ net: p.net / MiB, trust: p.trust, role: p.role })) },
    mark: { type: 'point', filled: true, opacity: 0.6, size: 20 },
    encoding: {
      x: { field: 'net', type: 'quantitative', title: 'true net contribution (MiB uploaded − downloaded)' },
      y: { field: 'trust', type: 'quantitative', title: 'mean trust from honest evaluators' },
      color: { field: 'role', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
  };
}

/** Writes both charts; returns the paths written. */
export async function writeCharts(figures: Figures, alpha: number, peers: number, seed: number, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out: [string, TopLevelSpec][] = [
    [join(dir, SYBIL_GAIN_CHART), sybilGainSpec(figures, alpha, peers, seed)],
    [join(dir, RANK_QUALITY_CHART), rankQualitySpec(figures, peers, seed)],
  ];
  for (const [path, spec] of out) await writeFile(path, await render(spec));
  return out.map(([path]) => path);
}
