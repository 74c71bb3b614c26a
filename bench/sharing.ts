/**
 * Sharing figures: a 100 MB tab-to-tab download with payment accounting (our
 * app: pay extension, policy choking, TrustChain blocks) next to the same
 * download between two plain WebTorrent pages (the published bundle, no
 * extension) in the same run, and the ledger blocks the paid download created.
 * Each download is timed in the downloading tab from add to done, so both
 * include tracker announce and WebRTC set-up.
 */
import type { Page } from '@playwright/test';
import { startStockClient, stockDownloadTimed, stockSeed } from '../e2e/support/stock-webtorrent.ts';
import { sharing } from '../e2e/support/sharing.ts';
import { median, MiB, type BenchEnv, type Engine, type Figure } from './env.ts';
import { rawDataChannelMiBps } from './foundation.ts';

const BYTES = 100_000_000;
const RUNS = 3;
const GB = 1e9;

/** One paid download between fresh peers (in Chromium unless told), hash-checked, done once the seeder has been paid for every byte. */
export async function paidDownload(env: BenchEnv, seed: number, bytes = BYTES, seederEngine: Engine = 'chromium', leecherEngine: Engine = 'chromium'): Promise<{ mibps: number; blocks: number }> {
  const [seeder, leecher] = [await env.openPeer(seederEngine), await env.openPeer(leecherEngine)];
  try {
    const file = await sharing<{ infoHash: string; magnet: string; sha256: string }>(seeder.page, 'seedGenerated', bytes, `bench-${seed}.bin`, seed);
    const before = (await sharing<number>(seeder.page, 'ownChainLength')) + (await sharing<number>(leecher.page, 'ownChainLength'));
    const { ms } = await sharing<{ ms: number }>(leecher.page, 'downloadTimed', file.magnet);
    if ((await sharing<string>(leecher.page, 'fileSha256', file.infoHash)) !== file.sha256) throw new Error('paid download: hash mismatch');
    // The last settlement follows completion: wait until the seeder has been paid for every byte.
    await seeder.page.waitForFunction(
      async (n) => BigInt(((await (globalThis as any).__trustmesh.sharing.balance()) as { up: string }).up) >= BigInt(n),
      bytes,
      { polling: 200, timeout: 60_000 },
    );
    const after = (await sharing<number>(seeder.page, 'ownChainLength')) + (await sharing<number>(leecher.page, 'ownChainLength'));
    return { mibps: bytes / MiB / (ms / 1000), blocks: after - before };
  } finally {
    await seeder.close();
    await leecher.close();
  }
}

async function plainDownload(env: BenchEnv, seed: number): Promise<number> {
  const contexts = [await env.browser.newContext(), await env.browser.newContext()];
  try {
    const [a, b] = await Promise.all(contexts.map((c) => c.newPage()));
    for (const p of [a!, b!]) {
      await p.goto(`${env.server.url}/manifest.webmanifest`);
      await startStockClient(p);
    }
    const magnet = await stockSeed(a!, BYTES, `plain-${seed}.bin`, env.relay.trackerUrl);
    const ms = await stockDownloadTimed(b!, magnet, env.relay.trackerUrl);
    return BYTES / MiB / (ms / 1000);
  } finally {
    for (const c of contexts) await c.close();
  }
}

export async function benchSharing(env: BenchEnv): Promise<Figure[]> {
  const plain: number[] = [];
  const paid: number[] = [];
  const blocks: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    plain.push(await plainDownload(env, 100 + i));
    const r = await paidDownload(env, 200 + i);
    paid.push(r.mibps);
    blocks.push(r.blocks);
  }
  const raw = await rawDataChannelMiBps(env, BYTES);
  const base = median(plain);
  const ours = median(paid);
  const perGB = (median(blocks) * GB) / BYTES;
  return [
    { section: 'sharing', name: `raw RTCDataChannel, ${BYTES / 1e6} MB (ceiling)`, value: raw, unit: 'MiB/s' },
    { section: 'sharing', name: `plain WebTorrent tab-to-tab, ${BYTES / 1e6} MB (baseline)`, value: base, unit: 'MiB/s', note: `${(base / raw).toFixed(2)} × raw; runs: ${plain.map((v) => v.toFixed(1)).join(', ')}` },
    { section: 'sharing', name: `paid WebTorrent tab-to-tab, ${BYTES / 1e6} MB`, value: ours, unit: 'MiB/s', note: `${(ours / base).toFixed(2)} × plain, ${(ours / raw).toFixed(2)} × raw; runs: ${paid.map((v) => v.toFixed(1)).join(', ')}` },
    { section: 'sharing', name: 'ledger blocks created per GB paid (both chains)', value: perGB, unit: 'blk', note: `${median(blocks)} blocks for ${BYTES / 1e6} MB` },
  ];
}
