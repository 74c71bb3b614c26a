/**
 * Trust shown to the user: after a paid download, the Network and Ledger pages show the seeder's
 * trusted standing from the downloader's point of view, and why (the path from "you" to it).
 */
import { expect, test } from './support/fixtures.ts';
import { ledger } from './support/ledger.ts';
import { balance, expectSeeding, hooksReady, sharing } from './support/sharing.ts';
import type { Page } from '@playwright/test';

/** Small: one payment round or two, so the test is about the display, not the transfer. */
const SIZE = 2_000_000;

/** Opens the why of `row` and expects exactly one path: "you ← this peer", the peer itself having given to me. */
async function expectDirectWhy(page: Page, row: string, key: string): Promise<void> {
  const why = page.locator(`${row} [data-testid="peer-why"]`);
  await why.locator('summary').click();
  const paths = why.getByTestId('why-path');
  await expect(paths).toHaveCount(1);
  await expect(paths.first()).toHaveAttribute('data-keys', key);
  await expect(paths.first()).toHaveText(/^you ← this peer \(1\.91 MiB\)$/);
}

test('a seeder I paid shows its trusted standing and why, on the Network and Ledger pages', async ({ openPeer }) => {
  const [a, b] = await Promise.all([openPeer({ viewport: { width: 390, height: 844 } }), openPeer()]);
  await Promise.all([hooksReady(a.page), hooksReady(b.page)]);
  const bId = await b.peerId();
  await a.expectDirectPeers([bId]);
  const file = await sharing<{ infoHash: string; magnet: string }>(b.page, 'seedGenerated', SIZE, 'small.bin', 31);
  await sharing(a.page, 'add', file.magnet);
  await expectSeeding(a.page, file.infoHash);
  await expect.poll(async () => (await balance(b.page)).up, { message: 'A paid B for the whole file' }).toBe(BigInt(SIZE));
  const bKey = await ledger<string>(b.page, 'publicKey');

  // Network page: B's row shows the bytes paid as raw balance and, once trust recomputes, as trusted standing.
  const networkRow = `[data-testid="peer-row"][data-peer-id="${bId}"]`;
  await expect(a.page.locator(`${networkRow} [data-testid="peer-trust"]`)).toHaveAttribute('data-standing', String(SIZE));
  await expect(a.page.locator(`${networkRow} [data-testid="peer-balance"]`)).toHaveAttribute('data-bytes', String(SIZE));
  await expect(a.page.locator(`${networkRow} [data-testid="peer-untrusted"]`)).toHaveCount(0);
  await expectDirectWhy(a.page, networkRow, bKey);

  // Ledger page: the same peer, the same path.
  await a.page.getByRole('link', { name: 'Ledger' }).click();
  const ledgerRow = `[data-testid="peer-row"][data-key="${bKey}"]`;
  await expect(a.page.locator(`${ledgerRow} [data-testid="peer-standing"]`)).toHaveAttribute('data-bytes', String(SIZE));
  await expectDirectWhy(a.page, `[data-testid="peer-why-row"][data-key="${bKey}"]`, bKey);
});
