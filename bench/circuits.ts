/**
 * Circuit figures: throughput of 0 (a direct libp2p stream), 1, 2 and 3 relay
 * hops between two tabs, in the same run, each as a ratio to direct. Every
 * hop is its own tab (browser profile); all links are direct WebRTC.
 */
import type { Page } from '@playwright/test';
import { countCpuTime, type CpuTime } from './cpu-time.ts';
import { median, MiB, type BenchEnv, type Figure } from './env.ts';
import { circuits } from '../e2e/support/ledger.ts';
import { sharing } from '../e2e/support/sharing.ts';
import { flowFigures } from './circuit-flow.ts';
import { traceMainThreadTasks } from './main-thread.ts';

const BYTES = 32 * MiB;
const RUNS = 3;
/** A hidden swarm download: seeder and downloader each 1 hop from the rendezvous point. */
const HIDDEN_BYTES = 32 * MiB;
const HIDDEN_RUNS = 2;

/**
 * WebTorrent over circuits, timed in the downloader from adding the magnet to
 * done: the lookup, the introduction, both circuits to the rendezvous point,
 * the wire and its payments through the circuits. Five fresh profiles: the two
 * ends (never connected to each other) and three relays.
 */
export async function hiddenDownload(env: BenchEnv, seed: number): Promise<{ MiBps: number; firstByteS: number; transferMiBps: number; cpu?: CpuTime }> {
  const peers = [];
  for (let i = 0; i < 5; i++) peers.push(await env.openPeer());
  try {
    const [seeder, downloader] = peers;
    await circuits(seeder!.page, 'block', downloader!.peerId);
    await circuits(downloader!.page, 'block', seeder!.peerId);
    for (const p of [seeder!, downloader!]) await p.page.waitForFunction(() => (globalThis as any).__trustmesh.circuits.relayCounts().connected >= 3, undefined, { timeout: 60_000 });
    const file = await sharing<{ infoHash: string; magnet: string; sha256: string }>(seeder!.page, 'seedGenerated', HIDDEN_BYTES, `hidden-bench-${seed}.bin`, seed, { hidden: true });
    await circuits(seeder!.page, 'hide', file.infoHash, 1);
    const counting = countCpuTime();
    const { ms, firstByteMs } = await sharing<{ ms: number; firstByteMs: number }>(downloader!.page, 'downloadTimed', file.magnet, 1);
    const cpu = counting();
    if ((await sharing<string>(downloader!.page, 'fileSha256', file.infoHash)) !== file.sha256) throw new Error('hidden download: hash mismatch');
    return { MiBps: HIDDEN_BYTES / MiB / (ms / 1000), firstByteS: firstByteMs / 1000, transferMiBps: HIDDEN_BYTES / MiB / ((ms - firstByteMs) / 1000), cpu };
  } finally {
    for (const p of peers) await p.close();
  }
}


/** Probes the last peer of `path` through the others (a circuit cut for non-payment fails it; any other cut is rebuilt). */
function probe(page: Page, path: string[], bytes: number): Promise<{ ms: number; rebuilds: number }> {
  return circuits(page, 'probe', path[path.length - 1], path.slice(0, -1), bytes);
}

async function directMiBps(from: Page, toPeerId: string, bytes: number): Promise<number> {
  const r = await from.evaluate(([id, n]) => (globalThis as any).__trustmesh.speedTest(id, 0, n), [toPeerId, bytes] as const);
  return bytes / MiB / (r.downloadMs / 1000);
}

