/**
 * Glue: how long the relay's event loop keeps work waiting, over the last
 * window, for /health. A request waits at least this long before the relay even
 * reads it, so it tells the relay's own load apart from a slow network or a
 * machine whose CPU others take (BENCH=relay-load).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Delays are summed up over windows this long: long enough for a p99, short enough to show a spike. */
export const LOOP_DELAY_WINDOW_MS = 5_000;
/** The sampling timer's period (node's default 10 ms, a wake-up per tick for a figure that needs no such precision). */
const RESOLUTION_MS = 20;

export interface LoopDelay {
  /** Over the last complete window, in ms (the sampling timer's own period is not counted). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function watchLoopDelay(windowMs = LOOP_DELAY_WINDOW_MS): { last(): LoopDelay; stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  // The histogram counts the full timer period; what exceeds it is the delay.
  const ms = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
  let last: LoopDelay = { p50Ms: 0, p99Ms: 0, maxMs: 0 };
  const timer = setInterval(() => {
    if (histogram.count > 0) last = { p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) };
    histogram.reset();
  }, windowMs);
  timer.unref();
  return {
    last: () => last,
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
