/**
 * Exit relays, as far as they are built: exiting is opt-in on the Circuits
 * page, persists across a reload, and reaches other peers through signed
 * relay announcements; turning relaying off withdraws the exit with it.
 */
import { expect, test } from './support/fixtures.ts';
import { hooksReady } from './support/ledger.ts';

test('exiting is off by default; turned on, another peer lists the exit; relaying off withdraws it; the choice survives a reload', async ({ openPeer }) => {
  const [exit, other] = await Promise.all([openPeer(), openPeer()]);
  const ids = await Promise.all([exit.peerId(), other.peerId()]);
  await hooksReady(exit.page);
  await exit.expectDirectPeers([ids[1]]);
  await other.expectDirectPeers([ids[0]]);

  await other.page.goto(`${other.url}#/circuits`);
  await expect(other.page.getByTestId('relays-known')).toHaveAttribute('data-count', '1');
  await expect(other.page.getByTestId('exits-known')).toHaveAttribute('data-count', '0');

  const page = exit.page;
  await page.goto(`${exit.url}#/circuits`);
  await expect(page.getByTestId('exit-toggle')).not.toBeChecked();
  await expect(page.getByTestId('exit-statement')).toContainText('Your address is the one the swarm and the tracker see');
  await page.getByTestId('exit-toggle').check();
  await page.getByTestId('exit-cap').fill('512');
  await page.getByTestId('relaying-save').click();
  await expect(page.getByTestId('relaying-saved')).toBeVisible();
  await expect(other.page.getByTestId('exits-known')).toHaveAttribute('data-count', '1');
  await expect(other.page.getByTestId('exits-connected')).toHaveAttribute('data-count', '1');

  // An exit is a relay: relaying off withdraws both, everywhere.
  await page.getByTestId('relaying-toggle').uncheck();
  await expect(page.getByTestId('exit-toggle')).toBeDisabled();
  await page.getByTestId('relaying-save').click();
  await expect(page.getByTestId('exit-toggle')).not.toBeChecked();
  await expect(other.page.getByTestId('exits-known')).toHaveAttribute('data-count', '0');
  await expect(other.page.getByTestId('relays-known')).toHaveAttribute('data-count', '0');

  await page.getByTestId('relaying-toggle').check();
  await page.getByTestId('exit-toggle').check();
  await page.getByTestId('relaying-save').click();
  await expect(other.page.getByTestId('exits-known')).toHaveAttribute('data-count', '1');
  await page.reload();
  await expect(page.getByTestId('exit-toggle')).toBeChecked();
  await expect(page.getByTestId('exit-cap')).toHaveValue('512');
});
