/**
 * Ledger figures, in Chromium tabs: blocks verified and validated per second
 * (native WebCrypto vs noble, same run), signed pairs persisted per second with
 * strict durability, crawling a 10,000-block chain between two tabs, and how
 * long a fork proof takes to reach every tab of a 6-tab network.
 */
import type { Page } from '@playwright/test';
import { buildPairs } from './chain-fixture.ts';
import { countCpuTime } from './cpu-time.ts';
import type { BenchEnv, Figure } from './env.ts';

const NATIVE_BLOCKS = 20_000;
/** Native runs, of which the median is the figure: one run moves ~20 % on this machine. */
const NATIVE_RUNS = 3;
/** noble is ~10x slower: a smaller batch gives the same per-second figure in a fraction of the time. */
const NOBLE_BLOCKS = 4_000;
const PERSIST_PAIRS = 3_000;
const CRAWL_CHAIN_BLOCKS = 10_000;
/** Crawls, each by a fresh tab, of which the median is the figure: one crawl moved from 3.8 to 6.5 s between runs. */
const CRAWL_RUNS = 3;
/** Payments timed in a row between two tabs (a transfer pays every few MiB, one at a time per peer). */
const PAYMENTS = 100;
/** The issue's network for fork-proof spread, and its bound. */
const PROOF_TABS = 6;
const PROOF_SPREAD_TARGET_MS = 10_000;

type Group = 'bench' | 'ledger' | 'money';
type Hooks = Record<Group, Record<string, (...a: unknown[]) => Promise<unknown>>>;

function call<T>(page: Page, group: Group, method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(([g, m, a]) => (globalThis as unknown as { __trustmesh: Hooks }).__trustmesh[g as 'bench'][m as string]!(...(a as unknown[])) as Promise<T>, [group, method, args] as const);
}

export async function benchLedger(env: BenchEnv): Promise<Figure[]> {
  const figures: Figure[] = [];
  const blocks = await buildPairs(NATIVE_BLOCKS / 2);
  const a = await env.openPeer();

  // Warm up both engines (worker start, key import, JIT on a full batch) before timing.
  await call(a.page, 'bench', 'validate', blocks, 'webcrypto');
  await call(a.page, 'bench', 'validate', blocks.slice(0, 200), 'noble');
  const cpu = countCpuTime();
  const runs: { ms: number; valid: number }[] = [];
  for (let i = 0; i < NATIVE_RUNS; i++) runs.push(await call<{ ms: number; valid: number }>(a.page, 'bench', 'validate', blocks, 'webcrypto'));
  const nativeCpu = cpu();
  const native = runs.sort((x, y) => x.ms - y.ms)[NATIVE_RUNS >> 1]!;
  const noble = await call<{ ms: number; valid: number }>(a.page, 'bench', 'validate', blocks.slice(0, NOBLE_BLOCKS), 'noble');
  if (native.valid !== blocks.length || noble.valid !== NOBLE_BLOCKS) throw new Error(`bench chain did not validate (${native.valid}/${blocks.length}, ${noble.valid}/${NOBLE_BLOCKS})`);
  const nativeRate = blocks.length / (native.ms / 1000);
  const nobleRate = NOBLE_BLOCKS / (noble.ms / 1000);
  figures.push({ section: 'ledger', name: `blocks verified+validated, noble (baseline, ${NOBLE_BLOCKS} blocks)`, value: nobleRate, unit: 'blk/s' });
  figures.push({ section: 'ledger', name: `blocks verified+validated, native WebCrypto (${blocks.length} blocks, median of ${NATIVE_RUNS})`, value: nativeRate, unit: 'blk/s', note: `runs ${runs.map((r) => Math.round(blocks.length / (r.ms / 1000))).join(', ')} blk/s; ${(nativeRate / nobleRate).toFixed(1)} × noble; target 20,000${nativeCpu === undefined ? '' : `; ${nativeCpu.summary}`}` });
  // The ceiling: the same signatures through the pool with nothing else to do.
  const parts = await call<{ verifyMs: number; validateMs: number; workers: number }>(a.page, 'bench', 'validateBreakdown', blocks);
  figures.push({ section: 'ledger', name: `signatures alone through the pool (${parts.workers} workers; ceiling of the line above)`, value: blocks.length / (parts.verifyMs / 1000), unit: 'sig/s', note: `validation alone ${Math.round(blocks.length / (parts.validateMs / 1000))} blk/s on the page` });

  const persisted = await call<{ ms: number }>(a.page, 'bench', 'persistPairs', PERSIST_PAIRS, 64);
  figures.push({ section: 'ledger', name: `signed pairs persisted, strict durability (${PERSIST_PAIRS})`, value: PERSIST_PAIRS / (persisted.ms / 1000), unit: 'pair/s', note: 'target 2,000' });

  // A 10,000-block chain in tab A, crawled by a fresh tab over direct WebRTC, CRAWL_RUNS times.
  const have = await call<{ seq: number }>(a.page, 'bench', 'persistPairs', CRAWL_CHAIN_BLOCKS - PERSIST_PAIRS, 64);
  const aKey = await call<string>(a.page, 'ledger', 'publicKey');
  const crawls: { ms: number; cpu: string | undefined }[] = [];
  for (let i = 0; i < CRAWL_RUNS; i++) crawls.push(await crawlOnce(env, a, aKey, have.seq));
  const crawl = [...crawls].sort((x, y) => x.ms - y.ms)[CRAWL_RUNS >> 1]!;
  figures.push({ section: 'ledger', name: `crawl of a ${have.seq}-block chain (+ linked halves) tab to tab (median of ${CRAWL_RUNS})`, value: crawl.ms / 1000, unit: 's', note: `${Math.round((2 * have.seq) / (crawl.ms / 1000))} blocks/s verified, validated and stored; target 2 s; runs ${crawls.map((c) => (c.ms / 1000).toFixed(2)).join(', ')} s${crawl.cpu === undefined ? '' : `; median run: ${crawl.cpu}`}` });
  figures.push(await benchPayments(env, a));
  await a.close();
  figures.push(await benchProofSpread(env));
  return figures;
}

