/**
 * The first-peer figure's baseline: the same measurement for a page that is nothing but a libp2p node with the
 * app's transports (`bench/floor/`), against the same relay, on the same machine in the same run. What the app
 * takes beyond it is the app's own start (identity, storage, UI, peer exchange); what the floor takes is the
 * network stack's, which no change to the app can remove.
 */
import { build } from 'vite';
import { resolve } from 'node:path';
import type { BenchEnv } from './env.ts';
import { FLOOR_MARK } from './floor/floor-mark.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** Served beside the app by the bench's static server. */
const FLOOR_DIR = 'floor';

async function buildFloorPage(): Promise<void> {
  await build({
    root: resolve(ROOT, 'bench', FLOOR_DIR),
    configFile: false,
    base: './',
    logLevel: 'warn',
    build: { target: 'es2022', outDir: resolve(ROOT, 'dist-test', FLOOR_DIR), emptyOutDir: true },
  });
}

/** Navigation to the floor page's first direct WebRTC connection, in ms, for `runs` fresh profiles dialling one bare anchor. */
export async function floorFirstPeerTimes(env: BenchEnv, runs: number): Promise<number[]> {
  await buildFloorPage();
  const page = (query: string): string => `${env.server.url}/${FLOOR_DIR}/index.html?relay=${encodeURIComponent(env.relay.multiaddr)}${query}`;
  const anchorContext = await env.browser.newContext();
  const times: number[] = [];
  try {
    const anchor = await anchorContext.newPage();
    await anchor.goto(page(''));
    // waitForFunction returns once the value is truthy: a string from here on.
    const address = (await (await anchor.waitForFunction(() => (globalThis as Record<string, unknown>).__floorAddr as string | undefined, undefined, { timeout: 60_000 })).jsonValue()) as string;
    for (let i = 0; i < runs; i++) {
      const context = await env.browser.newContext();
      const dialer = await context.newPage();
      await dialer.goto(page(`&dial=${encodeURIComponent(address)}`));
      const at = await dialer.waitForFunction((mark) => performance.getEntriesByName(mark, 'mark')[0]?.startTime, FLOOR_MARK, { timeout: 60_000 });
      times.push((await at.jsonValue()) as number);
      await context.close();
    }
  } finally {
    await anchorContext.close();
  }
  return times;
}
