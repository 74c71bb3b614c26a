/**
 * Exit figures: a download of a public swarm's file through a 1-hop exit
 * circuit (downloader -> exit -> seeder over WebRTC) next to a direct download
 * of the same file from the same seeder, in the same run, as a ratio. Each
 * download is timed in the downloading tab from add to done, so both include
 * the tracker announce and WebRTC set-up (the exit's too) and the payments.
 * Every run opens a fresh downloader (and a fresh exit), so no run inherits
 * another's connections; the seeder seeds the one file throughout.
 */
import type { Page } from '@playwright/test';
import { hooks } from '../e2e/support/ledger.ts';
import { sharing } from '../e2e/support/sharing.ts';
import { median, MiB, type BenchEnv, type Figure } from './env.ts';

/** As the hidden-swarm and circuit figures, so their ratios compare. */
const BYTES = 32 * MiB;
const RUNS = 3;
/** Circuit hops of the exit download: the exit alone, the Files page's default. */
const HOPS = 1;

const exits = hooks('exits');

type Peer = Awaited<ReturnType<BenchEnv['openPeer']>>;

interface Timed {
  mibps: number;
  ms: number;
  firstPeerMs: number;
  firstByteMs: number;
  /** Main-thread busy time (CDP TaskDuration) per tab during the download, ms. */
  busyMs: Record<string, number>;
}

/** Main-thread busy seconds of a tab so far (CDP Performance.TaskDuration). */
async function busyMeter(page: Page): Promise<() => Promise<number>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const read = async (): Promise<number> => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
  const before = await read();
  return async () => ((await read()) - before) * 1000;
}

async function timedDownload(downloader: Peer, file: { infoHash: string; magnet: string; sha256: string }, hops: number, watched: Record<string, Page>): Promise<Timed> {
  const meters = Object.fromEntries(await Promise.all(Object.entries(watched).map(async ([k, p]) => [k, await busyMeter(p)] as const)));
  const r = await exits<{ ms: number; firstPeerMs: number; firstByteMs: number }>(downloader.page, 'downloadTimed', file.magnet, hops);
  const busyMs = Object.fromEntries(await Promise.all(Object.entries(meters).map(async ([k, m]) => [k, await m()] as const)));
  if ((await sharing<string>(downloader.page, 'fileSha256', file.infoHash)) !== file.sha256) throw new Error(`${hops === 0 ? 'direct' : 'exit'} download: hash mismatch`);
  return { mibps: BYTES / MiB / (r.ms / 1000), ms: r.ms, firstPeerMs: r.firstPeerMs, firstByteMs: r.firstByteMs, busyMs };
}

async function directDownload(env: BenchEnv, seeder: Peer, file: { infoHash: string; magnet: string; sha256: string }): Promise<Timed> {
  const downloader = await env.openPeer();
  try {
    return await timedDownload(downloader, file, 0, { seeder: seeder.page, downloader: downloader.page });
  } finally {
    await downloader.close();
  }
}

async function exitDownload(env: BenchEnv, seeder: Peer, file: { infoHash: string; magnet: string; sha256: string }): Promise<Timed> {
  const [exit, downloader] = [await env.openPeer(), await env.openPeer()];
  try {
    await exits(exit.page, 'setExiting', true);
    await downloader.page.locator(`[data-testid="peer-row"][data-peer-id="${exit.peerId}"][data-transport="webrtc"]`).waitFor({ timeout: 60_000 });
    await downloader.page.waitForFunction(() => (globalThis as any).__trustmesh.exits.counts().connected >= 1, undefined, { timeout: 60_000 });
    return await timedDownload(downloader, file, HOPS, { seeder: seeder.page, exit: exit.page, downloader: downloader.page });
  } finally {
    await downloader.close();
    await exit.close();
  }
}

const secs = (ms: number): string => (ms / 1000).toFixed(1);
/** Where a download's time went: to the first peer, to the first byte, the transfer (its rate), and each tab's main-thread busy share of it. */
function phases(t: Timed): string {
  const busy = Object.entries(t.busyMs).map(([k, ms]) => `${k} ${Math.round((100 * ms) / t.ms)}%`).join(', ');
  const transfer = BYTES / MiB / ((t.ms - t.firstByteMs) / 1000);
  return `peer at ${secs(t.firstPeerMs)} s, first byte ${secs(t.firstByteMs)} s, done ${secs(t.ms)} s (${transfer.toFixed(1)} MiB/s from the first byte); main thread busy: ${busy}`;
}

export async function benchExits(env: BenchEnv): Promise<Figure[]> {
  const seeder = await env.openPeer();
  const direct: Timed[] = [];
  const viaExit: Timed[] = [];
  try {
    const file = await sharing<{ infoHash: string; magnet: string; sha256: string }>(seeder.page, 'seedGenerated', BYTES, 'exit-bench.bin', 400);
    for (let run = 0; run < RUNS; run++) {
      direct.push(await directDownload(env, seeder, file));
      viaExit.push(await exitDownload(env, seeder, file));
    }
  } finally {
    await seeder.close();
  }
  const d = median(direct.map((t) => t.mibps));
  const e = median(viaExit.map((t) => t.mibps));
  return [
    { section: 'exits', name: `direct download, ${BYTES / MiB} MiB (baseline)`, value: d, unit: 'MiB/s', note: `add to done, paid; runs: ${direct.map((t) => t.mibps.toFixed(1)).join(', ')}` },
    {
      section: 'exits',
      name: `exit download, ${HOPS} hop (the exit) to the public seeder, ${BYTES / MiB} MiB`,
      value: e,
      unit: 'MiB/s',
      note: `${(e / d).toFixed(2)} × direct download, add to done, paid through the circuit and by the exit; runs: ${viaExit.map((t) => t.mibps.toFixed(1)).join(', ')}`,
    },
    ...[...direct.map((t, i) => ({ t, what: `direct run ${i + 1}` })), ...viaExit.map((t, i) => ({ t, what: `exit run ${i + 1}` }))].map(({ t, what }) => ({
      section: 'exits',
      name: `${what}: time to done`,
      value: t.ms / 1000,
      unit: 's',
      note: phases(t),
    })),
  ];
}
