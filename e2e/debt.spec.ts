/**
 * Debt follows the key, not the connection: a leecher that never pays gets
 * one unpaid window from a seeder however often it reconnects (and the
 * seeder reloads); a proven key is fixed for the life of the connection.
 */
import { UNPAID_WINDOW_BYTES, BLOCK_LENGTH } from '../src/sharing/constants.ts';
import { expect, test } from './support/fixtures.ts';
import { hooks, ledger } from './support/ledger.ts';
import { balance, hooksReady, sharing, torrent } from './support/sharing.ts';

const MiB = 1024 * 1024;
const debt = hooks('sharingDebt');

interface Seeded {
  infoHash: string;
  magnet: string;
}
interface Debt {
  unpaid: string;
  sent: string;
}

test('a leecher that never countersigns and reconnects five times: it gets at most one unpaid window from the seeder in total', async ({ openPeer }) => {
  const [seeder, leecher] = await Promise.all([openPeer(), openPeer()]);
  for (const p of [seeder, leecher]) await hooksReady(p.page);
  await sharing(leecher.page, 'setWithholdAgreements', true);
  const leecherKey = await ledger<string>(leecher.page, 'publicKey');
  const file = await sharing<Seeded>(seeder.page, 'seedGenerated', UNPAID_WINDOW_BYTES + 8 * MiB, 'never-paid.bin', 61);

  let downloaded = 0;
  for (let connection = 0; connection < 6; connection++) {
    // Each add makes a new wire; the seeder refuses it once it is past the key's window (at once, after the first).
    await sharing(leecher.page, 'add', file.magnet);
    await expect.poll(async () => (await torrent(leecher.page, file.infoHash))?.refusals?.reason, { timeout: 60_000, message: `connection ${connection} refused` }).toBe('unpaid');
    downloaded += (await torrent(leecher.page, file.infoHash))!.downloaded;
    await sharing(leecher.page, 'remove', file.infoHash);
    if (connection === 2) {
      // The debt is in storage (written within a second); a reloaded seeder still holds it.
      await expect.poll(async () => BigInt((await debt<Debt | undefined>(seeder.page, 'storedDebt', leecherKey))?.unpaid ?? 0)).toBeGreaterThan(BigInt(UNPAID_WINDOW_BYTES));
      await seeder.page.reload();
      await hooksReady(seeder.page);
      await expect.poll(async () => (await torrent(seeder.page, file.infoHash))?.state, { timeout: 60_000 }).toBe('seeding');
    }
  }
  // One window, and the block that crossed it.
  const margin = BLOCK_LENGTH;
  const sent = BigInt((await debt<Debt>(seeder.page, 'debt', leecherKey)).sent);
  expect(sent).toBeGreaterThan(BigInt(UNPAID_WINDOW_BYTES));
  expect(sent).toBeLessThanOrEqual(BigInt(UNPAID_WINDOW_BYTES + margin));
  expect(downloaded).toBeLessThanOrEqual(UNPAID_WINDOW_BYTES + margin);
  expect((await balance(seeder.page)).up).toBe(0n);
});

test('a peer that switches keys on a proven wire: the wire closes', async ({ openPeer }) => {
  const [victim, attacker] = await Promise.all([openPeer(), openPeer()]);
  for (const p of [victim, attacker]) await hooksReady(p.page);
  // The victim refuses to serve a zero balance, so the wire stays up with nothing to transfer.
  await sharing(victim.page, 'setPolicy', { thresholdMiB: 1 });
  const file = await sharing<Seeded>(victim.page, 'seedGenerated', 2 * MiB, 'proven.bin', 62);
  await debt(attacker.page, 'captureWires', file.infoHash);
  await sharing(attacker.page, 'add', file.magnet);
  // Both keys proven on the wire: the victim counts the attacker as a paying peer, and refuses it.
  await expect.poll(async () => (await torrent(victim.page, file.infoHash))?.payingPeers, { timeout: 60_000 }).toBe(1);
  await expect.poll(async () => (await torrent(attacker.page, file.infoHash))?.refusals?.reason).toBe('balance');

  expect(await debt<number>(attacker.page, 'switchKey', file.infoHash)).toBe(1);
  await expect.poll(() => debt<number>(victim.page, 'keySwitches')).toBe(1);
  await expect.poll(() => debt<number>(attacker.page, 'openWires', file.infoHash)).toBe(0);
});