export async function benchCircuits(env: BenchEnv): Promise<Figure[]> {
  const { figures, direct } = await probeFigures(env);
  // Fresh profiles, once the probe's are closed: each bench has the machine to itself.
  const runs: Awaited<ReturnType<typeof hiddenDownload>>[] = [];
  for (let run = 0; run < HIDDEN_RUNS; run++) runs.push(await hiddenDownload(env, 300 + run));
  const hidden = runs.map((r) => r.MiBps);
  const h = median(hidden);
  // Its path is 4 links and 3 relays, as a 3-hop circuit's: its ceiling is theirs.
  const ceiling = figures.find((f) => f.name.startsWith('ceiling for 3 hops'))?.value;
  figures.splice(4, 0, {
    section: 'circuits',
    name: `hidden swarm download, 1 hop each side of the rendezvous point, ${HIDDEN_BYTES / MiB} MiB`,
    value: h,
    unit: 'MiB/s',
    note:
      `${(h / direct).toFixed(2)} × direct stream, add to done, paid through the circuits; runs: ${hidden.map((x) => x.toFixed(1)).join(', ')}; ` +
      `first byte after ${median(runs.map((r) => r.firstByteS)).toFixed(1)} s, then ${median(runs.map((r) => r.transferMiBps)).toFixed(2)} MiB/s` +
      (ceiling === undefined ? '' : ` (${(median(runs.map((r) => r.transferMiBps)) / ceiling).toFixed(2)} × its ceiling, the 3-hop one)`) +
      runs.map((r, i) => (r.cpu === undefined ? '' : `; run ${i + 1}: ${r.cpu.summary}`)).join(''),
  });
  return figures;
}

/**
 * `links` transfers at once, tab i to tab i + 1 along the chain, each over a
 * circuit with no relay (one link, flow-controlled, one layer): each one's rate.
 * (Plain libp2p streams are reset under this load: nothing stops unread data
 * piling up past libp2p's 4 MiB limit in a starved tab.)
 */
async function concurrentLinksMiBps(chain: { page: Page; peerId: string }[], links: number, bytes: number): Promise<number> {
  const results = await Promise.all(chain.slice(0, links).map((p, i) => probe(p.page, [chain[i + 1]!.peerId], bytes))).catch(async (err: Error) => {
    // Say which tab cut whom, and how far behind its payer stood.
    const cuts = await Promise.all(chain.map((p) => circuits<string>(p.page, 'paymentLog')));
    throw new Error(`${err.message}\npayment log by tab: ${cuts.join('\n')}`);
  });
  return bytes / MiB / (Math.max(...results.map((r) => r.ms)) / 1000);
}

