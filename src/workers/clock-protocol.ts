/**
 * Messages between the page and its clock worker. A hidden page's timers fire
 * at most once a second; a dedicated worker's are not throttled, and its
 * messages reach a hidden page at once, so time-critical waits in a
 * background tab (held writes) run on the worker's clock.
 */

/** Longest wait the clock takes: its users wait tens of milliseconds; anything longer is a caller's bug. */
export const CLOCK_MAX_WAIT_MS = 60_000;

/** Sets timer `id` to fire after `ms`, or clears it. Ids are the page's, unique while the timer lives. */
export type ClockRequest = { op: 'set'; id: number; ms: number } | { op: 'clear'; id: number };

/** The worker's only message: the timer with this id fired. */
export type ClockFired = number;

/** Whether a message from the page is a request the clock can act on (anything else is dropped). */
export function isClockRequest(m: unknown): m is ClockRequest {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Partial<Record<'op' | 'id' | 'ms', unknown>>;
  if (!Number.isSafeInteger(r.id)) return false;
  if (r.op === 'clear') return true;
  return r.op === 'set' && typeof r.ms === 'number' && r.ms >= 0 && r.ms <= CLOCK_MAX_WAIT_MS;
}
