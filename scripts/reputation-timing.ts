/**
 * Node script (no test): how long exactReputation takes on a random graph of
 * 100k edges (and 1k, 10k), to check the 200 ms worker budget of issue #13.
 * Reports wall time and this process's CPU time: on a loaded machine the
 * wall time mostly measures the other processes.
 * Run: npx tsx scripts/reputation-timing.ts
 */
import { ContributionGraph } from '../src/reputation/contribution-graph.ts';
import { seededRandom } from '../src/reputation/prng.ts';
import { DEFAULT_REPUTATION, exactReputation, reputation } from '../src/reputation/reputation.ts';

function randomGraph(edges: number, seed: number): ContributionGraph {
  const r = seededRandom(seed);
  const nodes = Math.max(10, Math.floor(edges / 10));
  const g = new ContributionGraph({ maxEdges: edges * 2 });
  while (g.edgeCount < edges) g.add({ from: `k${Math.floor(r() * nodes)}`, to: `k${Math.floor(r() * nodes)}`, bytes: BigInt(1 + Math.floor(r() * 1e9)), at: 0 });
  return g;
}

for (const edges of [1_000, 10_000, 100_000]) {
  const g = randomGraph(edges, 1);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 7; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    exactReputation(g, ['k0']);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const t0 = performance.now();
  reputation(g, ['k0'], DEFAULT_REPUTATION, seededRandom(1));
  const mc = performance.now() - t0;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!.toFixed(1);
  console.log(`${edges} edges: exact, median of 7: ${median(wall)} ms wall, ${median(cpu)} ms CPU; Monte Carlo (${DEFAULT_REPUTATION.walks} walks): ${mc.toFixed(1)} ms wall`);
}
