/**
 * The Market page as a user drives it, in real tabs against a real anvil: the
 * wallet it shows, an order placed through its form, the trade's installments
 * in its list; and what it says when no Ethereum endpoint is set. The other
 * side of each trade is placed through the hooks (e2e/support/market.ts).
 */
import type { Page } from '@playwright/test';
import { startAnvil } from './support/anvil.ts';
import { expect, test } from './support/fixtures.ts';
import { etherOf, market, MIB, MINUTE, PRICE, traders } from './support/market.ts';

/** PRICE (wei per MiB) as the form takes it, in ETH per GiB: 10^15 wei × 1024 = 1.024 ETH. */
const PRICE_ETH_PER_GIB = '1.024';

async function fillBid(page: Page, mib: string, ethPerGib: string): Promise<void> {
  await page.getByTestId('order-side').selectOption('bid');
  await page.getByTestId('order-quantity-mib').fill(mib);
  await page.getByTestId('order-price-eth-gib').fill(ethPerGib);
}

test('the buyer sees its wallet as the chain has it, bids through the form against an ask, and its trade settles every installment', async ({ openPeer, net }) => {
  const anvil = await startAnvil();
  try {
    const t = await traders(openPeer, net.relay.multiaddr, anvil, 2n * MIB);
    await market(t.seller.page, 'placeOrder', 'ask', String(2n * MIB), String(PRICE), 10 * MINUTE);
    const page = t.buyer.page;
    await page.goto(`${t.buyer.url}#/market`);
    await expect(page.getByTestId('wallet-eth-address')).toHaveText(t.buyerAddress.toLowerCase());
    // The market started before the harness funded the wallet: Refresh reads the chain again, as a user would.
    await page.getByTestId('wallet-refresh').click();
    await expect(page.getByTestId('wallet-eth-available')).toHaveAttribute('data-wei', String(await etherOf(anvil, t.buyerAddress)));
    await expect(page.getByTestId('book-asks').getByTestId('book-level')).toHaveAttribute('data-price', String(PRICE));

    await fillBid(page, '2', PRICE_ETH_PER_GIB);
    await expect(page.getByTestId('order-quote')).toHaveAttribute('data-wei', String(2n * PRICE));
    await page.getByTestId('order-submit').click();
    const trade = page.getByTestId('my-trades').getByTestId('trade');
    await expect(trade).toHaveAttribute('data-status', 'done');
    await expect(trade).toHaveAttribute('data-wei', String(2n * PRICE));
    // 2 MiB in 1 MiB installments: two rounds of a token and an Ether installment, each one settled.
    await expect(trade.getByTestId('installments-settled')).toHaveAttribute('data-settled', '4');
    await expect(trade.getByTestId('installments-settled')).toHaveAttribute('data-total', '4');
    const segments = trade.locator('[data-testid="installment"], [data-testid="installment-run"]');
    expect(await segments.count()).toBeGreaterThan(0);
    await expect(segments.and(trade.locator(':not([data-state="settled"])'))).toHaveCount(0);
  } finally {
    await anvil.stop();
  }
});

test('without an Ethereum endpoint the Market page says so, and a bid from the form is refused with what to do', async ({ openPeer }) => {
  const { page, url } = await openPeer();
  await page.goto(`${url}#/market`);
  await expect(page.getByTestId('ether-error')).toContainText('No Ethereum endpoint is set');
  await fillBid(page, '1', PRICE_ETH_PER_GIB);
  await page.getByTestId('order-submit').click();
  await expect(page.getByTestId('market-error')).toContainText(/Set one in Settings.*\?eth=/);
});

test('Settings refuses an unusable Ethereum endpoint and uses a saved one after the reload it offers', async ({ openPeer }) => {
  const anvil = await startAnvil();
  try {
    const { page, url } = await openPeer();
    await page.goto(`${url}#/settings`);
    const input = page.getByTestId('eth-endpoint-input');
    await expect(input).toBeEnabled(); // the saved value (none) has loaded
    await expect(input).toHaveValue('');
    await input.fill('ftp://127.0.0.1:8545');
    await page.getByTestId('eth-endpoint-save').click();
    await expect(page.getByTestId('eth-endpoint-message')).toContainText('is not an http:// or https:// address');
    await input.fill(anvil.url);
    await page.getByTestId('eth-endpoint-save').click();
    await expect(page.getByTestId('eth-endpoint-message')).toContainText('Reload the page');
    await page.getByTestId('eth-endpoint-reload').click();
    await expect(page.getByTestId('eth-endpoint-input')).toHaveValue(anvil.url);
    await expect(page.getByTestId('eth-endpoint')).toContainText(`This page uses ${anvil.url} from your settings.`);
    await page.goto(`${url}#/market`);
    await expect(page.getByTestId('wallet-endpoint')).toHaveText(anvil.url);
    await expect(page.getByTestId('wallet-eth-available')).toHaveAttribute('data-wei', '0');
    await expect(page.getByTestId('ether-error')).toHaveCount(0);
  } finally {
    await anvil.stop();
  }
});
