/**
 * Paid file sharing between real tabs: WebTorrent over the real tracker, every
 * upload paid on TrustChain, free-riders refused, stock clients per policy.
 */
import { EVERY_BROWSER, expect, test } from './support/fixtures.ts';
import { hooks, ledger } from './support/ledger.ts';
import { balance, expectSeeding, hooksReady, sharing, torrent } from './support/sharing.ts';
import { stockAdd, stockProgress, stockSeed } from './support/stock-webtorrent.ts';
import type { PeerPage } from './support/peer-page.ts';
import { ACK_EVERY_BYTES, BLOCK_LENGTH, UNPAID_WINDOW_BYTES } from '../src/sharing/constants.ts';

const MiB = 1024 * 1024;
/**
 * Bytes the third peer of the free-rider test uploads to the seeder, so the seeder trusts it: the free-rider's credit
 * counts up to 2/3 of this (one hop further back, reputation.ts), so all of its 6 MiB gift counts.
 */
const TRUSTED_GIFT = 10 * MiB;
const WINDOW = UNPAID_WINDOW_BYTES;

interface Seeded {
  infoHash: string;
  magnet: string;
  sha256: string;
}

async function ready(...peers: PeerPage[]): Promise<void> {
  for (const p of peers) await hooksReady(p.page);
}

for (const route of ['direct', 'wire'] as const) {
  test(`a leecher pays for a 20 MB download byte for byte (payments over the ${route === 'wire' ? 'BitTorrent wire' : 'direct libp2p connection'}); both chains hold the pair after reload`, async ({ openPeer }) => {
    const [seeder, leecher] = await Promise.all([openPeer(), openPeer()]);
    await ready(seeder, leecher);
    if (route === 'direct') await seeder.expectDirectPeers([await leecher.peerId()]);
    await sharing(seeder.page, 'setPreferDirect', route === 'direct');
    const file = await sharing<Seeded>(seeder.page, 'seedGenerated', 20_000_000, 'twenty.bin', 11);
    await sharing(leecher.page, 'add', file.magnet);
    await expectSeeding(leecher.page, file.infoHash);
    expect(await sharing<string>(leecher.page, 'fileSha256', file.infoHash)).toBe(file.sha256);

    // Settlement of the last part follows completion; wait for the books, then compare them.
    await expect.poll(async () => (await balance(seeder.page)).up, { message: 'seeder paid for the whole file' }).toBe(20_000_000n);
    const s = await balance(seeder.page);
    const l = await balance(leecher.page);
    expect(s.net).toBe(20_000_000n);
    expect(l.net).toBe(-20_000_000n);
    expect((await torrent(seeder.page, file.infoHash))!.earned).toBe('20000000');
    expect((await torrent(leecher.page, file.infoHash))!.paid).toBe('20000000');
    const books = await sharing<{ paymentRoute?: string }[]>(seeder.page, 'accounts', file.infoHash);
    expect(books.map((b) => b.paymentRoute)).toContain(route);

    const [seederKey, leecherKey] = await Promise.all([ledger<string>(seeder.page, 'publicKey'), ledger<string>(leecher.page, 'publicKey')]);
    for (const p of [seeder, leecher]) {
      await p.page.reload();
      await hooksReady(p.page);
    }
    const proposals = await ledger<{ seq: number; outcome: string; linked: boolean; up: string; counterparty: string }[]>(seeder.page, 'inspect', seederKey);
    const agreements = await ledger<{ seq: number; outcome: string; linked: boolean; down: string }[]>(leecher.page, 'inspect', leecherKey);
    expect(proposals.every((b) => b.linked && b.outcome !== 'invalid' && b.counterparty === leecherKey)).toBe(true);
    expect(agreements.every((b) => b.linked && b.outcome !== 'invalid')).toBe(true);
    expect(proposals.reduce((sum, b) => sum + BigInt(b.up), 0n)).toBe(20_000_000n);
    expect(agreements.reduce((sum, b) => sum + BigInt(b.down), 0n)).toBe(20_000_000n);
    expect((await ledger<unknown[]>(leecher.page, 'inspect', seederKey)).length).toBe(proposals.length);
  });
}

