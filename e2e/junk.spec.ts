/**
 * Pay only for what was asked for and proven: an uploader whose wires corrupt
 * every block and slip in unrequested ones (injected by test code through the
 * sharing seam `onWire`) earns nothing and is dropped; the honest seeder that
 * completes the same pieces is paid for the whole file.
 */
import { BLOCK_LENGTH, MAX_HASH_FAILURES } from '../src/sharing/constants.ts';
import { expect, test } from './support/fixtures.ts';
import { hooks } from './support/ledger.ts';
import { expectSeeding, hooksReady, sharing, torrent } from './support/sharing.ts';

const junk = hooks('sharingJunk');
/** Pieces of one block (create-torrent's choice at this size), the last one short. */
const SIZE = 3_000_000;

interface Seeded {
  infoHash: string;
  magnet: string;
  sha256: string;
}

interface Books {
  peer: string;
  dropped?: string;
  download: { verified: string; agreed: string; strikes: number; unrequested: string };
}

test('an uploader that sends unrequested or corrupt blocks for pieces an honest peer completes: it earns nothing for them and is dropped after repeated hash failures; the honest peer is paid for the piece', async ({ openPeer }) => {
  const [attacker, victim, seeder] = await Promise.all([openPeer(), openPeer(), openPeer()]);
  for (const p of [attacker, victim, seeder]) await hooksReady(p.page);
  const file = await sharing<Seeded>(attacker.page, 'seedGenerated', SIZE, 'junk.bin', 31);
  await junk(attacker.page, 'sendJunk', file.infoHash, Math.ceil(SIZE / BLOCK_LENGTH));

  // The attacker alone: every piece it supplies fails; it is dropped at the second.
  await sharing(victim.page, 'add', file.magnet);
  await expect
    .poll(async () => (await sharing<Books[]>(victim.page, 'accounts', file.infoHash)).find((b) => b.dropped !== undefined), { message: 'the junk sender was not dropped' })
    .toBeDefined();
  const dropped = (await sharing<Books[]>(victim.page, 'accounts', file.infoHash)).filter((b) => b.dropped !== undefined);
  expect(dropped).toHaveLength(1);
  expect(dropped[0]!.dropped).toBe('hash-failures');
  expect(dropped[0]!.download.strikes).toBeGreaterThanOrEqual(MAX_HASH_FAILURES);
  expect(dropped[0]!.download.verified).toBe('0');
  expect(BigInt(dropped[0]!.download.unrequested)).toBeGreaterThan(0n);

  // The honest seeder of the same file joins and completes those pieces.
  expect((await sharing<Seeded>(seeder.page, 'seedGenerated', SIZE, 'junk.bin', 31)).infoHash).toBe(file.infoHash);
  await expectSeeding(victim.page, file.infoHash);
  expect(await sharing<string>(victim.page, 'fileSha256', file.infoHash)).toBe(file.sha256);
  await expect.poll(async () => (await torrent(seeder.page, file.infoHash))?.earned, { message: 'the honest seeder was not paid for the whole file' }).toBe(String(SIZE));
  expect((await torrent(victim.page, file.infoHash))!.paid).toBe(String(SIZE)); // all of it to the seeder
  expect((await torrent(attacker.page, file.infoHash))!.earned).toBe('0');
  const books = await sharing<Books[]>(victim.page, 'accounts', file.infoHash);
  expect(books.filter((b) => b.dropped !== undefined).map((b) => b.peer)).toEqual([dropped[0]!.peer]); // not let back in
  expect(books.find((b) => b.peer === dropped[0]!.peer && b.dropped === undefined)).toBeUndefined();
});
