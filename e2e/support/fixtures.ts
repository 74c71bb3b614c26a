/**
 * Playwright fixtures: a real relay process and static server per test, and
 * `openPeer()` for a fresh browser profile (context) running the app.
 */
import { test as base } from '@playwright/test';
import { resolve } from 'node:path';
import { PeerPage } from './peer-page.ts';
import { freePort } from './ports.ts';
import { startStockClient } from './stock-webtorrent.ts';
import { startRelayProcess, startStaticServer, type RelayProcess, type StaticServer } from './processes.ts';

export interface Network {
  relay: RelayProcess;
  server: StaticServer;
  /** The link a visitor opens: the app, pointed at this test's relay and tracker. */
  appUrl(relayQuery?: string): string;
}

interface Fixtures {
  net: Network;
  /** A fresh profile running only the stock WebTorrent bundle (no Trustmesh code), as window.stock. */
  openStock: () => Promise<import('@playwright/test').Page>;
  openPeer: (opts?: { /** Replaces the relay part of the link. */ query?: string; viewport?: { width: number; height: number } }) => Promise<PeerPage>;
}

export const DIST_TEST = resolve(import.meta.dirname, '../../dist-test');

export const test = base.extend<Fixtures>({
  net: async ({}, use) => {
    const relay = await startRelayProcess(await freePort(), await freePort());
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
  openPeer: async ({ browser, net }, use) => {
    const contexts: import('@playwright/test').BrowserContext[] = [];
    await use(async (opts = {}) => {
      const context = await browser.newContext(opts.viewport === undefined ? {} : { viewport: opts.viewport });
      contexts.push(context);
      const page = await context.newPage();
      return new PeerPage(page, context, net.appUrl(opts.query)).open();
    });
    for (const c of contexts) await c.close().catch(() => undefined);
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