test('a free-rider below the threshold is refused and told why; after it earns by seeding to a peer the seeder trusts, it is served again', EVERY_BROWSER, async ({ openPeer }) => {
  const [seeder, freeRider, third] = await Promise.all([openPeer(), openPeer(), openPeer()]);
  await ready(seeder, freeRider, third);
  await sharing(seeder.page, 'setPolicy', { thresholdMiB: -1 });
  const size = 6 * MiB; // 16 KiB pieces: one block each
  const big = await sharing<Seeded>(seeder.page, 'seedGenerated', size, 'wanted.bin', 21);
  await sharing(freeRider.page, 'add', big.magnet);

  // Its balance less what it owes passes −1 MiB with the block after the first MiB: choked at that block, and told why.
  const refusedAt = MiB + BLOCK_LENGTH;
  await expect.poll(async () => (await torrent(freeRider.page, big.infoHash))?.refusals?.reason, { timeout: 60_000 }).toBe('balance');
  const at = (await torrent(freeRider.page, big.infoHash))!;
  expect(at.downloaded).toBe(refusedAt);
  expect(at.refusals!.balance).toBe(String(-refusedAt));
  // What it acknowledged (in ACK_EVERY_BYTES steps) is settled as it is refused: its debt becomes a signed pair.
  await expect.poll(async () => (await balance(freeRider.page)).net).toBe(-BigInt(ACK_EVERY_BYTES));
  await freeRider.page.goto(`${freeRider.url}#/files`);
  const shown = (refusedAt / MiB).toFixed(2).replace('.', '\\.');
  await expect(freeRider.page.getByTestId('refused-notice')).toHaveText(new RegExp(`refused by 1 seeder: your balance −${shown} MiB is below their threshold −1\\.00 MiB; seed or mine to earn tokens`));

  // It shares something a third peer downloads: its balance rises above the threshold. Its credit counts in the
  // seeder's eyes because the seeder trusts the third peer, which uploaded to it before (a credit countersigned by a
  // key the seeder has no trust in could be minted by a Sybil, and would count for nothing).
  const earlier = await sharing<Seeded>(third.page, 'seedGenerated', TRUSTED_GIFT, 'earlier.bin', 23);
  await sharing(seeder.page, 'add', earlier.magnet);
  await expectSeeding(seeder.page, earlier.infoHash);
  const own = await sharing<Seeded>(freeRider.page, 'seedGenerated', size, 'gift.bin', 22);
  await sharing(third.page, 'add', own.magnet);
  await expectSeeding(third.page, own.infoHash);
  // (Its balance passes the threshold once the seeder has its new pairs and has recomputed trust: watch what it earned.)
  await expect.poll(async () => (await torrent(freeRider.page, own.infoHash))?.earned).toBe(String(size));
  await expectSeeding(freeRider.page, big.infoHash);
  expect(await sharing<string>(freeRider.page, 'fileSha256', big.infoHash)).toBe(big.sha256);
  // It paid for every byte it got: what it earned, no more, went on the file.
  await expect.poll(async () => (await balance(seeder.page)).up).toBe(BigInt(size));
  expect((await balance(freeRider.page)).net).toBe(0n);
  await expect(freeRider.page.getByTestId('refused-notice')).toHaveCount(0);
});

test('a free-rider drawing from two seeders at once is held to the threshold by both: each counts what the other was paid, from the free-rider\'s own signed head', async ({ openPeer }) => {
  const [a, b, freeRider] = await Promise.all([openPeer(), openPeer(), openPeer()]);
  await ready(a, b, freeRider);
  for (const s of [a, b]) await sharing(s.page, 'setPolicy', { thresholdMiB: -2 });
  // Capped alike, the two serve it side by side: neither reaches the threshold alone first.
  for (const s of [a, b]) await sharing(s.page, 'setUploadLimit', 128 * 1024);
  const files = await Promise.all([a, b].map((s, i) => sharing<Seeded>(s.page, 'seedGenerated', 8 * MiB, `half-${i}.bin`, 31 + i)));
  for (const f of files) await sharing(freeRider.page, 'add', f.magnet);
  for (const f of files) await expect.poll(async () => (await torrent(freeRider.page, f.infoHash))?.refusals?.reason, { timeout: 60_000 }).toBe('balance');
  let total = 0;
  for (const f of files) total += (await torrent(freeRider.page, f.infoHash))!.downloaded;
  // The threshold, plus what the other seeder sent and the free-rider has not yet acknowledged (nobody else has
  // signed it), plus blocks in flight. Each seeder counting only its own share would allow twice the threshold.
  expect(total).toBeGreaterThanOrEqual(2 * MiB);
  expect(total).toBeLessThanOrEqual(2 * MiB + ACK_EVERY_BYTES + 8 * BLOCK_LENGTH);
});

