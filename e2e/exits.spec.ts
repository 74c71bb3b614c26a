/**
 * Exit relays: exiting is opt-in on the Circuits page and announced; a
 * default download of a public magnet link reaches the public swarm through
 * an exit, with the swarm seeing the exit and never the downloader, and no
 * one out of pocket; an exit that leaves mid-transfer is replaced.
 */
import { EVERY_BROWSER, expect, test } from './support/fixtures.ts';
import type { Page } from '@playwright/test';
import { directMesh, hooks, hooksReady } from './support/ledger.ts';
import { expectSeeding, sharing, torrent } from './support/sharing.ts';
import type { PeerPage } from './support/peer-page.ts';
import { scrape } from './support/tracker.ts';

const MiB = 1024 * 1024;
const exits = hooks('exits');

/** Turns exiting on in these tabs and waits until the downloader can build through each of them. */
async function openExits(downloader: Page, exitTabs: PeerPage[]): Promise<string[]> {
  for (const e of exitTabs) await exits(e.page, 'setExiting', true);
  await expect.poll(() => exits<{ connected: number }>(downloader, 'counts').then((c) => c.connected), { message: 'the downloader learns of the exits' }).toBe(exitTabs.length);
  return Promise.all(exitTabs.map((e) => exits<string>(e.page, 'publicKey')));
}

/** Pastes a magnet link on the Files page and presses Download, every setting at its default. */
async function downloadByDefault(page: Page, url: string, magnet: string): Promise<void> {
  await page.goto(`${url}#/files`);
  await expect(page.getByTestId('anonymity')).toHaveValue('1');
  await page.getByTestId('magnet-input').fill(magnet);
  await page.getByTestId('magnet-add').click();
}


test('exiting is off by default; turned on, another peer lists the exit; relaying off withdraws it; the choice survives a reload', async ({ openPeer }) => {
  const [exit, other] = await Promise.all([openPeer(), openPeer()]);
  const ids = await Promise.all([exit.peerId(), other.peerId()]);
  await hooksReady(exit.page);
  await exit.expectDirectPeers([ids[1]]);
  await other.expectDirectPeers([ids[0]]);

  await other.page.goto(`${other.url}#/circuits`);
  await expect(other.page.getByTestId('relays-known')).toHaveAttribute('data-count', '1');
  await expect(other.page.getByTestId('exits-known')).toHaveAttribute('data-count', '0');

  const page = exit.page;
  await page.goto(`${exit.url}#/circuits`);
  await expect(page.getByTestId('exit-toggle')).not.toBeChecked();
  await expect(page.getByTestId('exit-statement')).toContainText('Your address is the one the swarm and the tracker see');
  await page.getByTestId('exit-toggle').check();
  await page.getByTestId('exit-cap').fill('512');
  await page.getByTestId('relaying-save').click();
  await expect(page.getByTestId('relaying-saved')).toBeVisible();
  await expect(other.page.getByTestId('exits-known')).toHaveAttribute('data-count', '1');
  await expect(other.page.getByTestId('exits-connected')).toHaveAttribute('data-count', '1');

  // An exit is a relay: relaying off withdraws both, everywhere.
  await page.getByTestId('relaying-toggle').uncheck();
  await expect(page.getByTestId('exit-toggle')).toBeDisabled();
  await page.getByTestId('relaying-save').click();
  await expect(page.getByTestId('exit-toggle')).not.toBeChecked();
  await expect(other.page.getByTestId('exits-known')).toHaveAttribute('data-count', '0');
  await expect(other.page.getByTestId('relays-known')).toHaveAttribute('data-count', '0');

  await page.getByTestId('relaying-toggle').check();
  await page.getByTestId('exit-toggle').check();
  await page.getByTestId('relaying-save').click();
  await expect(other.page.getByTestId('exits-known')).toHaveAttribute('data-count', '1');
  await page.reload();
  await expect(page.getByTestId('exit-toggle')).toBeChecked();
  await expect(page.getByTestId('exit-cap')).toHaveValue('512');
});

