/**
 * A stock WebTorrent client (the published browser bundle, no Trustmesh code)
 * in a page of its own, for interoperability tests.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Page } from '@playwright/test';

const BUNDLE = resolve(import.meta.dirname, '../../node_modules/webtorrent/dist/webtorrent.min.js');

/** Loads WebTorrent into `page` as window.stock (a client). The page must be on an http origin. */
export async function startStockClient(page: Page): Promise<void> {
  const code = await readFile(BUNDLE, 'utf8');
  await page.evaluate(async (src) => {
    const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    const WebTorrent = (await import(url)).default;
    (globalThis as unknown as { stock: unknown }).stock = new WebTorrent({ dht: false, lsd: false, utp: false });
  }, code);
}

/** Caps the stock client's upload rate (WebTorrent's own throttle, all torrents together). */
export async function stockThrottleUpload(page: Page, bytesPerSecond: number): Promise<void> {
  await page.evaluate((rate) => (globalThis as unknown as { stock: { throttleUpload(r: number): void } }).stock.throttleUpload(rate), bytesPerSecond);
}

type Stock = { add(id: string, o: object, cb: (t: StockTorrent) => void): void; seed(f: File, o: object, cb: (t: StockTorrent) => void): void; torrents: StockTorrent[] };
type StockTorrent = { magnetURI: string; progress: number; done: boolean; files: { blob(): Promise<Blob> }[] };

/** Adds `magnet` to the stock client; resolves once it has the torrent's metadata, or at once with `{ metadata: false }`. */
export async function stockAdd(page: Page, magnet: string, tracker: string, o: { metadata: boolean } = { metadata: true }): Promise<void> {
  await page.evaluate(
    ([m, t, wait]) =>
      new Promise<void>((res) => {
        (globalThis as unknown as { stock: Stock }).stock.add(m as string, { announce: [t] }, () => res());
        if (wait !== true) res();
      }),
    [magnet, tracker, o.metadata] as const,
  );
}

export async function stockProgress(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as { stock: Stock }).stock.torrents[0]?.progress ?? 0);
}

/** Seeds `size` deterministic bytes; returns the magnet link. */
export async function stockSeed(page: Page, size: number, name: string, tracker: string): Promise<string> {
  return page.evaluate(
    ([n, s, t]) =>
      new Promise<string>((res) => {
        const bytes = new Uint8Array(s as number);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
        (globalThis as unknown as { stock: Stock }).stock.seed(new File([bytes], n as string), { announce: [t] }, (torrent) => res(torrent.magnetURI));
      }),
    [name, size, tracker] as const,
  );
}

/** Downloads `magnet` with the stock client; resolves with the time from add to done, in ms. */
export async function stockDownloadTimed(page: Page, magnet: string, tracker: string): Promise<number> {
  return page.evaluate(
    ([m, t]) =>
      new Promise<number>((res) => {
        const start = performance.now();
        (globalThis as unknown as { stock: Stock }).stock.add(m!, { announce: [t] }, (torrent) => {
          const t2 = torrent as StockTorrent & { once(e: 'done', f: () => void): void };
          if (t2.done) res(performance.now() - start);
          else t2.once('done', () => res(performance.now() - start));
        });
      }),
    [magnet, tracker] as const,
  );
}
