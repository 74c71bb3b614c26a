/**
 * A peer in a background tab, hidden as a user's is (its timers throttled to
 * one a second): what it does for others must not fall apart there, since a
 * seeder is usually a tab nobody is looking at.
 */
import { expect, test } from './support/fixtures.ts';
import { circuits, hooksReady } from './support/ledger.ts';
import { expectSeeding, sharing } from './support/sharing.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

test('a hidden seeder in a background tab still sends its blocks a dozen to a cell, not one a cell', async ({ openPeer, openBackgroundPeer }) => {
  const seeder = await openBackgroundPeer();
  const [downloader, ...relays] = await Promise.all([openPeer(), openPeer(), openPeer(), openPeer()]);
  for (const p of [seeder, downloader!, ...relays]) await hooksReady(p.page);
  await circuits(seeder.page, 'block', await downloader!.peerId());
  await circuits(downloader!.page, 'block', await seeder.peerId());
  for (const end of [seeder, downloader!]) await expect.poll(() => circuits<{ connected: number }>(end.page, 'relayCounts').then((c) => c.connected), { message: 'both ends know three relays' }).toBeGreaterThanOrEqual(3);

  await seeder.hide();
  const size = 6 * MiB;
  const file = await sharing<{ infoHash: string; magnet: string; sha256: string }>(seeder.page, 'seedGenerated', size, 'background.bin', 91, { hidden: true });
  await circuits(seeder.page, 'hide', file.infoHash, 1);
  await circuits(downloader!.page, 'downloadHidden', file.magnet, 1);
  await expectSeeding(downloader!.page, file.infoHash);
  expect(await sharing<string>(downloader!.page, 'fileSha256', file.infoHash)).toBe(file.sha256);
  expect(await seeder.page.evaluate(() => document.visibilityState)).toBe('hidden');

  // The seeder's blocks left over its circuit to the rendezvous point. Its held writes ran on the clock
  // worker: on the page's own clock (throttled) or at the end of each task, each 16 KiB block went alone.
  const own = await circuits<{ sent: number; sentCells: number }[]>(seeder.page, 'ownCircuits');
  const data = own.reduce((a, b) => (b.sent > a.sent ? b : a));
  expect(data.sent).toBeGreaterThanOrEqual(size);
  const perCell = data.sent / data.sentCells;
  expect(perCell, `${data.sentCells} data cells for ${data.sent} bytes`).toBeGreaterThan(32 * KiB);
});