/** A fresh tab crawls `holder`'s whole chain over direct WebRTC: the time and what the machine spent on it. */
async function crawlOnce(env: BenchEnv, holder: { page: Page; peerId: string }, holderKey: string, blocks: number): Promise<{ ms: number; cpu: string | undefined }> {
  const b = await env.openPeer();
  try {
    await b.page.locator(`[data-testid="peer-row"][data-peer-id="${holder.peerId}"][data-transport="webrtc"]`).waitFor({ timeout: 60_000 });
    // The new tab's service worker precaches the app on its first visit (~0.5 CPU-s): done before the crawl is timed.
    await b.page.evaluate(async () => void (await navigator.serviceWorker.ready));
    const cpu = countCpuTime();
    const start = Date.now();
    const fetched = await call<number>(b.page, 'ledger', 'crawlChain', holder.peerId, holderKey);
    const ms = Date.now() - start;
    const used = cpu();
    if (fetched !== blocks) throw new Error(`crawled ${fetched} of ${blocks} blocks`);
    return { ms, cpu: used?.summary };
  } finally {
    await b.close();
  }
}

/** A fresh tab pays `payee` PAYMENTS times in a row over their direct connection, each a signed pair in both chains: the time each takes, and its CPU. */
async function benchPayments(env: BenchEnv, payee: { page: Page; peerId: string }): Promise<Figure> {
  const payer = await env.openPeer();
  try {
    await payer.page.locator(`[data-testid="peer-row"][data-peer-id="${payee.peerId}"][data-transport="webrtc"]`).waitFor({ timeout: 60_000 });
    await call(payee.page, 'ledger', 'acceptAll');
    const inRow = (n: number): Promise<number> =>
      payer.page.evaluate(
        async ([to, count]) => {
          const start = performance.now();
          for (let i = 0; i < count; i++) await (globalThis as unknown as { __trustmesh: Hooks }).__trustmesh.ledger.pay!(to, 1000);
          return performance.now() - start;
        },
        [payee.peerId, n] as const,
      );
    await inRow(PAYMENTS / 10);
    const cpu = countCpuTime();
    const ms = await inRow(PAYMENTS);
    const used = cpu();
    const perPayment = used === undefined ? '' : `; ${Math.round(used.cpuMs / PAYMENTS)} ms of CPU each`;
    return { section: 'ledger', name: `payments in a row to one peer (${PAYMENTS}), each a pair signed by both`, value: ms / PAYMENTS, unit: 'ms', note: `one stream kept for them${perPayment}${used === undefined ? '' : `; ${used.summary}`}` };
  } finally {
    await payer.close();
  }
}

/**
 * A tab signs two blocks at one position, to two peers (test code), in a mesh
 * of PROOF_TABS tabs; the figure is the time from the first honest tab that
 * holds the proof to the last (each tab's own arrival time, same clock).
 */
async function benchProofSpread(env: BenchEnv): Promise<Figure> {
  const tabs = await Promise.all(Array.from({ length: PROOF_TABS }, () => env.openPeer()));
  for (const t of tabs) {
    for (const o of tabs) if (o !== t) await t.page.locator(`[data-testid="peer-row"][data-peer-id="${o.peerId}"][data-transport="webrtc"]`).waitFor({ timeout: 90_000 });
  }
  const [mallory, ...honest] = tabs as [(typeof tabs)[0], ...typeof tabs];
  for (const t of honest) await call(t.page, 'ledger', 'acceptAll');
  const key = await call<string>(mallory.page, 'ledger', 'publicKey');
  await call(mallory.page, 'ledger', 'forgeDoubleSign', honest[0]!.peerId, honest[1]!.peerId);
  const arrivals = async (): Promise<(number | undefined)[]> => Promise.all(honest.map((t) => call<number | undefined>(t.page, 'money', 'fraudReceivedAt', key)));
  const deadline = Date.now() + 60_000;
  let times = await arrivals();
  while (times.some((t) => t === undefined)) {
    if (Date.now() > deadline) throw new Error(`the fork proof reached ${times.filter((t) => t !== undefined).length} of ${honest.length} honest tabs in 60 s`);
    await new Promise((r) => setTimeout(r, 100));
    times = await arrivals();
  }
  const spreadMs = Math.max(...(times as number[])) - Math.min(...(times as number[]));
  for (const t of tabs) await t.close();
  return { section: 'ledger', name: `fork proof reaches every honest tab of ${PROOF_TABS} (first holder to last)`, value: spreadMs / 1000, unit: 's', note: `bound ${PROOF_SPREAD_TARGET_MS / 1000} s; gossip TTL 3, fan-out 5` };
}
