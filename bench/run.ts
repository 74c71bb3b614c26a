/**
 * `npm run bench`: measures in real Chromium tabs against the real relay and
 * prints each figure next to a baseline measured in the same run.
 * Select sections with BENCH=foundation,ledger,sharing,circuits,exits,browsers,reputation,market,bundle,relay-load,gossip-spread (default: all).
 */
import { startBenchEnv, type BenchEnv, type Figure } from './env.ts';
import { benchFoundation } from './foundation.ts';
import { benchLedger } from './ledger.ts';
import { benchSharing } from './sharing.ts';
import { benchCircuits } from './circuits.ts';
import { benchExits } from './exits.ts';
import { benchBrowsers } from './browsers.ts';
import { benchReputation } from './reputation.ts';
import { benchMarket } from './market.ts';
import { benchBundle } from './bundle.ts';
import { benchRelayLoad } from './relay-load.ts';
import { benchGossipSpread } from './gossip-spread.ts';

const SECTIONS: Record<string, (env: BenchEnv) => Promise<Figure[]>> = {
  foundation: benchFoundation,
  ledger: benchLedger,
  sharing: benchSharing,
  circuits: benchCircuits,
  exits: benchExits,
  browsers: benchBrowsers,
  reputation: benchReputation,
  market: benchMarket,
  bundle: benchBundle,
  'relay-load': () => benchRelayLoad(),
  'gossip-spread': () => benchGossipSpread(),
};
/** Sections that need no shared environment (bundle measures the build; relay-load runs its own relay; gossip-spread is in-process): alone, they start no browser. */
const WITHOUT_ENV = new Set(['bundle', 'relay-load', 'gossip-spread']);

const wanted = (process.env.BENCH ?? Object.keys(SECTIONS).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
const unknown = wanted.filter((w) => !(w in SECTIONS));
if (unknown.length > 0) {
  console.error(`unknown bench section(s): ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  process.exit(2);
}

const env = wanted.every((w) => WITHOUT_ENV.has(w)) ? undefined : await startBenchEnv();
const figures: Figure[] = [];
try {
  for (const name of wanted) {
    console.log(`running ${name}…`);
    const got = await SECTIONS[name]!(env!); // undefined only when every wanted section is in WITHOUT_ENV
    for (const f of got) console.log(`  ${f.name}: ${f.value.toFixed(2)} ${f.unit}${f.note ? `  (${f.note})` : ''}`);
    figures.push(...got);
  }
} finally {
  await env?.close();
}

console.log('\nTrustmesh benchmark');
console.log(`machine: ${(await import('node:os')).cpus().length} cores, node ${process.version}\n`);
const width = Math.max(...figures.map((f) => f.name.length));
for (const f of figures) console.log(`${f.section.padEnd(11)} ${f.name.padEnd(width)}  ${f.value.toFixed(2).padStart(9)} ${f.unit.padEnd(6)} ${f.note ?? ''}`);
process.exit(0);
