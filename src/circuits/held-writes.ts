/**
 * A circuit stream's writes held into full cells (write-coalescer.ts) on the
 * page's clock (browser glue): shared by hidden-swarm connections and exit
 * streams, whose BitTorrent wires write each 16 KiB block and every small
 * message on its own.
 */
import { pageDefer } from '../workers/page-clock.ts';
import { STREAM_COALESCE_GAP_MS, STREAM_COALESCE_MAX_HOLD_MS } from './constants.ts';
import { WriteCoalescer, type CoalescerTimers } from './write-coalescer.ts';

/** In a background tab too (page-clock.ts): on the page's throttled timers, or left at the end of each task, a hidden seeder's blocks went one a cell. */
const pageTimers: CoalescerTimers = { now: () => performance.now(), defer: pageDefer };

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
