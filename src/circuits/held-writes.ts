/**
 * A circuit stream's writes held into full cells (write-coalescer.ts) on the
 * page's clock (browser glue): shared by hidden-swarm connections and exit
 * streams, whose BitTorrent wires write each 16 KiB block and every small
 * message on its own.
 */
import { yieldToMain } from '../net/task-slicer.ts';
import { WorkerClock, type Defer } from '../workers/clock-client.ts';
import { STREAM_COALESCE_GAP_MS, STREAM_COALESCE_MAX_HOLD_MS } from './constants.ts';
import { WriteCoalescer, type CoalescerTimers } from './write-coalescer.ts';

const pageTimeout: Defer = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

/** Where no clock runs on time: held writes leave at the end of the task (which holds only what one task wrote). */
const endOfTask: Defer = (fn) => {
  let cancelled = false;
  void yieldToMain().then(() => cancelled || fn());
  return () => (cancelled = true);
};

/** The clock worker, started the first time a hidden page holds a write (null: not tried yet). */
let workerClock: WorkerClock | undefined | null = null;

function backgroundDefer(): Defer {
  if (workerClock === null) workerClock = WorkerClock.inBrowser(endOfTask);
  return workerClock?.defer ?? endOfTask;
}

/**
 * Timers that keep time in a hidden page too, whose own timers fire at most once a second (which
 * would hold every burst that long, or, left at the end of the task, send a background seeder's
 * blocks one a cell): there they run on `hidden()`, the clock worker's.
 */
export function visibilityTimers(isHidden: () => boolean, visible: Defer, hidden: () => Defer): CoalescerTimers {
  return {
    now: () => performance.now(),
    defer: (fn, ms) => (isHidden() ? hidden()(fn, ms) : visible(fn, ms)),
  };
}

const pageTimers = visibilityTimers(() => typeof document !== 'undefined' && document.visibilityState === 'hidden', pageTimeout, backgroundDefer);

/**
 * Holds writes until they fill `fullBytes` (what one full cell carries for
 * this stream), the writer pauses, or the longest hold passed; `send` gets
 * them one batch at a time, in order. `onError` hears of a failed send that
 * nobody awaited.
 */
export const holdWrites = (
  fullBytes: number,
  send: (data: Uint8Array) => Promise<void>,
  onError: (err: Error) => void,
  timers: CoalescerTimers = pageTimers,
): WriteCoalescer => new WriteCoalescer({ fullBytes, gapMs: STREAM_COALESCE_GAP_MS, maxHoldMs: STREAM_COALESCE_MAX_HOLD_MS }, send, onError, timers);
