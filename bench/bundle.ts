/**
 * Bundle figures: the gzipped JavaScript a first visit fetches (issue #14's
 * budget), and the chunks that load later: the peer stack after the first
 * paint, its services after the first peer, the market and the wallet when the Market page opens or a trade is
 * active. Measured on a production build (test builds carry test hooks).
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildForSize, FIRST_LOAD_BUDGET_KB, measureDist, summaryLine } from '../scripts/first-load-size.ts';
import type { Figure } from './env.ts';

export async function benchBundle(): Promise<Figure[]> {
  const dist = await buildForSize(resolve(import.meta.dirname, '..'));
  try {
    const report = measureDist(dist);
    console.log(`  ${summaryLine(report)}`);
    const figures: Figure[] = [
      { section: 'bundle', name: 'first-load JS (gzip)', value: report.firstLoad.gzipBytes / 1000, unit: 'kB', note: `limit ${FIRST_LOAD_BUDGET_KB} kB; ${report.firstLoad.chunks.length} chunk(s)` },
    ];
    const later = [['peer chunk (gzip)', report.later.peer, 'after the first paint'], ['services chunk (gzip)', report.later.services, 'after the first peer'], ['market chunk (gzip)', report.later.market, 'when the Market page opens'], ['wallet chunk (gzip)', report.later.wallet, 'with the market']] as const;
    for (const [name, group, when] of later) {
      if (group !== undefined) figures.push({ section: 'bundle', name, value: group.gzipBytes / 1000, unit: 'kB', note: when });
    }
    if (report.later.wallet === undefined && report.later.market !== undefined) figures.push({ section: 'bundle', name: 'wallet chunk (gzip)', value: 0, unit: 'kB', note: 'inside the market chunk' });
    return figures;
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
}
