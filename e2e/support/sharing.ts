/** Sharing test-hook calls and waits (test builds expose window.__trustmesh.sharing). */
import { expect, type Page } from '@playwright/test';
import { hooks, hooksReady } from './ledger.ts';

export interface TorrentState {
  infoHash: string;
  state: string;
  progress: number;
  downloaded: number;
  earned: string;
  paid: string;
  payingPeers: number;
  refusedPeers: number;
  refusals?: { count: number; balance: string; threshold: string; reason: string };
}

export const sharing = hooks('sharing');

export async function torrent(page: Page, infoHash: string): Promise<TorrentState | undefined> {
  return (await sharing<TorrentState[]>(page, 'views')).find((t) => t.infoHash === infoHash);
}

export async function expectSeeding(page: Page, infoHash: string, timeout = 90_000): Promise<void> {
  await expect.poll(async () => (await torrent(page, infoHash))?.state, { timeout, message: 'download did not complete' }).toBe('seeding');
}

export async function balance(page: Page): Promise<{ up: bigint; down: bigint; net: bigint }> {
  const b = await sharing<{ up: string; down: string; net: string }>(page, 'balance');
  return { up: BigInt(b.up), down: BigInt(b.down), net: BigInt(b.net) };
}

export { hooksReady };
