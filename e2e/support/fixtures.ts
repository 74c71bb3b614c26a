/**
 * Playwright fixtures: a real relay process and static server per test, and
 * `openPeer()` for a fresh browser profile (context) running the app.
 */
import { chromium, firefox, test as base, type Browser } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { CHROMIUM_ARGS, findChromium } from './chromium.ts';
import { join, resolve } from 'node:path';
import { PeerPage } from './peer-page.ts';
import { freePort } from './ports.ts';
import { startStockClient } from './stock-webtorrent.ts';
import { startRelayProcess, startStaticServer, type RelayProcess, type StaticServer } from './processes.ts';
import { firefoxLaunchOptions } from './firefox.ts';
import { launchBackgroundBrowser } from './background-browser.ts';

export interface Network {
  relay: RelayProcess;
  server: StaticServer;
  /** The link a visitor opens: the app, pointed at this test's relay and tracker. */
  appUrl(relayQuery?: string): string;
}

/** Set per project in playwright.config.ts. */
export interface EngineOptions {
  /** Every other tab is Firefox (the first is the project's browser): a network of both engines. */
  mixedEngines: boolean;
}

interface WorkerFixtures {
  /** A Firefox launched the first time a mixed test asks for it, shared by the worker's tests. */
  secondEngine: () => Promise<Browser>;
}

interface Fixtures {
  net: Network;
  /** A fresh profile running only the stock WebTorrent bundle (no Trustmesh code), as window.stock. */
  openStock: () => Promise<import('@playwright/test').Page>;
  openPeer: (opts?: {
    /** Replaces the relay part of the link. */ query?: string;
    viewport?: { width: number; height: number };
    /** A Chromium profile on disk instead of an in-memory one: what a visitor's browser has (e.g. quota as the browser enforces it on files). */
    onDisk?: boolean;
  }) => Promise<PeerPage>;
  /** A peer in a Chromium of its own whose tab `hide()` really hides (Chromium only; background-browser.ts). */
  openBackgroundPeer: () => Promise<PeerPage & { hide(): Promise<void> }>;
}

/** Tags a test to run in Firefox and in a network of Firefox and Chromium tabs too (playwright.config.ts). */
export const EVERY_BROWSER = { tag: '@browsers' };

export const DIST_TEST = resolve(import.meta.dirname, '../../dist-test');

export const test = base.extend<Fixtures & EngineOptions, WorkerFixtures>({
  mixedEngines: [false, { option: true }],
  secondEngine: [
    async ({}, use) => {
      let launched: Promise<Browser> | undefined;
      await use(() => (launched ??= firefox.launch(firefoxLaunchOptions())));
      if (launched !== undefined) await (await launched).close();
    },
    { scope: 'worker' },
  ],
  net: async ({}, use) => {
    const relay = await startRelayProcess();
    const server = await startStaticServer(DIST_TEST, await freePort());
    const appUrl = (relayQuery?: string): string =>
      `${server.url}/?${relayQuery ?? `relay=${encodeURIComponent(relay.multiaddr)}`}&tracker=${encodeURIComponent(relay.trackerUrl)}`;
    try {
      await use({ relay, server, appUrl });
    } finally {
      await server.stop();
      await relay.stop();
    }
  },
  openPeer: async ({ browser, net, mixedEngines, secondEngine }, use) => {
    const contexts: import('@playwright/test').BrowserContext[] = [];
    let opened = 0;
    const profiles: string[] = [];
    await use(async (opts = {}) => {
      const engine = mixedEngines && opened++ % 2 === 1 ? await secondEngine() : browser;
      const viewport = opts.viewport === undefined ? {} : { viewport: opts.viewport };
      let context: import('@playwright/test').BrowserContext;
      if (opts.onDisk === true) {
        const dir = mkdtempSync(join(tmpdir(), 'trustmesh-profile-'));
        profiles.push(dir);
        context = await chromium.launchPersistentContext(dir, { executablePath: findChromium(), args: CHROMIUM_ARGS, ...viewport });
      } else {
        context = await engine.newContext(viewport);
      }
      contexts.push(context);
      const page = await context.newPage();
      return new PeerPage(page, context, net.appUrl(opts.query)).open();
    });
    for (const c of contexts) await c.close().catch(() => undefined);
    for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
  },
  openBackgroundPeer: async ({ net }, use) => {
    const opened: { close(): Promise<void> }[] = [];
    await use(async () => {
      const b = await launchBackgroundBrowser();
      opened.push(b);
      const peer = await new PeerPage(b.page, b.page.context(), net.appUrl()).open();
      return Object.assign(peer, { hide: b.hide });
    });
    for (const b of opened) await b.close();
  },
  openStock: async ({ browser, net }, use) => {
    const contexts: import('@playwright/test').BrowserContext[] = [];
    await use(async () => {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      // Any page of the origin will do: the client needs an http origin, not the app.
      await page.goto(`${net.server.url}/manifest.webmanifest`);
      await startStockClient(page);
      return page;
    });
    for (const c of contexts) await c.close().catch(() => undefined);
  },
});

export { expect } from '@playwright/test';
