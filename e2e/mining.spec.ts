/**
 * Credit mining between real tabs. A seeder shares a file and announces its
 * swarm; two downloaders come and go, so the seeder's signed record shows
 * demand for a lone seeder. A miner with a budget finds it in its catalogue,
 * downloads it (paying) and seeds it; what follows decides whether mining paid.
 * The tests shorten the policy's windows (joinMargin 1: the demand of two
 * downloaders is enough; a payback window of seconds) through the miner's
 * seams; every decision is the production policy's.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';
import { directMesh, hooks } from './support/ledger.ts';
import type { PeerPage } from './support/peer-page.ts';
import { balance, expectSeeding, sharing, torrent } from './support/sharing.ts';

const discovery = hooks('discovery');
const mining = hooks('mining');
const MiB = 1024 * 1024;
/** Big enough to take a few pieces, small enough to move in a second. */
const SIZE = 3 * MiB;
const LIMIT = 16 * MiB;

interface Seeded {
  infoHash: string;
  magnet: string;
}
interface SwarmRow {
  infohash: string;
  state: string;
  invested: string;
  earned: string;
  return: number;
  why: string;
}

const swarmOf = async (page: Page, infoHash: string): Promise<SwarmRow | undefined> =>
  (await mining<{ swarms: SwarmRow[] }>(page, 'view')).swarms.find((s) => s.infohash === infoHash);

/** A seeder whose announced record shows two recent downloaders and itself as the only seeder. */
async function wantedSwarm(openPeer: () => Promise<PeerPage>, name: string): Promise<{ seeder: PeerPage; miner: PeerPage; file: Seeded }> {
  const [seeder, miner, d1, d2] = await Promise.all([openPeer(), openPeer(), openPeer(), openPeer()]);
  await directMesh([seeder, miner, d1, d2]);
  const file = await sharing<Seeded>(seeder.page, 'seedGenerated', SIZE, name, 21);
  // The downloaders keep quiet about the swarm (their own records would be the other announcers).
  for (const d of [d1, d2]) {
    await discovery(d.page, 'setAnnounce', file.infoHash, false);
    await sharing(d.page, 'downloadTimed', file.magnet);
  }
  // Seen as downloaders while connected; then they leave (removing the torrent closes its wires at once), and the seeder announces what it saw.
  await discovery(seeder.page, 'announceNow');
  for (const d of [d1, d2]) await sharing(d.page, 'remove', file.infoHash);
  await Promise.all([d1, d2].map((d) => d.page.context().close()));
  await expect.poll(async () => (await sharing<{ infoHash: string; peers: number }[]>(seeder.page, 'views')).find((v) => v.infoHash === file.infoHash)?.peers, { timeout: 30_000 }).toBe(0);
  await discovery(seeder.page, 'announceNow');
  await expect
    .poll(async () => (await discovery<{ infoHash: string; seeders: number; demand: number }[]>(miner.page, 'swarms')).find((s) => s.infoHash === file.infoHash))
    .toMatchObject({ seeders: 1, demand: 2 });
  await mining(miner.page, 'rules', { joinMargin: 1, paybackWindowMs: 4_000 });
  return { seeder, miner, file };
}

test('a miner joins a swarm short of seeders, earns from the leechers that come after it, shows the return, and stops at once when switched off', async ({ openPeer }) => {
  const { seeder, miner, file } = await wantedSwarm(openPeer, `mining-earns-${Date.now().toString(36)}.bin`);
  const start = (await balance(miner.page)).net;
  await mining(miner.page, 'enable', LIMIT);
  await expectSeeding(miner.page, file.infoHash, 60_000);
  expect((await swarmOf(miner.page, file.infoHash))?.state).toMatch(/downloading|seeding/);

  // The original seeder leaves: the miner is the swarm's only seeder when the next leechers come.
  await seeder.page.context().close();
  const [l1, l2] = await Promise.all([openPeer(), openPeer()]);
  await directMesh([miner, l1, l2]);
  for (const l of [l1, l2]) await sharing(l.page, 'downloadTimed', file.magnet);

  // Paid for one copy, paid by two leechers: its verified balance is above where it started, and the swarm's own
  // books (which follow each settled pair a moment after the ledger) show it earned more than it paid.
  await expect.poll(async () => (await balance(miner.page)).net).toBeGreaterThan(start);
  await expect
    .poll(async () => {
      const t = await torrent(miner.page, file.infoHash);
      return t === undefined ? 0 : Number(t.earned) / Number(t.paid);
    })
    .toBeGreaterThan(1);
  await mining(miner.page, 'decideNow');
  const row = await swarmOf(miner.page, file.infoHash);
  expect(row?.state).toBe('seeding');
  expect(row?.return).toBeGreaterThan(1);

  // The Mining page shows it, with its return; switching off there stops the torrent within seconds.
  await miner.page.getByRole('link', { name: 'Mining' }).click();
  const shown = miner.page.locator(`[data-testid="mining-swarm"][data-infohash="${file.infoHash}"]`);
  await expect(shown).toHaveAttribute('data-state', 'seeding');
  expect(Number(await shown.getAttribute('data-return'))).toBeGreaterThan(1);
  await miner.page.getByTestId('mining-toggle').click();
  await expect(miner.page.getByTestId('mining-state')).toHaveAttribute('data-enabled', 'false');
  await expect.poll(async () => torrent(miner.page, file.infoHash), { timeout: 5_000 }).toBeUndefined();
});

test('in a swarm that turns over-seeded with no leechers, the miner drops it and loses no more than its investment limit', async ({ openPeer }) => {
  const name = `mining-loses-${Date.now().toString(36)}.bin`;
  const { seeder, miner, file } = await wantedSwarm(openPeer, name);
  const start = (await balance(miner.page)).net;
  await mining(miner.page, 'enable', LIMIT);
  await expectSeeding(miner.page, file.infoHash, 60_000);
  // More seeders of the same file arrive, and no leecher ever does.
  const more = await Promise.all([openPeer(), openPeer()]);
  await directMesh([seeder, miner, ...more]);
  for (const p of more) expect((await sharing<Seeded>(p.page, 'seedGenerated', SIZE, name, 21)).infoHash).toBe(file.infoHash);

  // Past the payback window, with nothing earned back, it is dropped and its torrent removed.
  await expect
    .poll(async () => {
      await mining(miner.page, 'decideNow');
      return (await swarmOf(miner.page, file.infoHash))?.state;
    })
    .toBe('dropped');
  await expect.poll(async () => torrent(miner.page, file.infoHash)).toBeUndefined();
  const lost = start - (await balance(miner.page)).net;
  expect(lost).toBeGreaterThan(0n);
  expect(lost).toBeLessThanOrEqual(BigInt(LIMIT));
  expect((await swarmOf(miner.page, file.infoHash))?.why).toMatch(/earn/i);
});
