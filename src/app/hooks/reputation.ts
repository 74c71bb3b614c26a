/**
 * Test hooks for the reputation worker (test builds only, see test-hooks.ts):
 * how this tab judges a key, and the bench's recompute timing. The bench builds a seeded random contribution graph in
 * the tab, feeds it to a fresh worker, and times recomputes while watching
 * the page's thread. The bench's worker is its own, apart from the app's.
 */
import type { Contribution } from '../../reputation/contribution-graph.ts';
import { seededRandom } from '../../reputation/prng.ts';
import { ReputationClient } from '../../workers/reputation-client.ts';
import type { AppSession } from '../app-session.ts';
import { fromHex } from '../../codec/bytes.ts';
import { judgingOf } from '../reputation-runtime.ts';
import { running } from './running.ts';

/** Average edges per key in the bench graphs: a peer trades with a few dozen others, so ~10 distinct partners each way is typical. */
const EDGES_PER_KEY = 10;
/** A lag probe tick: the page's timer fires this often when nothing blocks it. */
const PROBE_TICK_MS = 4;

const keyOf = (i: number) => i.toString(16).padStart(64, '0');

/** `edges` random contributions among edges / EDGES_PER_KEY keys, deterministic for `seed`. */
function randomContributions(edges: number, seed: number): Contribution[] {
  const random = seededRandom(seed);
  const keys = Math.max(2, Math.round(edges / EDGES_PER_KEY));
  const out: Contribution[] = [];
  for (let i = 0; i < edges; i++) {
    const from = Math.floor(random() * keys);
    const to = (from + 1 + Math.floor(random() * (keys - 1))) % keys;
    out.push({ from: keyOf(from), to: keyOf(to), bytes: BigInt(1 + Math.floor(random() * 2 ** 30)), at: i });
  }
  return out;
}

/** The longest main-thread task while `work` runs: 'longtask' entries if the browser has them, and a timer lag probe always. */
async function watchMainThread<T>(work: () => Promise<T>): Promise<{ result: T; longestTaskMs: number; longestLagMs: number; longtask: boolean }> {
  let longestTaskMs = 0;
  const longtask = PerformanceObserver.supportedEntryTypes?.includes('longtask') ?? false;
  const observer = longtask ? new PerformanceObserver((list) => list.getEntries().forEach((e) => (longestTaskMs = Math.max(longestTaskMs, e.duration)))) : undefined;
  observer?.observe({ type: 'longtask' });
  let longestLagMs = 0;
  let expected = performance.now() + PROBE_TICK_MS;
  let probing = true;
  const tick = () => {
    const now = performance.now();
    longestLagMs = Math.max(longestLagMs, now - expected);
    expected = now + PROBE_TICK_MS;
    if (probing) setTimeout(tick, PROBE_TICK_MS);
  };
  setTimeout(tick, PROBE_TICK_MS);
  try {
    const result = await work();
    // Let the last timer and any buffered longtask entries arrive.
    await new Promise((r) => setTimeout(r, PROBE_TICK_MS * 2));
    for (const e of observer?.takeRecords() ?? []) longestTaskMs = Math.max(longestTaskMs, e.duration);
    return { result, longestTaskMs, longestLagMs, longtask };
  } finally {
    probing = false;
    observer?.disconnect();
  }
}

export function reputationHooks(session: AppSession) {
  return {
    /** A key's verified balance, raw and as this tab judges it (what its sharing threshold, slot ranking and relay admission read). */
    async judged(publicKeyHex: string) {
      const { ledger, reputation } = running(session);
      const v = await ledger.service.verifiedBalance(fromHex(publicKeyHex));
      return { raw: v.net.toString(), judged: judgingOf(reputation).judge(fromHex(publicKeyHex), v).toString(), standing: reputation?.standing(publicKeyHex)?.toString() };
    },
    /**
     * Builds `edges` seeded random contributions, feeds them to a fresh
     * worker, warms it up once, then recomputes `runs` times from key 0.
     */
    async benchRecompute(edges: number, seed: number, runs: number) {
      const client = new ReputationClient();
      try {
        const contributions = randomContributions(edges, seed);
        const feedStart = performance.now();
        const fed = await watchMainThread(() => client.add(contributions));
        const feedMs = performance.now() - feedStart;
        const seeds = [keyOf(0)];
        await client.recompute(seeds);
        const computeMs: number[] = [];
        const roundTripMs: number[] = [];
        let scored = 0;
        const watched = await watchMainThread(async () => {
          for (let i = 0; i < runs; i++) {
            const start = performance.now();
            const r = await client.recompute(seeds);
            roundTripMs.push(performance.now() - start);
            computeMs.push(r.computeMs);
            scored = r.scores.size;
          }
        });
        return {
          edges: fed.result.edges,
          dropped: fed.result.dropped,
          scored,
          feedMs,
          feedLongestTaskMs: fed.longestTaskMs,
          feedLongestLagMs: fed.longestLagMs,
          computeMs,
          roundTripMs,
          longestTaskMs: watched.longestTaskMs,
          longestLagMs: watched.longestLagMs,
          longtask: watched.longtask,
        };
      } finally {
        client.terminate();
      }
    },
  };
}