test('a leecher that withholds agreements is choked within the unpaid window', async ({ openPeer }) => {
  const [seeder, leecher] = await Promise.all([openPeer(), openPeer()]);
  await ready(seeder, leecher);
  await sharing(leecher.page, 'setWithholdAgreements', true);
  const file = await sharing<Seeded>(seeder.page, 'seedGenerated', 30 * MiB, 'unpaid.bin', 31);
  await sharing(leecher.page, 'add', file.magnet);
  await expect.poll(async () => (await torrent(leecher.page, file.infoHash))?.refusals?.reason, { timeout: 60_000 }).toBe('unpaid');
  const t = (await torrent(leecher.page, file.infoHash))!;
  // Choked at the block that crossed the window (the key's, checked as each block goes out).
  expect(t.downloaded).toBe(WINDOW + BLOCK_LENGTH);
  expect((await balance(seeder.page)).up).toBe(0n);
});

test('stock WebTorrent interoperates both ways, and is served or refused per policy', async ({ openPeer, openStock, net }) => {
  const seeder = await openPeer();
  await ready(seeder);
  const stockPage = await openStock();

  // Ours opens a stock magnet link.
  const stockMagnet = await stockSeed(stockPage, 3 * MiB, 'from-stock.bin', net.relay.trackerUrl);
  const fromStock = await sharing<string>(seeder.page, 'add', stockMagnet);
  await expectSeeding(seeder.page, fromStock);

  // A stock client opens ours, and is served from the newcomer slots (default policy)...
  const served = await sharing<Seeded>(seeder.page, 'seedGenerated', 4 * MiB, 'to-stock.bin', 41);
  await stockAdd(stockPage, served.magnet, net.relay.trackerUrl);
  await expect.poll(() => stockProgress(stockPage), { timeout: 60_000 }).toBe(1);

  // ...or refused when the seeder's policy says so.
  const stockRefused = await openStock();
  await sharing(seeder.page, 'setPolicy', { stockPeers: 'refuse' });
  const refused = await sharing<Seeded>(seeder.page, 'seedGenerated', 4 * MiB, 'not-for-stock.bin', 42);
  await stockAdd(stockRefused, refused.magnet, net.relay.trackerUrl);
  await expect.poll(async () => (await torrent(seeder.page, refused.infoHash))?.refusedPeers, { timeout: 60_000 }).toBe(1);
  expect(await stockProgress(stockRefused)).toBe(0);
});

const storage = hooks('storage');

test('a reloaded seeder resumes seeding from its stored data, and from what an earlier version stored, moved into its piece store', async ({ openPeer }) => {
  const [seeder, leecher] = await Promise.all([openPeer(), openPeer()]);
  await ready(seeder, leecher);
  const file = await sharing<Seeded>(seeder.page, 'seedGenerated', 6 * MiB, 'kept.bin', 51);
  const seedingAfterReload = async () => {
    await seeder.page.reload();
    await hooksReady(seeder.page);
    // Only the stored pieces can make it a seeder: no other peer holds the file.
    await expect.poll(async () => (await torrent(seeder.page, file.infoHash))?.state, { timeout: 60_000 }).toBe('seeding');
  };
  await seedingAfterReload();
  expect(await storage(seeder.page, 'layout', file.infoHash)).toEqual({ pieceFile: true, earlierDirectory: false });

  // The user upgrades from a version that kept a file per piece (WebTorrent's default browser store).
  await storage(seeder.page, 'asEarlierVersion', file.infoHash);
  await seedingAfterReload();
  expect(await storage(seeder.page, 'layout', file.infoHash)).toEqual({ pieceFile: true, earlierDirectory: false });
  await sharing(leecher.page, 'add', file.magnet);
  await expectSeeding(leecher.page, file.infoHash);
  expect(await sharing<string>(leecher.page, 'fileSha256', file.infoHash)).toBe(file.sha256);
});

