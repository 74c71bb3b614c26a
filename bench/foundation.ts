/**
 * Foundation figures: time from page load to the first direct peer next to the same time for a bare libp2p page
 * (first-peer-floor.ts), and libp2p stream throughput over direct WebRTC next to a raw RTCDataChannel baseline
 * measured between the same kind of tabs in the same run.
 */
import type { Page } from '@playwright/test';
import { median, MiB, type BenchEnv, type Engine, type Figure } from './env.ts';
import { STARTUP_MARK_PREFIX } from '../src/app/startup-timeline.ts';
import { floorFirstPeerTimes } from './first-peer-floor.ts';

const FIRST_PEER_RUNS = 5;
/** The Network page's row of a direct WebRTC peer. */
const DIRECT_PEER_ROW = '[data-testid="peer-row"][data-transport="webrtc"]';
const THROUGHPUT_BYTES = 100 * MiB;
const THROUGHPUT_RUNS = 3;

/** One run's start-up: the page's own marks (src/app/startup-timeline.ts), ms since navigation. */
type Timeline = Record<string, number>;

/**
 * `returning`: the profile has visited once before (its identity, ledger and peer code are there; the
 * first visit's tab is closed first, as a returning visitor's would be), else a fresh profile each run.
 */
async function timeToFirstDirectPeer(env: BenchEnv, returning: boolean): Promise<{ times: number[]; timelines: Timeline[] }> {
  const anchor = await env.openPeer();
  const times: number[] = [];
  const timelines: Timeline[] = [];
  try {
    for (let i = 0; i < FIRST_PEER_RUNS; i++) {
      const context = await env.browser.newContext();
      if (returning) {
        const first = await context.newPage();
        await first.goto(env.appUrl);
        await first.locator(DIRECT_PEER_ROW).first().waitFor({ timeout: 60_000 });
        // Closed as a tab is (its pagehide releases the lock and its links); waited for, or the timed load could find the lock held.
        await Promise.all([first.waitForEvent('close'), first.close({ runBeforeUnload: true })]);
      }
      const page = await context.newPage();
      // The page notes when the row first appears (ms since navigation): the harness's polling adds its own delay.
      // (No named functions inside: the bench's transpiler would wrap them in a helper the page lacks.)
      await page.addInitScript((selector) => {
        new MutationObserver((_, observer) => {
          if (document.querySelector(selector) === null) return;
          (globalThis as any).__directPeerShownAt = performance.now();
          observer.disconnect();
        }).observe(document, { subtree: true, childList: true, attributes: true });
      }, DIRECT_PEER_ROW);
      await page.goto(env.appUrl);
      await page.locator(DIRECT_PEER_ROW).first().waitFor({ timeout: 60_000 });
      times.push(await page.evaluate(() => (globalThis as any).__directPeerShownAt as number));
      timelines.push(await page.evaluate((prefix) => Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith(prefix)).map((m) => [m.name.slice(prefix.length), Math.round(m.startTime)])), STARTUP_MARK_PREFIX));
      await context.close();
    }
  } finally {
    await anchor.close();
  }
  return { times, timelines };
}

/** Each step's median time over the runs, in the order the steps are reached. */
function medianTimeline(timelines: Timeline[]): string {
  const steps = [...new Set(timelines.flatMap((t) => Object.keys(t)))];
  const medians = steps.map((step) => ({ step, ms: median(timelines.flatMap((t) => (t[step] === undefined ? [] : [t[step]]))) }));
  return medians.sort((a, b) => a.ms - b.ms).map((m) => `${m.step} ${(m.ms / 1000).toFixed(2)}`).join(', ');
}