/** Probes over 0–3 hops, and main-thread long tasks meanwhile. */
async function probeFigures(env: BenchEnv): Promise<{ figures: Figure[]; direct: number }> {
  const peers = [];
  for (let i = 0; i < 5; i++) peers.push(await env.openPeer());
  try {
    const [origin, r1, r2, r3, sink] = peers;
    // Each consecutive pair must be directly connected.
    const chain = [origin!, r1!, r2!, r3!, sink!];
    for (let i = 0; i + 1 < chain.length; i++) {
      await chain[i]!.page.locator(`[data-testid="peer-row"][data-peer-id="${chain[i + 1]!.peerId}"][data-transport="webrtc"]`).waitFor({ timeout: 60_000 });
    }
    await origin!.page.locator(`[data-testid="peer-row"][data-peer-id="${sink!.peerId}"][data-transport="webrtc"]`).waitFor({ timeout: 60_000 });
    // Every tab's circuits run (openPeer), and the origin knows the three relays' announcements: a probe built before
    // a relay's service started failed its extend ("0 of your 4 connected peers relay now").
    await origin!.page.waitForFunction(() => (globalThis as any).__trustmesh.circuits.relayCounts().connected >= 3, undefined, { timeout: 60_000 });

    const paths: Record<number, string[]> = {
      1: [r1!.peerId, sink!.peerId],
      2: [r1!.peerId, r2!.peerId, sink!.peerId],
      3: [r1!.peerId, r2!.peerId, r3!.peerId, sink!.peerId],
    };
    // Warm up: WebCrypto, streams, JIT.
    await probe(origin!.page, paths[3]!, 4 * MiB);

    // Does cell processing make the page stutter? Record main-thread long tasks (> 50 ms) in the origin and a middle relay.
    const watch = async (page: Page) =>
      page.evaluate(() => {
        const w = window as unknown as { __longTasks: number[] };
        w.__longTasks = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) w.__longTasks.push(e.duration);
        }).observe({ type: 'longtask' });
      });
    const longTasks = (page: Page) => page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
    await watch(origin!.page);
    await watch(r2!.page);

    const direct: number[] = [];
    const byHops: Record<number, number[]> = { 1: [], 2: [], 3: [] };
    const rebuilds: Record<number, number> = { 1: 0, 2: 0, 3: 0 };
    for (let run = 0; run < RUNS; run++) {
      direct.push(await directMiBps(origin!.page, sink!.peerId, BYTES));
      for (const h of [1, 2, 3]) {
        const r = await probe(origin!.page, paths[h]!, BYTES);
        byHops[h]!.push(BYTES / MiB / (r.ms / 1000));
        rebuilds[h]! += r.rebuilds;
      }
    }
    const d = median(direct);
    const tasks = [...(await longTasks(origin!.page)), ...(await longTasks(r2!.page))];
    // The same transfer once more under a trace, to tell the pages' own work from a descheduled thread.
    const traced = await traceMainThreadTasks(env.browser, async () => void (await probe(origin!.page, paths[3]!, BYTES)));
    // What this machine allows a circuit of h hops at best: its h + 1 links busy at once, as a circuit's are (each
    // relay tab receives on one link and sends on the next), without relaying. On few cores this bounds the ratios.
    const ceiling: Record<number, number> = {};
    for (const h of [1, 2, 3]) ceiling[h] = await concurrentLinksMiBps(chain, h + 1, BYTES);
    const figures: Figure[] = [{ section: 'circuits', name: `0 hops: direct libp2p stream, ${BYTES / MiB} MiB (baseline)`, value: d, unit: 'MiB/s', note: `runs: ${direct.map((v) => v.toFixed(1)).join(', ')}` }];
    for (const h of [1, 2, 3]) {
      const v = median(byHops[h]!);
      figures.push({
        section: 'circuits',
        name: `${h} relay hop${h > 1 ? 's' : ''} to the far end, ${BYTES / MiB} MiB`,
        value: v,
        unit: 'MiB/s',
        note: `${(v / d).toFixed(2)} × direct, ${(v / ceiling[h]!).toFixed(2)} × its ceiling; runs: ${byHops[h]!.map((x) => x.toFixed(1)).join(', ')}; ${rebuilds[h] === 0 ? 'no circuit cut' : `${rebuilds[h]} circuit(s) cut and rebuilt`}`,
      });
    }
    for (const h of [1, 2, 3]) {
      figures.push({ section: 'circuits', name: `ceiling for ${h} hop${h > 1 ? 's' : ''}: ${h + 1} one-link transfers along the chain at once, each`, value: ceiling[h]!, unit: 'MiB/s', note: `${(ceiling[h]! / d).toFixed(2)} × direct` });
    }
    figures.push({
      section: 'circuits',
      name: 'longest main-thread task during the transfers (origin and a relay)',
      value: tasks.length === 0 ? 0 : Math.max(...tasks),
      unit: 'ms',
      note: `${tasks.length} tasks over 50 ms, ${Math.round(tasks.reduce((a, b) => a + b, 0))} ms in total`,
    });
    figures.push({
      section: 'circuits',
      name: 'longest main-thread task by the CPU it used, 3 hops, every tab',
      value: traced.longestThreadMs,
      unit: 'ms',
      note: `${traced.longByThread} tasks over 50 ms of thread time in ${traced.threads} tabs; by wall time ${traced.longByWall} over 50 ms (${traced.longByWallMs} ms), of which the thread ran ${traced.longByWallThreadMs} ms: the rest is the tab waiting for a core`,
    });
    // End-to-end flow control, before and after, on the same tabs.
    figures.push(...(await flowFigures(chain)));
    return { figures, direct: d };
  } finally {
    for (const p of peers) await p.close();
  }
}
