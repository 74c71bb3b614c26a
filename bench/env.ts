/** The shared benchmark environment: a test-mode build, the real relay, a static server, Chromium and (on demand) Firefox. */
import { chromium, firefox, type Browser, type Page } from '@playwright/test';
import { build } from 'vite';
import { resolve } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from '../e2e/support/chromium.ts';
import { firefoxLaunchOptions } from '../e2e/support/firefox.ts';
import { hooksReady } from '../e2e/support/ledger.ts';
import { freePort } from '../e2e/support/ports.ts';
import { startRelayProcess, startStaticServer, type RelayProcess, type StaticServer } from '../e2e/support/processes.ts';

export type Engine = 'chromium' | 'firefox';

export interface BenchEnv {
  /** Chromium: the browser every section measures unless it names another engine. */
  browser: Browser;
  /** The browser of an engine; Firefox is launched the first time a section asks for it. */
  engine(name: Engine): Promise<Browser>;
  relay: RelayProcess;
  server: StaticServer;
  appUrl: string;
  /** A fresh profile running the app (in Chromium unless told), once its peer is running (its test hooks answer). */
  openPeer(engine?: Engine): Promise<{ page: Page; peerId: string; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startBenchEnv(): Promise<BenchEnv> {
  const root = resolve(import.meta.dirname, '..');
  await build({ root, mode: 'test', logLevel: 'warn', build: { outDir: 'dist-test', emptyOutDir: true } });
  const relay = await startRelayProcess();
  const server = await startStaticServer(resolve(root, 'dist-test'), await freePort());
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  let ff: Promise<Browser> | undefined;
  const engine = (name: Engine): Promise<Browser> => (name === 'chromium' ? Promise.resolve(browser) : (ff ??= firefox.launch(firefoxLaunchOptions())));
  const appUrl = `${server.url}/?relay=${encodeURIComponent(relay.multiaddr)}&tracker=${encodeURIComponent(relay.trackerUrl)}#/network`;
  return {
    browser,
    relay,
    server,
    appUrl,
    engine,
    async openPeer(name = 'chromium') {
      const context = await (await engine(name)).newContext();
      const page = await context.newPage();
      await page.goto(appUrl);
      const fp = page.getByTestId('fingerprint');
      await fp.waitFor();
      const peerId = (await fp.getAttribute('data-peer-id')) ?? '';
      // Direct peers show before the app has started sharing and circuits, and the hooks refuse until then.
      await hooksReady(page);
      return { page, peerId, close: () => context.close() };
    },
    async close() {
      if (ff !== undefined) await (await ff).close();
      await browser.close();
      await server.stop();
      await relay.stop();
    },
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const MiB = 1024 * 1024;

export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  /** e.g. "0.82 × raw datachannel" */
  note?: string;
}
