/**
 * Content discovery between real tabs: a seeder's public torrent is announced
 * as a signed swarm record; a neighbour finds it on its Discover page by a
 * word of its name (the record came by gossip), and a tab the gossip has not
 * reached finds it by remote search and downloads it with one click.
 */
import { expect, test } from './support/fixtures.ts';
import { directMesh, hooks } from './support/ledger.ts';
import { expectSeeding, sharing } from './support/sharing.ts';

const discovery = hooks('discovery');

interface Seeded {
  infoHash: string;
  magnet: string;
  sha256: string;
}

test('a seeder announces a swarm; a neighbour finds it by name locally, a tab without the gossip finds it by remote search and downloads it', async ({ openPeer }) => {
  const [seeder, finder, late] = await Promise.all([openPeer(), openPeer(), openPeer()]);
  await directMesh([seeder, finder, late]);
  // The late tab drops every record its neighbours push (a tab the gossip has not reached): only remote search can tell it.
  await discovery(late.page, 'ignoreGossip', true);

  const word = `quokka${Date.now().toString(36)}`;
  const file = await sharing<Seeded>(seeder.page, 'seedGenerated', 1_500_000, `holiday-${word}-2026.bin`, 7);
  expect(await discovery<boolean>(seeder.page, 'announceSwitch', file.infoHash)).toBe(true);

  // Locally, as the user types: the record reached the neighbour by gossip.
  await finder.page.getByRole('link', { name: 'Discover' }).click();
  await finder.page.getByTestId('discover-query').fill(word.slice(0, 9));
  const found = finder.page.locator(`[data-testid="discover-result"][data-infohash="${file.infoHash}"]`);
  await expect(found).toBeVisible();
  await expect(found.getByTestId('discover-seeders')).toHaveText('1 seeder');

  // The late tab knows nothing locally...
  await late.page.getByRole('link', { name: 'Discover' }).click();
  await late.page.getByTestId('discover-query').fill(word);
  await expect(late.page.getByTestId('discover-empty')).toBeVisible();
  expect(await discovery<unknown[]>(late.page, 'swarms')).toEqual([]);
  // ...until it asks its neighbours.
  await late.page.getByTestId('discover-remote').click();
  const answered = late.page.locator(`[data-testid="discover-result"][data-infohash="${file.infoHash}"]`);
  await expect(answered).toBeVisible();
  await expect.poll(async () => Number(await late.page.getByTestId('discover-remote-status').getAttribute('data-answered'))).toBeGreaterThanOrEqual(1);

  // One click downloads it; the row then says it is in Files.
  await answered.getByTestId('discover-download').click();
  await expect(answered.getByTestId('discover-in-files')).toBeVisible();
  await expectSeeding(late.page, file.infoHash, 60_000);
  expect(await sharing<string>(late.page, 'fileSha256', file.infoHash)).toBe(file.sha256);

  // "In Files" leads to it; the Files page offers the announce switch for it, on by default.
  await answered.getByTestId('discover-in-files').click();
  await expect(late.page.locator(`[data-testid="torrent"][data-infohash="${file.infoHash}"]`).getByTestId('announce-switch')).toBeChecked();
});
