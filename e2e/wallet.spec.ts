/**
 * The Ether wallet in real tabs against a real chain node: each page makes
 * its own mnemonic and signs in the page; the harness only funds one of them
 * from anvil's dev account. The endpoint reaches the app as `?eth=` in the link.
 */
import type { Page } from '@playwright/test';
import { startAnvil } from './support/anvil.ts';
import { expect, test } from './support/fixtures.ts';
import { hooks } from './support/ledger.ts';

const wallet = hooks('wallet');
const ETH = 10n ** 18n;

async function walletHooksReady(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as { __trustmesh?: { wallet?: unknown } }).__trustmesh?.wallet !== undefined);
}

test('a page pays 0.5 ETH from its own wallet to another page, which sees it confirmed and in its balance', async ({ openPeer, net }) => {
  const anvil = await startAnvil();
  try {
    const query = `relay=${encodeURIComponent(net.relay.multiaddr)}&eth=${encodeURIComponent(anvil.url)}`;
    const [alice, bob] = await Promise.all([openPeer({ query }), openPeer({ query })]);
    await Promise.all([walletHooksReady(alice.page), walletHooksReady(bob.page)]);
    const [aliceAddress, bobAddress] = await Promise.all([wallet<string>(alice.page, 'address'), wallet<string>(bob.page, 'address')]);
    expect(aliceAddress).not.toBe(bobAddress);

    await anvil.fund(aliceAddress, 1n * ETH);
    expect(await wallet(alice.page, 'balance')).toEqual({ available: String(1n * ETH), pending: '0' });

    const hash = await wallet<string>(alice.page, 'send', bobAddress, String(ETH / 2n));
    expect(await wallet<number>(bob.page, 'waitConfirmations', hash, 1)).toBeGreaterThanOrEqual(1);
    expect(await wallet(bob.page, 'balance')).toEqual({ available: String(ETH / 2n), pending: '0' });
    // Alice paid the amount and a fee.
    expect(BigInt((await wallet<{ available: string }>(alice.page, 'balance')).available)).toBeLessThan(ETH / 2n);
    // The same address after a reload: the mnemonic was kept in IndexedDB.
    await bob.page.reload();
    await walletHooksReady(bob.page);
    expect(await wallet<string>(bob.page, 'address')).toBe(bobAddress);
  } finally {
    await anvil.stop();
  }
});
