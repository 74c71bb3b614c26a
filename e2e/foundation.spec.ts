/**
 * Foundation: peers join from a link, find each other through the real relay,
 * connect directly over WebRTC, and keep working when the relay goes away.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './support/chromium.ts';
import WebSocket from 'ws';
import { EVERY_BROWSER, expect, test } from './support/fixtures.ts';
import type { PeerPage } from './support/peer-page.ts';
import { hooks, hooksReady } from './support/ledger.ts';

const wallet = hooks('wallet');

async function directMesh(peers: PeerPage[]): Promise<string[]> {
  const ids = await Promise.all(peers.map((p) => p.peerId()));
  await Promise.all(peers.map((p, i) => p.expectDirectPeers(ids.filter((_, j) => j !== i))));
  return ids;
}

test('three profiles see each other as direct WebRTC peers', EVERY_BROWSER, async ({ openPeer, net }) => {
  const peers = await Promise.all([openPeer(), openPeer(), openPeer()]);
  const ids = await directMesh(peers);
  for (const p of peers) {
    await expect(p.page.locator('[data-testid="peer-row"][data-transport="relayed"]')).toHaveCount(0);
    await expect(p.page.getByTestId('online')).toBeVisible();
  }
  // One link per pair. Counted once no tab has a dial under way, so none is still being signaled that could add a second link.
  const hook = (p: PeerPage, name: string, arg?: string) => p.page.evaluate(([n, a]) => (globalThis as any).__trustmesh[n!](a) as number, [name, arg] as const);
  for (const p of peers) await expect.poll(() => hook(p, 'dialsInFlight'), { timeout: 30_000 }).toBe(0);
  // Both ends close the second link of a pair that dialled each other at once, once the first answers a ping.
  for (const [i, p] of peers.entries()) {
    for (const other of ids.filter((_, j) => j !== i)) await expect.poll(() => hook(p, 'directConnections', other), { timeout: 15_000 }).toBe(1);
  }
  const health = await net.relay.health();
  expect(health.reservations).toBe(3);
});

test('direct links survive the relay going down; after it returns a fourth tab finds the others', async ({ openPeer, net }) => {
  const peers = await Promise.all([openPeer(), openPeer(), openPeer()]);
  const ids = await directMesh(peers);

  await net.relay.stop();
  for (const p of peers) await expect(p.page.getByTestId('relay-status').first()).not.toHaveAttribute('data-state', 'connected');
  for (const p of peers) await expect(p.directPeerRows()).toHaveCount(2);

  // Data still flows over a libp2p stream on the direct connection.
  const result = await peers[0]!.page.evaluate(
    ([id]) => (globalThis as any).__trustmesh.speedTest(id, 1 << 20, 4 << 20),
    [ids[1]!],
  );
  expect(result.downloadMs).toBeGreaterThan(0);
  await peers[0]!.page.locator(`[data-testid="peer-row"][data-peer-id="${ids[2]}"] [data-testid="speed-test"]`).click();
  await expect(peers[0]!.page.locator(`[data-testid="peer-row"][data-peer-id="${ids[2]}"] [data-testid="speed-result"]`)).toContainText('MiB/s');

  await net.relay.start();
  const fourth = await openPeer();
  await fourth.expectDirectPeers(ids, 90_000);
  const fourthId = await fourth.peerId();
  for (const p of peers) await p.expectDirectPeers([fourthId], 90_000);
});

test('a reload keeps the identity; a second tab of the profile defers to the active one', EVERY_BROWSER, async ({ openPeer }) => {
  const peer = await openPeer();
  const fingerprint = await peer.fingerprint();
  expect(fingerprint).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
  await peer.page.reload();
  await expect(peer.page.getByTestId('fingerprint')).toHaveText(fingerprint);

  const second = await peer.context.newPage();
  await second.goto(peer.url);
  await expect(second.getByTestId('active-elsewhere')).toContainText('active in another tab');

  // Taking over moves the peer: the first tab stops, the second runs the same identity.
  await second.getByRole('button', { name: 'Use Trustmesh in this tab' }).click();
  await expect(second.getByTestId('fingerprint')).toHaveText(fingerprint);
  await expect(peer.page.getByTestId('taken-over')).toBeVisible();

  // When the active tab closes, the waiting one starts by itself.
  await peer.page.getByRole('button', { name: 'Use it here again' }).click();
  await expect(second.getByTestId('taken-over')).toBeVisible();
  await second.getByRole('button', { name: 'Use it here again' }).click();
  await expect(second.getByTestId('fingerprint')).toHaveText(fingerprint);
});

test('a waiting tab starts by itself when the active tab closes', async ({ openPeer }) => {
  const peer = await openPeer();
  const fingerprint = await peer.fingerprint();
  const second = await peer.context.newPage();
  await second.goto(peer.url);
  await expect(second.getByTestId('active-elsewhere')).toBeVisible();
  await peer.page.close();
  await expect(second.getByTestId('fingerprint')).toHaveText(fingerprint);
});

test('the service worker serves the app shell with the relay and the static server down', EVERY_BROWSER, async ({ openPeer, net }) => {
  const peer = await openPeer();
  await expect(peer.page.getByTestId('offline-ready')).toBeVisible();
  await peer.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const manifest = await peer.page.evaluate(async () => (await fetch('/manifest.webmanifest')).json());
  expect(manifest.icons.some((i: { sizes: string }) => i.sizes === '512x512')).toBe(true);

  await net.relay.stop();
  await net.server.stop();
  await peer.page.reload();
  await expect(peer.page.getByTestId('fingerprint')).toBeVisible();
  await expect(peer.page.getByTestId('offline-notice')).toContainText('offline');
});

test('a browser without WebRTC is told plainly that it cannot be a peer, and what to do', EVERY_BROWSER, async ({ browser, net }) => {
  const context = await browser.newContext();
  try {
    // As if WebRTC were turned off (a browser setting or an extension can do that).
    await context.addInitScript(() => {
      delete (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection;
    });
    const page = await context.newPage();
    await page.goto(net.appUrl());
    await expect(page.getByTestId('start-failed')).toContainText('direct connections between browsers (WebRTC; it may be turned off)');
    await expect(page.getByTestId('start-failed')).toContainText('current Firefox, Chrome, Edge or Safari');
  } finally {
    await context.close();
  }
});

test('the app is installable in Chromium', async ({ net }) => {
  // Installability is not evaluated in incognito contexts, so this test uses a persistent profile.
  const profile = await mkdtemp(join(tmpdir(), 'trustmesh-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: findChromium(), args: CHROMIUM_ARGS });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(net.appUrl());
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const cdp = await context.newCDPSession(page);
    await expect.poll(async () => ((await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: unknown[] }).installabilityErrors).toEqual([]);
    const manifest = (await cdp.send('Page.getAppManifest')) as { errors: unknown[]; url: string };
    expect(manifest.errors).toEqual([]);
    expect(manifest.url).toContain('manifest.webmanifest');
  } finally {
    await context.close();
  }
});

test('an exported identity imports into a fresh profile as the same identity, with the same Ether wallet', async ({ openPeer }) => {
  const source = await openPeer();
  const fingerprint = await source.fingerprint();
  const peerId = await source.peerId();
  await hooksReady(source.page);
  const address = await wallet<string>(source.page, 'address');
  await source.page.goto(`${source.url}#/identity`);
  await expect(source.page.getByTestId('wallet-backup-warning')).toContainText('Anyone who has them can spend its Ether');
  await source.page.getByTestId('export').click();
  await expect(source.page.getByRole('alert')).toContainText('Anyone who has it can spend your bandwidth tokens');
  const downloadPromise = source.page.waitForEvent('download');
  await source.page.getByTestId('export-confirm').click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toBe(`trustmesh-identity-${fingerprint}.json`);
  const file = await readFile((await download.path())!);
  expect(JSON.parse(file.toString()).wallet.mnemonic).toMatch(/^(\w+ ){11}\w+$/);
  await source.context.close();

  const target = await openPeer();
  expect(await target.fingerprint()).not.toBe(fingerprint);
  await hooksReady(target.page);
  expect(await wallet<string>(target.page, 'address')).not.toBe(address); // its own wallet, which the restore replaces
  await target.page.goto(`${target.url}#/identity`);
  await target.page.getByTestId('import-file').setInputFiles({ name: 'backup.json', mimeType: 'application/json', buffer: Buffer.from('{"not":"a backup"}') });
  await expect(target.page.getByTestId('import-error')).toContainText('not a Trustmesh identity backup');
  await target.page.getByTestId('import-file').setInputFiles({ name: 'backup.json', mimeType: 'application/json', buffer: file });
  await expect(target.page.getByTestId('fingerprint')).toHaveText(fingerprint);
  expect(await target.peerId()).toBe(peerId);
  await hooksReady(target.page);
  expect(await wallet<string>(target.page, 'address')).toBe(address);
});

test('malformed or unreachable relay addresses give a clear status and retries, not a crash', async ({ openPeer, browser, net }) => {
  const bad = await openPeer({ query: 'relay=not-a-multiaddr' });
  await expect(bad.page.getByTestId('relay-status')).toHaveAttribute('data-state', 'invalid');
  await expect(bad.page.getByTestId('relay-status')).toContainText('is not a valid multiaddr');
  await expect(bad.page.getByTestId('offline')).toBeVisible();

  // An unreachable relay is retried with backoff.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${net.server.url}/?relay=${encodeURIComponent('/ip4/127.0.0.1/tcp/1/ws')}#/network`);
  const status = page.getByTestId('relay-status');
  await expect(status).toHaveAttribute('data-state', 'retrying');
  await expect(status).toContainText('retrying in');
  await expect(page.getByTestId('fingerprint')).toBeVisible();
  await context.close();

  // Fixing the address in Settings reconnects.
  await bad.page.goto(`${net.server.url}/#/settings`);
  await bad.page.getByTestId('relay-input').fill('garbage');
  await bad.page.getByTestId('relay-save').click();
  await expect(bad.page.getByTestId('relay-error')).toContainText('not a valid multiaddr');
  await bad.page.getByTestId('relay-input').fill(net.relay.multiaddr);
  await bad.page.getByTestId('relay-save').click();
  await expect(bad.page.getByTestId('relay-status')).toHaveAttribute('data-state', 'connected');
});

test('the relay survives garbage on its WebSockets and keeps serving peers', async ({ openPeer, net }) => {
  for (const url of [`ws://127.0.0.1:${net.relay.p2pPort}`, net.relay.trackerUrl]) {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.send(Buffer.from([0xff, 0x00, 0x13, 0x37, ...Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff)]));
    ws.send('{"action":"announce","info_hash":');
    ws.send('\u0000garbage');
    setTimeout(() => ws.terminate(), 2_000);
    await closed;
  }
  expect((await net.relay.health()).status).toBe('ok');
  const peers = await Promise.all([openPeer(), openPeer()]);
  await directMesh(peers);
});

test('the layout fits a 390 px phone screen', async ({ openPeer }) => {
  const peer = await openPeer({ viewport: { width: 390, height: 844 } });
  for (const route of ['network', 'identity', 'settings']) {
    await peer.page.goto(`${peer.url}#/${route}`);
    await expect(peer.page.getByTestId('fingerprint')).toBeVisible();
    const overflow = await peer.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `horizontal overflow on #/${route}`).toBeLessThanOrEqual(0);
  }
  await peer.page.goto(`${peer.url}#/network`);
  await expect(peer.page.getByTestId('empty-state')).toContainText('Nobody else is connected yet');
});