/** A playable WAV file: 8 kHz, 8-bit mono, a quiet saw wave. */
function wav(seconds: number): Buffer {
  const rate = 8000;
  const data = Buffer.alloc(rate * seconds);
  for (let i = 0; i < data.length; i++) data[i] = 128 + ((i % 80) - 40);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate, 28); // bytes per second
  h.writeUInt16LE(1, 32); // block align
  h.writeUInt16LE(8, 34); // bits per sample
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

test('through the UI: share a file, copy its magnet link, download, play it from the stream and save it', async ({ openPeer }) => {
  const [seeder, leecher] = await Promise.all([openPeer(), openPeer()]);
  await ready(seeder, leecher);
  const tone = wav(400); // 3.2 MB: several payment rounds would need more; this checks the flow, not the books
  const expectedSha = (await import('node:crypto')).createHash('sha256').update(tone).digest('hex');

  await seeder.page.goto(`${seeder.url}#/files`);
  await seeder.page.getByTestId('share-input').setInputFiles({ name: 'tone.wav', mimeType: 'audio/wav', buffer: tone });
  const seederRow = seeder.page.getByTestId('torrent');
  await expect(seederRow).toHaveAttribute('data-state', 'seeding');
  await seeder.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await seederRow.getByTestId('copy').click();
  const magnet = await seeder.page.evaluate(() => navigator.clipboard.readText());
  expect(magnet).toMatch(/^magnet:\?xt=urn:btih:[0-9a-f]{40}/);

  await leecher.page.goto(`${leecher.url}#/files`);
  await leecher.page.getByTestId('anonymity').selectOption({ label: 'Direct (public, fastest)' });
  await leecher.page.getByTestId('magnet-input').fill(magnet);
  await leecher.page.getByTestId('magnet-add').click();
  const row = leecher.page.getByTestId('torrent');
  await expect(row).toHaveAttribute('data-state', 'seeding', { timeout: 60_000 });
  await expect(row.getByTestId('torrent-paid')).toHaveAttribute('data-bytes', String(tone.length));
  await expect(seederRow.getByTestId('torrent-earned')).toHaveAttribute('data-bytes', String(tone.length));

  // Play: WebTorrent's service-worker stream serves the file to an <audio> element.
  await row.getByRole('button', { name: /^Play/ }).click();
  const audio = row.locator('audio');
  await expect(audio).toHaveJSProperty('error', null);
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.readyState)).toBeGreaterThanOrEqual(1);
  const streamed = await audio.evaluate(async (a: HTMLAudioElement) => {
    const bytes = await (await fetch(a.src)).arrayBuffer();
    return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
  });
  expect(streamed).toBe(expectedSha);

  // Save: the browser downloads the finished file under its own name.
  const [download] = await Promise.all([leecher.page.waitForEvent('download'), row.getByTestId('save-file').click()]);
  expect(download.suggestedFilename()).toBe('tone.wav');
  const saved = await (await import('node:fs/promises')).readFile(await download.path());
  expect(saved.equals(tone)).toBe(true);
});

test('running out of storage stops that download with a clear error; other torrents keep their data', async ({ openPeer }) => {
  // A profile on disk: Chromium holds the quota it is told below to files written in place only there (an
  // in-memory profile's are not checked against it).
  const [seeder, leecher] = await Promise.all([openPeer(), openPeer({ onDisk: true })]);
  await ready(seeder, leecher);
  const kept = await sharing<Seeded>(leecher.page, 'seedGenerated', 2 * MiB, 'kept.bin', 61);
  const big = await sharing<Seeded>(seeder.page, 'seedGenerated', 40 * MiB, 'too-big.bin', 62);

  // Leave the leecher's origin a little room above what it uses now.
  const origin = new URL(leecher.url).origin;
  const usage = await leecher.page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  const cdp = await leecher.context.newCDPSession(leecher.page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 6 * MiB });

  await leecher.page.goto(`${leecher.url}#/files`);
  await hooksReady(leecher.page);
  await sharing(leecher.page, 'add', big.magnet);
  const row = leecher.page.locator(`[data-testid="torrent"][data-infohash="${big.infoHash}"]`);
  await expect(row.getByTestId('torrent-error')).toContainText('no more storage', { timeout: 60_000 });
  await expect(row).toHaveAttribute('data-state', 'error');

  expect((await torrent(leecher.page, kept.infoHash))?.state).toBe('seeding');
  expect(await sharing<string>(leecher.page, 'fileSha256', kept.infoHash)).toBe(kept.sha256);
});
