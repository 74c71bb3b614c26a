/**
 * How the relay process is built and started, shared by `npm run relay`,
 * `npm start`, the e2e suite and the benches (plain JavaScript, so
 * scripts/start.mjs can import it without a TypeScript loader).
 *
 * The relay runs as one compiled JavaScript file: a run-time TypeScript loader
 * (tsx) keeps esbuild's output, inline source maps and its own code in the
 * heap, some 70 MB of a relay that should fit in 200 MB (issue #16, #19).
 * npm packages stay imports of node_modules; only the relay's own code and what
 * it imports from src/ are bundled, unminified, so stack traces stay readable.
 */
import { rename, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const RELAY_ROOT = resolve(import.meta.dirname, '..');
/** The compiled relay, relative to the repository root (git-ignored). */
export const RELAY_BUNDLE = 'dist-relay/main.mjs';

/**
 * V8 flags the relay runs with (measured by BENCH=relay-load). With node's
 * defaults a relay of 450 peers had 270 MiB of heap for some 70 MiB live: V8
 * lets the heap grow up to 4x its live size before a full collection; with
 * these, 650 peers held 80-100 MiB of heap for the same live size per peer.
 * - a 2 MiB semi-space, fixed: the young generation otherwise grows to 3 x 16 MiB
 *   under the relay's steady allocation (frames, pings), resident for nothing, while
 *   --optimize-for-size alone keeps it at its 1 MiB minimum, where a scavenge ran every
 *   15 ms with 650 peers and promoted what lives a few tens of ms (a ping, a batch)
 *   into the old generation, a full collection every 2 s (BENCH=relay-load, --trace-gc);
 * - --optimize-for-size: a smaller growing factor and smaller code;
 * - a heap let grow 30 % past its live size before the next full collection
 *   (a factor, not a cap: more peers mean more heap, never an out-of-memory stop).
 */
export const RELAY_NODE_FLAGS = ['--min-semi-space-size=2', '--max-semi-space-size=2', '--optimize-for-size', '--heap-growing-percent=30'];

/** node's arguments to run the compiled relay with `args` (cwd: RELAY_ROOT). */
export function relayNodeArgs(args = []) {
  return [...RELAY_NODE_FLAGS, '--import', './relay/polyfill.mjs', RELAY_BUNDLE, ...args];
}

let building;

/**
 * Compiles relay/main.ts into RELAY_BUNDLE, once per process. Written to a
 * temporary file and renamed, so a relay starting meanwhile (parallel e2e
 * workers) never reads a half-written file. Takes well under a second; each
 * process that starts relays builds rather than trust an old file.
 */
export function buildRelay() {
  building ??= compile();
  return building;
}

async function compile() {
  const { build } = await import('esbuild');
  const out = resolve(RELAY_ROOT, RELAY_BUNDLE);
  const tmp = `${out}.${process.pid}.tmp`;
  await mkdir(resolve(out, '..'), { recursive: true });
  await build({
    entryPoints: [resolve(RELAY_ROOT, 'relay/main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  await rename(tmp, out);
}

// `node relay/launch.mjs build`: the relay:build script.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv[2] === 'build') {
  await buildRelay();
}
