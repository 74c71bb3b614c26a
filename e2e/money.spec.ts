/**
 * The ledger's money in real tabs: an amount counts only when both parties
 * signed it (a peer minting agreements to invented proposals gains nothing),
 * and one identity used in two profiles is caught and refused everywhere.
 * The attackers' behaviour is injected by test code (src/app/hooks/money.ts).
 */
import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';
import { directMesh, hooks, hooksReady, ledger } from './support/ledger.ts';
import { sharing, torrent } from './support/sharing.ts';
import type { PeerPage } from './support/peer-page.ts';

const MiB = 1024 * 1024;
/** The bound on a fork proof reaching every tab of a 6-tab network. */
const PROOF_SPREAD_MS = 10_000;

const money = hooks('money');

interface Balance {
  up: string;
  down: string;
  net: string;
  unconfirmedUp: string;
  complete: boolean;
}

interface Seeded {
  infoHash: string;
  magnet: string;
}

test('a peer that mints agreements to invented proposals: its balance as three honest tabs see it does not change, and it stays below the threshold', async ({ openPeer }) => {
  const peers = await Promise.all([openPeer(), openPeer(), openPeer(), openPeer()]);
  const [mallory, ...honest] = peers as [PeerPage, ...PeerPage[]];
  const ids = await directMesh(peers);
  const key = await ledger<string>(mallory.page, 'publicKey');
  // Mallory downloaded 4 MiB from the first honest tab: a real, dual-signed debt.
  await ledger(mallory.page, 'acceptAll');
  await ledger(honest[0]!.page, 'pay', ids[0], 4 * MiB);
  const seen = (p: PeerPage): Promise<Balance> => money<Balance>(p.page, 'verifiedBalance', key);
  for (const p of honest) await ledger(p.page, 'crawlChain', ids[0], key);
  const before = await Promise.all(honest.map(seen));
  expect(before.map((b) => b.net)).toEqual(honest.map(() => String(-4 * MiB)));

  // Five agreements to proposals of random keys that never existed, a TiB each.
  expect(await money<number>(mallory.page, 'mintAgreements', 5, 2 ** 40)).toBe(6);
  for (const p of honest) expect(await ledger<number>(p.page, 'crawlChain', ids[0], key)).toBe(6);
  const after = await Promise.all(honest.map(seen));
  for (const [i, b] of after.entries()) expect(b).toEqual({ ...before[i]!, unconfirmedUp: String(5 * 2 ** 40), through: 6, head: 6, complete: true });
  const rows = await ledger<{ seq: number; unconfirmed: boolean }[]>(honest[1]!.page, 'inspect', key);
  expect(rows.filter((r) => r.unconfirmed).map((r) => r.seq)).toEqual([6, 5, 4, 3, 2]);

  // Its own Ledger page says so.
  await mallory.page.goto(`${mallory.url}#/ledger`);
  await expect(mallory.page.getByTestId('balance-net')).toHaveAttribute('data-bytes', String(-4 * MiB));
  await expect(mallory.page.getByTestId('balance-unconfirmed')).toHaveAttribute('data-bytes', String(5 * 2 ** 40));
  await expect(mallory.page.getByTestId('unconfirmed')).toHaveCount(5);

  // Below a seeder's threshold it stays refused, minted "uploads" or not.
  await sharing(honest[2]!.page, 'setPolicy', { thresholdMiB: -1 });
  const file = await sharing<Seeded>(honest[2]!.page, 'seedGenerated', 2 * MiB, 'wanted.bin', 51);
  await sharing(mallory.page, 'add', file.magnet);
  await expect.poll(async () => (await torrent(mallory.page, file.infoHash))?.refusals?.reason, { timeout: 60_000 }).toBe('balance');
});

