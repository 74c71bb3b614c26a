/**
 * Node glue: `npm run sim [-- --peers N --seed S --evaluators E]`: builds the simulated network, computes
 * personalized reputation from a sample of honest evaluators with the app's own graph and
 * reputation code, prints the Sybil gain per ring size and the rank quality, and writes the charts
 * into docs/. `npm run sim -- --mining [--seed S]` runs the credit-mining simulation instead (sim/mining.ts);
 * `npm run sim -- --economy <scenario> [--peers N --seed S --hours H]` the token-economy experiment (sim/economy/);
 * `npm run sim -- --discovery [--peers N --seed S]` the discovery simulation (sim/discovery/), at sizes up to 100,000 peers.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { DEFAULT_REPUTATION, exactReputation, reputation } from '../src/reputation/reputation.ts';
import { writeCharts } from './charts.ts';
import { DEFAULT_EVALUATORS, DEFAULT_PEERS, DEFAULT_SEED, RING_SIZES } from './constants.ts';
import { measure, type ReputationFn } from './metrics.ts';
import { runMining } from './mining.ts';
import { DEFAULT_ECONOMY_HOURS } from './economy/constants.ts';
import { runEconomy } from './economy/run.ts';
import { runDiscovery } from './discovery/run.ts';
import { UnknownScenarioError } from './economy/scenarios.ts';
import { buildScenario, ScenarioError } from './scenario.ts';

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, got "${text}".`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    peers: { type: 'string' },
    seed: { type: 'string' },
    evaluators: { type: 'string' },
    out: { type: 'string' },
    // exact: power iteration (what the app uses); walks: the seeded Monte-Carlo estimate.
    method: { type: 'string' },
    mining: { type: 'boolean' },
    economy: { type: 'string' },
    discovery: { type: 'boolean' },
    hours: { type: 'string' },
  },
});
const peers = positiveInt('peers', values.peers, DEFAULT_PEERS);
const seed = positiveInt('seed', values.seed, DEFAULT_SEED);
const evaluators = positiveInt('evaluators', values.evaluators, DEFAULT_EVALUATORS);
const outDir = values.out ?? 'docs';
if (values.economy !== undefined) {
  try {
    await runEconomy({ scenario: values.economy, peers, seed, hours: positiveInt('hours', values.hours, DEFAULT_ECONOMY_HOURS) }, outDir);
  } catch (e) {
    if (!(e instanceof UnknownScenarioError)) throw e;
    console.error(e.message);
    process.exit(2);
  }
  process.exit(0);
}
if (values.discovery === true) {
  await runDiscovery({ ...(values.peers === undefined ? {} : { peers }), seed }, outDir);
  process.exit(0);
}
if (values.mining === true) {
  await runMining(seed, outDir);
  process.exit(0);
}
const method = values.method ?? 'exact';
if (method !== 'exact' && method !== 'walks') {
  console.error(`--method must be "exact" or "walks", got "${method}".`);
  process.exit(2);
}

const started = performance.now();
let scenario;
try {
  scenario = buildScenario({ peers, seed, ringSizes: RING_SIZES });
} catch (e) {
  if (e instanceof ScenarioError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}
const built = performance.now();
const sybils = RING_SIZES.reduce((a, k) => a + k, 0);
const rep: ReputationFn =
  method === 'exact'
    ? (graph, seeds) => exactReputation(graph, seeds, DEFAULT_REPUTATION)
    : (graph, seeds, random) => reputation(graph, seeds, DEFAULT_REPUTATION, random);
const figures = measure(scenario, { reputation: rep, alpha: DEFAULT_REPUTATION.alpha, evaluators, seed });
const measured = performance.now();

console.log(
  `${peers} peers (${scenario.honest.length} cooperators and free-riders, ${peers - scenario.honest.length - sybils} whitewashers, ` +
    `${sybils} Sybil identities in rings of ${RING_SIZES.join(', ')}), ` +
    `${scenario.graph.edgeCount} edges, seed ${seed}, ${figures.evaluators} honest evaluators${figures.evaluators < scenario.honest.length ? ' (seeded sample)' : ' (all)'}`,
);
console.log(`reputation: ${method === 'exact' ? 'exact (power iteration)' : 'Monte-Carlo walks'}, parameters ${JSON.stringify(DEFAULT_REPUTATION)}`);
console.log('');
const bound = 1 / DEFAULT_REPUTATION.alpha;
console.log(`Sybil gain = ring's trust ÷ trust of an honest peer that gave the same bytes to the same peers (stated bound 1/α = ${bound})`);
console.log('ring size | Sybil gain (mean) | Sybil gain (worst evaluator) | standing ÷ bytes given | raw gain (claimed ÷ real)');
console.log('--------- | ----------------- | ---------------------------- | ---------------------- | -------------------------');
for (const r of figures.rings) {
  console.log(
    `${String(r.size).padStart(9)} | ${r.gain.toFixed(3).padStart(17)} | ${r.maxGain.toFixed(3).padStart(28)} | ` +
      `${r.standingPerByte.toExponential(2).padStart(22)} | ${r.rawGain.toExponential(2).padStart(25)}`,
  );
}
console.log(`honest cooperators' standing ÷ bytes given (scale): ${figures.cooperatorStandingPerByte.toExponential(2)}`);
console.log('');
console.log(`rank quality (Spearman ρ, honest net contribution vs mean trust): ${figures.rankQuality.toFixed(3)}`);
console.log(`mean trust of a whitewasher key: ${figures.whitewasherTrust.toExponential(2)}; of a free-rider: ${figures.freeRiderTrust.toExponential(2)}`);

const charts = await writeCharts(figures, DEFAULT_REPUTATION.alpha, peers, seed, outDir);
const done = performance.now();
console.log('');
console.log(`charts: ${charts.join(', ')}`);
console.log(
  `time: build ${((built - started) / 1000).toFixed(1)} s, reputation ${((measured - built) / 1000).toFixed(1)} s ` +
    `(${((measured - built) / figures.evaluators).toFixed(0)} ms per evaluator), charts ${((done - measured) / 1000).toFixed(1)} s`,
);
