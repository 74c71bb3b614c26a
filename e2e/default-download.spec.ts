/**
 * The default download a visitor makes: a public magnet link, Download, every
 * setting at its default (1 relay hop). With no exit and no hidden seeder it
 * stays listed, says so, and "Download directly" finishes it.
 */
import { expect, test } from './support/fixtures.ts';
import type { Page } from '@playwright/test';
import { expectSeeding, hooksReady, sharing, torrent } from './support/sharing.ts';
import { BLOCK_LENGTH } from '../src/sharing/constants.ts';
import { DEFAULT_SETTINGS } from '../src/sharing/settings.ts';
import { hooks } from './support/ledger.ts';

const MiB = 1024 * 1024;
/** Calls a `downloads` test hook (src/app/hooks/downloads.ts). */
const downloads = (page: Page, method: string, ...args: unknown[]): Promise<unknown> =>
  page.evaluate(([m, a]) => (globalThis as unknown as { __trustmesh: { downloads: Record<string, (...x: unknown[]) => unknown> } }).__trustmesh.downloads[m]!(...a), [method, args] as const);

const storage = hooks('storage');

test('with no exit available, the same default download shows its state and "Download directly" finishes it', async ({ openPeer }) => {
  const [seeder, downloader] = await Promise.all([openPeer(), openPeer()]);
  await Promise.all([hooksReady(seeder.page), hooksReady(downloader.page)]);
  const file = await sharing<{ infoHash: string; magnet: string; sha256: string }>(seeder.page, 'seedGenerated', MiB, 'public.bin', 91);

  const page = downloader.page;
  await page.goto(`${downloader.url}#/files`);
  await expect(page.getByTestId('anonymity')).toHaveValue('1');
  await page.getByTestId('magnet-input').fill(file.magnet);
  await page.getByTestId('magnet-add').click();
  const row = page.locator(`[data-testid="torrent"][data-infohash="${file.infoHash}"]`);
  // The lookup finds no hidden seeder: the entry stays, says so and what to do.
  await expect(row.getByTestId('torrent-status')).toContainText('no hidden seeder or exit answered yet', { timeout: 30_000 });
  await expect(row.getByTestId('torrent-status')).toContainText('No exit relay is known');
  await expect(page.getByTestId('share-error')).toHaveCount(0);

  // It survives a reload as a hidden download, still looking.
  await page.reload();
  await hooksReady(page);
  await expect(row).toHaveAttribute('data-hidden', 'true');
  await expect(row.getByTestId('torrent-status')).toContainText('anonymous seeder');

  await row.getByTestId('download-directly').click();
  await expect(row).toHaveAttribute('data-hidden', 'false');
  await expectSeeding(page, file.infoHash, 60_000);
  expect(await sharing<string>(page, 'fileSha256', file.infoHash)).toBe(file.sha256);
});

test('"Download directly" keeps the pieces a hidden download already stored and fetches only the rest', async ({ openPeer }) => {
  const [seeder, downloader] = await Promise.all([openPeer(), openPeer()]);
  await Promise.all([hooksReady(seeder.page), hooksReady(downloader.page)]);
  // A newcomer is refused after about 1 MiB: the downloader stores part of the file, then stops.
  await sharing(seeder.page, 'setPolicy', { thresholdMiB: -1 });
  const size = 4 * MiB;
  const file = await sharing<{ infoHash: string; magnet: string; sha256: string }>(seeder.page, 'seedGenerated', size, 'partial.bin', 92);
  await sharing(downloader.page, 'add', file.magnet);
  await expect.poll(async () => (await torrent(downloader.page, file.infoHash))?.refusals?.reason, { timeout: 60_000 }).toBe('balance');
  const fetched = (await torrent(downloader.page, file.infoHash))!.downloaded;
  await expect.poll(() => storage<number>(downloader.page, 'storedBytes', file.infoHash), { message: 'the verified pieces reach storage' }).toBeGreaterThanOrEqual(fetched);

  // Kept as a hidden download whose seeder left midway: after a reload it resumes hidden with its stored pieces.
  await downloads(downloader.page, 'keepAsHidden', file.infoHash, file.magnet);
  await downloader.page.goto(`${downloader.url}#/files`);
  await downloader.page.reload();
  await hooksReady(downloader.page);
  const row = downloader.page.locator(`[data-testid="torrent"][data-infohash="${file.infoHash}"]`);
  await expect(row).toHaveAttribute('data-hidden', 'true');
  await expect.poll(async () => (await torrent(downloader.page, file.infoHash))?.downloaded).toBe(fetched);

  // The seeder serves again once the reloaded tab's old connection is gone (bytes sent into it would count as sent).
  const seen = async () => (await sharing<{ infoHash: string; uploaded: number; peers: number }[]>(seeder.page, 'views')).find((t) => t.infoHash === file.infoHash)!;
  await expect.poll(async () => (await seen()).peers, { timeout: 60_000 }).toBe(0);
  await sharing(seeder.page, 'setPolicy', { thresholdMiB: DEFAULT_SETTINGS.thresholdMiB });
  const before = (await seen()).uploaded;
  await row.getByTestId('download-directly').click();
  await expectSeeding(downloader.page, file.infoHash, 60_000);
  expect(await sharing<string>(downloader.page, 'fileSha256', file.infoHash)).toBe(file.sha256);
  // Only the pieces it lacked were sent again (within a block: the seeder counts what it sent as it was refused).
  expect((await seen()).uploaded - before).toBeLessThan(size - fetched + BLOCK_LENGTH);
});