test('one identity restored into a second profile, both downloading from one seeder: the proof reaches every honest tab of a 6-tab network within 10 s and the key is refused', async ({ openPeer }) => {
  const peers = await Promise.all(Array.from({ length: 6 }, () => openPeer()));
  const [seeder, original, copy, ...others] = peers as [PeerPage, PeerPage, PeerPage, ...PeerPage[]];
  for (const p of peers) await hooksReady(p.page);
  const key = await ledger<string>(original.page, 'publicKey');
  const keyId = await original.peerId();

  // The second profile restores the first one's backup while the first keeps running.
  const backup = await money<string>(original.page, 'exportIdentity');
  await money(copy.page, 'importIdentity', backup).catch(() => undefined); // the page reloads under the call
  await expect.poll(() => ledger<string>(copy.page, 'publicKey').catch(() => ''), { message: 'the copy runs as the restored identity' }).toBe(key);
  await hooksReady(copy.page);
  const honest = [seeder, ...others];
  const honestIds = await Promise.all(honest.map((p) => p.peerId()));
  await Promise.all(honest.map((p, i) => p.expectDirectPeers([keyId, ...honestIds.filter((_, j) => j !== i)])));

  // Payments over each BitTorrent wire, so each download is paid by the device that made it. The copy downloads
  // and pays first; then the original, which never hears of the copy's blocks (a device that did would sign after
  // them: its own store refuses a taken position), signs its agreements at the positions the copy used. (The other
  // order races: the restored copy settling its head may learn the original's new blocks. Overlapping downloads would
  // let the seeder's per-key books propose one device's debt to the other, which refuses it: nothing forks.)
  await money(original.page, 'neverHearOwnBlocks');
  await sharing(seeder.page, 'setPreferDirect', false);
  const files = [await sharing<Seeded>(seeder.page, 'seedGenerated', 8 * MiB, 'one.bin', 61), await sharing<Seeded>(seeder.page, 'seedGenerated', 8 * MiB, 'two.bin', 62)];
  await sharing(copy.page, 'add', files[0]!.magnet);
  await expect.poll(async () => (await torrent(seeder.page, files[0]!.infoHash))?.earned, { timeout: 60_000, message: 'the copy paid for its download' }).toBe(String(8 * MiB));
  await sharing(original.page, 'add', files[1]!.magnet);

  const receivedAt = (p: Page): Promise<number | undefined> => money<number | undefined>(p, 'fraudReceivedAt', key);
  await expect.poll(() => receivedAt(seeder.page), { timeout: 90_000, message: 'the seeder catches the fork' }).toBeDefined();
  // Every honest tab. The two devices share one libp2p peer id, so a neighbour may hold a connection to only
  // one of them: the offender's own devices are refused below rather than counted on to hear of their fork.
  const names = ['seeder', 'other 1', 'other 2', 'other 3'];
  await expect
    .poll(async () => (await Promise.all(honest.map((p) => receivedAt(p.page)))).flatMap((t, i) => (t === undefined ? [names[i]] : [])), { timeout: 30_000, message: 'every honest tab holds the proof' })
    .toEqual([]);
  const times = (await Promise.all(honest.map((p) => receivedAt(p.page)))) as number[];
  const spreadMs = Math.max(...times) - Math.min(...times);
  console.log(`fork proof reached all ${honest.length} honest tabs of ${peers.length} in ${spreadMs} ms`);
  expect(spreadMs).toBeLessThanOrEqual(PROOF_SPREAD_MS);

  // Refused: a new download by either device, and any payment with the key.
  const later = await sharing<Seeded>(seeder.page, 'seedGenerated', 2 * MiB, 'later.bin', 63);
  for (const p of [original, copy]) {
    await sharing(p.page, 'add', later.magnet);
    await expect.poll(async () => (await torrent(p.page, later.infoHash))?.refusals?.reason, { message: 'the seeder refuses the forked key' }).toBe('fraudster');
  }
  expect(await ledger<string>(others[0]!.page, 'payError', keyId, 10)).toContain('FraudsterError');
});
