/**
 * Browser figures: the direct and the paid transfer rates between Firefox and
 * Chromium tabs, each next to the same transfer between two Chromium tabs
 * measured in the same run. Direct: a raw RTCDataChannel (harness SDP) and the
 * libp2p speed test over direct WebRTC; paid: a hash-checked paid download,
 * done once the seeder has been paid for every byte. Smaller than the
 * foundation and sharing sizes so that four pairs of engines fit in minutes.
 */
import { median, MiB, type BenchEnv, type Engine, type Figure } from './env.ts';
import { libp2pMiBps, rawDataChannelMiBps } from './foundation.ts';
import { paidDownload } from './sharing.ts';

const BYTES = 32 * MiB;
const RUNS = 3;

interface Pair {
  from: Engine;
  to: Engine;
}

/** Chromium→Chromium first: the baseline every other pair is divided by. */
const PAIRS: readonly Pair[] = [
  { from: 'chromium', to: 'chromium' },
  { from: 'firefox', to: 'chromium' },
  { from: 'chromium', to: 'firefox' },
  { from: 'firefox', to: 'firefox' },
];

const NAMES: Record<Engine, string> = { chromium: 'Chromium', firefox: 'Firefox' };
const label = (p: Pair): string => `${NAMES[p.from]}→${NAMES[p.to]}`;

/** The speed test between a fresh peer in each engine, once they hold a direct connection: data flows `from` → `to`. */
async function libp2pRuns(env: BenchEnv, pair: Pair): Promise<number[]> {
  const sender = await env.openPeer(pair.from);
  const receiver = await env.openPeer(pair.to);
  try {
    await receiver.page.locator(`[data-testid="peer-row"][data-peer-id="${sender.peerId}"][data-transport="webrtc"]`).waitFor({ timeout: 60_000 });
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await libp2pMiBps(receiver.page, sender.peerId, BYTES));
    return runs;
  } finally {
    await sender.close();
    await receiver.close();
  }
}

function figures(kind: string, runs: Map<Pair, number[]>): Figure[] {
  const base = median(runs.get(PAIRS[0]!)!);
  return PAIRS.map((p, i) => {
    const r = runs.get(p)!;
    const v = median(r);
    const ratio = i === 0 ? 'baseline' : `${(v / base).toFixed(2)} × Chromium→Chromium`;
    return { section: 'browsers', name: `${kind} ${label(p)}, ${BYTES / MiB} MiB${i === 0 ? ' (baseline)' : ''}`, value: v, unit: 'MiB/s', note: `${ratio}; runs: ${r.map((x) => x.toFixed(1)).join(', ')}` };
  });
}

export async function benchBrowsers(env: BenchEnv): Promise<Figure[]> {
  const raw = new Map<Pair, number[]>(PAIRS.map((p) => [p, []]));
  const paid = new Map<Pair, number[]>(PAIRS.map((p) => [p, []]));
  const stream = new Map<Pair, number[]>();
  // Runs interleave the pairs, so that drift in the machine's load falls on every pair alike.
  for (let i = 0; i < RUNS; i++) for (const p of PAIRS) raw.get(p)!.push(await rawDataChannelMiBps(env, BYTES, p.from, p.to));
  for (const p of PAIRS) stream.set(p, await libp2pRuns(env, p));
  for (let i = 0; i < RUNS; i++) {
    for (const [j, p] of PAIRS.entries()) paid.get(p)!.push((await paidDownload(env, 300 + i * PAIRS.length + j, BYTES, p.from, p.to)).mibps);
  }
  return [...figures('raw RTCDataChannel', raw), ...figures('libp2p stream over direct WebRTC', stream), ...figures('paid download', paid)];
}
