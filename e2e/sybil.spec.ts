/**
 * A Sybil ring in real tabs: four keys of one owner sign each other large
 * transfers (fully dual-signed pairs: no ledger rule is broken), so three of
 * them show a raw balance of 1 GiB. An honest seeder that received nothing
 * from them judges them by what it trusts: below a peer that really uploaded
 * to it, refused once past its threshold, and marked untrusted on the Ledger
 * page of every honest tab. The ring's signing is test code (`acceptAll` and
 * `pay` hooks): the keys' own ledgers, used as any owner could.
 */
import { expect, test } from './support/fixtures.ts';
import { directMesh, hooks, ledger } from './support/ledger.ts';
import type { PeerPage } from './support/peer-page.ts';
import { expectSeeding, sharing, torrent } from './support/sharing.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** The seeder's threshold: a newcomer may take 2 MiB before it must give back. */
const THRESHOLD_MIB = -2;

/**
 * Blocks the seeder may send a key past its threshold: refusal takes hold at the block that crosses it (one block
 * over, as sharing.spec's free-rider shows exactly); a few more leave room for reads already in flight.
 */
const IN_FLIGHT_BYTES = 8 * 16 * 1024;

const reputation = hooks('reputation');

interface Seeded {
  infoHash: string;
  magnet: string;
}

interface Books {
  key?: string;
  upload: { sent: string };
}

interface Judged {
  raw: string;
  judged: string;
}

test('a Sybil ring that signed itself 1 GiB balances: an honest seeder ranks it below a real uploader, refuses it past the threshold, and honest tabs mark its balances untrusted', async ({ openPeer }) => {
  const peers = await Promise.all(Array.from({ length: 6 }, () => openPeer()));
  const [seeder, uploader, ...ring] = peers as [PeerPage, PeerPage, ...PeerPage[]];
  const ids = await directMesh(peers);
  const keyOf = async (p: PeerPage): Promise<string> => ledger<string>(p.page, 'publicKey');
  const [uploaderKey, ...ringKeys] = await Promise.all([uploader, ...ring].map(keyOf));
  const [sink, ...members] = ring as [PeerPage, ...PeerPage[]];
  const memberKeys = ringKeys.slice(1);
  const memberIds = ids.slice(3);

  // The real uploader gives the seeder 4 MiB.
  const given = await sharing<Seeded>(uploader.page, 'seedGenerated', 4 * MiB, 'given.bin', 71);
  await sharing(seeder.page, 'add', given.magnet);
  await expectSeeding(seeder.page, given.infoHash);

  // The ring: three members each "upload" 1 GiB to the fourth key, which countersigns anything (and takes the debt).
  await ledger(sink.page, 'acceptAll');
  for (const m of members) await ledger(m.page, 'pay', ids[2]!, GiB);

  // The members ask the seeder for a file: it checks their chains (1 GiB up each, every pair complete) and serves
  // them as it would any newcomer, since none of it was given to anyone it trusts.
  await sharing(seeder.page, 'setPolicy', { thresholdMiB: THRESHOLD_MIB });
  const wanted = await sharing<Seeded>(seeder.page, 'seedGenerated', 8 * MiB, 'wanted.bin', 72);
  for (const m of members) await sharing(m.page, 'add', wanted.magnet);
  for (const m of members) {
    await expect.poll(async () => (await torrent(m.page, wanted.infoHash))?.refusals?.reason, { timeout: 60_000, message: 'a ring member is refused past the threshold' }).toBe('balance');
    // Told its balance as the seeder counts it: its debt, not the 1 GiB it shows.
    expect(BigInt((await torrent(m.page, wanted.infoHash))!.refusals!.balance)).toBeLessThan(BigInt(THRESHOLD_MIB * MiB));
  }
  // What the seeder gave each (members also trade pieces among themselves): the threshold, and blocks in flight.
  const books = await sharing<Books[]>(seeder.page, 'accounts', wanted.infoHash);
  for (const key of memberKeys) {
    const sent = books.filter((b) => b.key === key).reduce((sum, b) => sum + BigInt(b.upload.sent), 0n);
    expect(sent).toBeGreaterThan(0n);
    expect(sent).toBeLessThan(BigInt(-THRESHOLD_MIB * MiB + IN_FLIGHT_BYTES));
  }

  // Ranked by what the seeder trusts, not by the raw figures.
  const judged = (key: string): Promise<Judged> => reputation<Judged>(seeder.page, 'judged', key);
  await expect.poll(async () => (await judged(uploaderKey!)).judged, { message: 'the uploader stands at what it gave' }).toBe(String(4 * MiB));
  for (const key of memberKeys) {
    const j = await judged(key);
    // 1 GiB, less what it paid for the 8 MiB file (to the seeder, and to other members, at each MiB while in debt).
    expect(BigInt(j.raw)).toBeGreaterThanOrEqual(1n * BigInt(GiB) - BigInt(8 * MiB));
    expect(BigInt(j.judged)).toBeLessThanOrEqual(0n);
    expect(BigInt(j.judged)).toBeLessThan(BigInt((await judged(uploaderKey!)).judged));
  }

  // Every honest tab marks the members' balances untrusted on its Ledger page (the uploader crawls their chains).
  for (const [i, key] of memberKeys.entries()) await ledger(uploader.page, 'crawlChain', memberIds[i]!, key);
  for (const tab of [seeder, uploader]) {
    await tab.page.goto(`${tab.url}#/ledger`);
    for (const key of memberKeys) {
      await expect(tab.page.locator(`[data-testid="peer-row"][data-key="${key}"]`), 'a ring member is shown untrusted').toHaveAttribute('data-untrusted', 'true');
    }
  }
  await expect(seeder.page.locator(`[data-testid="peer-row"][data-key="${uploaderKey}"]`)).toHaveAttribute('data-untrusted', 'false');
});