test('a default download of a public magnet link goes through an exit: hash intact, the swarm sees the exit and never the downloader, and nobody is out of pocket', EVERY_BROWSER, async ({ openPeer, net }) => {
  const [seeder, exit, downloader] = await Promise.all([openPeer(), openPeer(), openPeer()]);
  await directMesh([seeder, exit, downloader]);
  const [exitKey] = await openExits(downloader.page, [exit]);
  const [seederKey, downloaderKey] = await Promise.all([seeder, downloader].map((p) => exits<string>(p.page, 'publicKey')));
  const file = await sharing<{ infoHash: string; magnet: string; sha256: string }>(seeder.page, 'seedGenerated', 8 * MiB, 'public.bin', 93);

  // The exit holds the transfer midway, so the swarm is looked at while the exit is surely in it (after the
  // download, the exit leaves the swarm once its settling time is over).
  await exits(exit.page, 'stallAfter', 2 * MiB);
  await downloadByDefault(downloader.page, downloader.url, file.magnet);
  await expect.poll(async () => (await torrent(downloader.page, file.infoHash))?.downloaded ?? 0, { message: 'the exit passed part of the file on' }).toBeGreaterThan(MiB);

  // The swarm met the exit: its key and its peer id; never the downloader's.
  await expect.poll(async () => (await sharing<{ key?: string }[]>(seeder.page, 'accounts', file.infoHash)).map((m) => m.key), { message: 'the seeder knows the exit by its key' }).toContain(exitKey);
  const met = await sharing<{ key?: string; peer: string }[]>(seeder.page, 'accounts', file.infoHash);
  expect(met.map((m) => m.key)).not.toContain(downloaderKey);
  expect(met.map((m) => m.peer)).not.toContain(await exits<string>(downloader.page, 'swarmPeerId'));
  // The tracker knows two peers of the swarm, the seeder and the exit: the downloader never announced.
  expect(await scrape(net.relay.trackerUrl, file.infoHash)).toEqual({ complete: 1, incomplete: 1 });

  await exits(exit.page, 'stallAfter', undefined);
  await expectSeeding(downloader.page, file.infoHash);
  expect(await sharing<string>(downloader.page, 'fileSha256', file.infoHash)).toBe(file.sha256);

  // Paid along the chain: downloader -> exit (relaying and the data), exit -> seeder; no block pairs downloader and seeder.
  await expect.poll(() => exits<string[]>(seeder.page, 'counterparties'), { message: 'the exit pays the seeder', timeout: 40_000 }).toContain(exitKey);
  await expect.poll(() => exits<string[]>(exit.page, 'counterparties'), { message: 'the downloader pays the exit' }).toContain(downloaderKey);
  expect(await exits<string[]>(seeder.page, 'counterparties')).not.toContain(downloaderKey);
  expect(await exits<string[]>(downloader.page, 'counterparties')).not.toContain(seederKey);
  // Every verified byte, once the downloader's last payment through the closed circuit reached the exit.
  await expect.poll(async () => Number(await exits<string>(seeder.page, 'earnedFrom', exitKey)), { message: 'the exit pays the seeder for the whole file', timeout: 40_000 }).toBeGreaterThanOrEqual(8 * MiB);
  // The exit, the circuit's one relay, was paid for carrying the file and for the file itself, and kept its carriage.
  await expect.poll(async () => Number(await exits<string>(exit.page, 'earnedFrom', downloaderKey)), { message: 'the downloader pays the exit for carriage and data', timeout: 60_000 }).toBeGreaterThanOrEqual(16 * MiB);
  expect(BigInt(await exits<string>(exit.page, 'netBalance'))).toBeGreaterThan(0n);
});

test('an exit that leaves mid-transfer is replaced by another and the download completes', async ({ openPeer }) => {
  const [seeder, exitA, exitB, downloader] = await Promise.all([openPeer(), openPeer(), openPeer(), openPeer()]);
  await directMesh([seeder, exitA, exitB, downloader]);
  const exitTabs = [exitA, exitB];
  const keys = await openExits(downloader.page, exitTabs);
  // Each exit stalls once it has passed 2 MiB on, so the transfer is surely midway when the first one goes.
  for (const e of exitTabs) await exits(e.page, 'stallAfter', 2 * MiB);
  const file = await sharing<{ infoHash: string; magnet: string; sha256: string }>(seeder.page, 'seedGenerated', 6 * MiB, 'replaced.bin', 94);

  await downloadByDefault(downloader.page, downloader.url, file.magnet);
  await expect.poll(() => exits<string | undefined>(downloader.page, 'exitOf', file.infoHash), { message: 'an exit carries the download' }).toBeDefined();
  const first = keys.indexOf((await exits<string>(downloader.page, 'exitOf', file.infoHash))!);
  const other = exitTabs[1 - first]!;
  await expect.poll(async () => (await torrent(downloader.page, file.infoHash))?.downloaded ?? 0, { message: 'the first exit passed some of the file on' }).toBeGreaterThan(MiB);
  await exits(other.page, 'stallAfter', undefined);
  await exitTabs[first]!.page.close();

  await expectSeeding(downloader.page, file.infoHash);
  expect(await sharing<string>(downloader.page, 'fileSha256', file.infoHash)).toBe(file.sha256);
  const downloaderKey = await exits<string>(downloader.page, 'publicKey');
  await expect.poll(() => exits<string[]>(other.page, 'counterparties'), { message: 'the downloader pays the exit that took over' }).toContain(downloaderKey);
});