/** Raw RTCDataChannel between two contexts (sender `from`, receiver `to`): SDP exchanged by the harness, 256 KiB messages, flow control at 8 MiB / 2 MiB buffered (the best of a sweep on this machine). */
export async function rawDataChannelMiBps(env: BenchEnv, bytes: number, from: Engine = 'chromium', to: Engine = 'chromium'): Promise<number> {
  const [ca, cb] = [await (await env.engine(from)).newContext(), await (await env.engine(to)).newContext()];
  const [a, b] = [await ca.newPage(), await cb.newPage()];
  // Any page of the origin will do: the raw test uses no app code. Not the manifest, which Firefox downloads rather than shows.
  await Promise.all([a.goto(`${env.server.url}/icon.svg`), b.goto(`${env.server.url}/icon.svg`)]);
  const gather = `async (pc) => { if (pc.iceGatheringState !== 'complete') await new Promise((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r())); return pc.localDescription.toJSON(); }`;
  const offer = await a.evaluate(async (g) => {
    const w = window as any;
    w.pc = new RTCPeerConnection();
    w.dc = w.pc.createDataChannel('bench', { ordered: true });
    await w.pc.setLocalDescription(await w.pc.createOffer());
    return (0, eval)(g)(w.pc);
  }, gather);
  const answer = await b.evaluate(async ([o, g]) => {
    const w = window as any;
    w.pc = new RTCPeerConnection();
    w.received = new Promise((resolve) => {
      w.pc.ondatachannel = (e: RTCDataChannelEvent) => {
        let got = 0;
        let start = 0;
        e.channel.binaryType = 'arraybuffer';
        e.channel.onmessage = (m: MessageEvent<ArrayBuffer>) => {
          if (start === 0) start = performance.now();
          got += m.data.byteLength;
          if (got >= (w.expect as number)) resolve(performance.now() - start);
        };
      };
    });
    await w.pc.setRemoteDescription(o);
    await w.pc.setLocalDescription(await w.pc.createAnswer());
    return (0, eval)(g)(w.pc);
  }, [offer, gather] as const);
  await b.evaluate((n) => ((window as any).expect = n), bytes);
  await a.evaluate(async (ans) => {
    const w = window as any;
    await w.pc.setRemoteDescription(ans);
    if (w.dc.readyState !== 'open') await new Promise((r) => (w.dc.onopen = r));
  }, answer);
  const sending = a.evaluate(async (total) => {
    const dc = (window as any).dc as RTCDataChannel;
    const chunk = new Uint8Array(256 * 1024);
    dc.bufferedAmountLowThreshold = 2 * 1024 * 1024;
    for (let sent = 0; sent < total; sent += chunk.length) {
      if (dc.bufferedAmount > 8 * 1024 * 1024) await new Promise((r) => (dc.onbufferedamountlow = r));
      dc.send(chunk);
    }
  }, bytes);
  const ms = (await b.evaluate(() => (window as any).received)) as number;
  await sending;
  await ca.close();
  await cb.close();
  return bytes / MiB / (ms / 1000);
}

/** libp2p stream throughput from the peer `toPeerId` to `from` (the speed test's download half). */
export async function libp2pMiBps(from: Page, toPeerId: string, bytes: number): Promise<number> {
  const r = await from.evaluate(([id, n]) => (globalThis as any).__trustmesh.speedTest(id, 0, n), [toPeerId, bytes] as const);
  return bytes / MiB / (r.downloadMs / 1000);
}

export async function benchFoundation(env: BenchEnv): Promise<Figure[]> {
  const figures: Figure[] = [];
  const floor = await floorFirstPeerTimes(env, FIRST_PEER_RUNS);
  const floorMedian = median(floor);
  figures.push({ section: 'foundation', name: `bare libp2p page → first direct WebRTC peer (baseline, median of ${floor.length})`, value: floorMedian / 1000, unit: 's', note: `the network stack's floor: the app's transports and relay, no app; runs: ${floor.map((t) => (t / 1000).toFixed(2)).join(', ')} s` });
  for (const returning of [false, true]) {
    const { times, timelines } = await timeToFirstDirectPeer(env, returning);
    const who = returning ? 'returning visitor' : 'new visitor';
    figures.push({ section: 'foundation', name: `page load → first direct WebRTC peer shown, ${who} (median of ${times.length})`, value: median(times) / 1000, unit: 's', note: `${(median(times) / floorMedian).toFixed(2)} × the bare page; runs: ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s; median step times, s since navigation: ${medianTimeline(timelines)}` });
  }

  const raw: number[] = [];
  for (let i = 0; i < THROUGHPUT_RUNS; i++) raw.push(await rawDataChannelMiBps(env, THROUGHPUT_BYTES));

  const a = await env.openPeer();
  const b = await env.openPeer();
  await a.page.locator(`[data-testid="peer-row"][data-peer-id="${b.peerId}"][data-transport="webrtc"]`).waitFor({ timeout: 60_000 });
  const ours: number[] = [];
  for (let i = 0; i < THROUGHPUT_RUNS; i++) ours.push(await libp2pMiBps(a.page, b.peerId, THROUGHPUT_BYTES));
  await a.close();
  await b.close();

  const rawMedian = median(raw);
  figures.push({ section: 'foundation', name: `raw RTCDataChannel, ${THROUGHPUT_BYTES / MiB} MiB (baseline)`, value: rawMedian, unit: 'MiB/s', note: `runs: ${raw.map((v) => v.toFixed(1)).join(', ')}` });
  figures.push({ section: 'foundation', name: `libp2p stream over direct WebRTC, ${THROUGHPUT_BYTES / MiB} MiB`, value: median(ours), unit: 'MiB/s', note: `${(median(ours) / rawMedian).toFixed(2)} × raw; runs: ${ours.map((v) => v.toFixed(1)).join(', ')}` });
  return figures;
}
