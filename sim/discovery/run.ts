/**
 * Node glue: `npm run sim -- --discovery [--peers N] [--seed S]`: the discovery simulation (model.ts)
 * at each size (DEFAULT_SIZES, or N alone), a table of its figures, and two charts in docs/:
 * discovery messages per peer against network size (today's flood beside bounded neighbourhoods
 * with peer exchange), and the time a newcomer and a fraud proof take.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TopLevelSpec } from 'vega-lite';
import { overSize, render } from '../charts.ts';
import { DEFAULT_RELAYS, DEFAULT_SIZES, FOUND_PEERS, REACH_SHARE } from './constants.ts';
import { simulateDiscovery, type DiscoveryFigures } from './model.ts';

const ms = (v: number): string => (Number.isFinite(v) ? `${(v / 1000).toFixed(2)} s` : 'never');

function trafficSpec(runs: readonly DiscoveryFigures[], seed: number): TopLevelSpec {
  const values = runs.flatMap((r) => [
    { peers: r.peers, y: r.floodMessagesPerPeerPerSec, series: 'before: every tab announced to all every 5 s (floodsub through the relays)' },
    { peers: r.peers, y: r.walkMessagesPerPeerPerSec, series: 'bounded neighbourhoods (8–16) and a peer-exchange walk every 30 s (simulated)' },
  ]);
  return overSize('Discovery messages per peer per second', `${DEFAULT_RELAYS} relays, seed ${seed}; sent and received, steady state`, values, 'messages / peer / s', true);
}

function timesSpec(runs: readonly DiscoveryFigures[], seed: number): TopLevelSpec {
  const values = runs.flatMap((r) => [
    { peers: r.peers, y: r.foundMs.p95 / 1000, series: `a newcomer knows ${FOUND_PEERS} peers (95th percentile)` },
    { peers: r.peers, y: r.targetMs.p50 / 1000, series: 'a newcomer holds its 8 neighbours (median)' },
    { peers: r.peers, y: r.reachMs / 1000, series: `a fraud proof reaches ${REACH_SHARE * 100} % of peers` },
  ]);
  return overSize('Time to find peers, and for a fraud proof to spread', `bounded neighbourhoods, ${DEFAULT_RELAYS} relays, seed ${seed}; 20–150 ms a hop`, values, 'seconds', false);
}

export async function runDiscovery(options: { peers?: number; seed: number }, outDir: string): Promise<void> {
  const sizes = options.peers === undefined ? DEFAULT_SIZES : [options.peers];
  const runs: DiscoveryFigures[] = [];
  console.log('peers | discovery msg/peer/s (walks) | (flood, today) | newcomer knows 10 (p50 / p95) | holds 8 neighbours (p50 / p95) | degree (mean / max) | fraud proof to 99 % | reached | sim time');
  console.log('----- | ---------------------------- | -------------- | ----------------------------- | ------------------------------ | ------------------- | ------------------- | ------- | --------');
  for (const peers of sizes) {
    const t = performance.now();
    const r = simulateDiscovery({ peers, relays: DEFAULT_RELAYS, seed: options.seed });
    runs.push(r);
    console.log(
      `${peers} | ${r.walkMessagesPerPeerPerSec.toFixed(3)} | ${r.floodMessagesPerPeerPerSec.toFixed(1)} | ${ms(r.foundMs.p50)} / ${ms(r.foundMs.p95)} | ${ms(r.targetMs.p50)} / ${ms(r.targetMs.p95)} | ` +
        `${r.meanDegree.toFixed(1)} / ${r.maxDegree} | ${ms(r.reachMs)} | ${(r.reachedShare * 100).toFixed(1)} % | ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  if (runs.length < 2) return;
  await mkdir(outDir, { recursive: true });
  const paths: string[] = [];
  for (const [name, spec] of [['traffic', trafficSpec(runs, options.seed)], ['times', timesSpec(runs, options.seed)]] as const) {
    const path = join(outDir, `discovery-${name}.svg`);
    await writeFile(path, await render(spec));
    paths.push(path);
  }
  console.log(`charts: ${paths.join(', ')}`);
}
