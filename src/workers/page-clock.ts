/**
 * Short waits that keep time in a background tab too (browser glue). A hidden
 * page's timers fire at most once a second, which turns a 10 ms pause into a
 * second's; there, waits run on the clock worker (clock-client.ts), whose
 * timers are not throttled. A page that shows uses its own timers.
 */
import { yieldToMain } from '../net/task-slicer.ts';
import { WorkerClock, type Defer } from './clock-client.ts';

const pageTimeout: Defer = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

/** Where no clock runs on time (the worker could not start): the wait ends with the task. */
const endOfTask: Defer = (fn) => {
  let cancelled = false;
  void yieldToMain().then(() => cancelled || fn());
  return () => (cancelled = true);
};

/** The clock worker, started the first time a hidden page waits (null: not tried yet). */
let workerClock: WorkerClock | undefined | null = null;

function backgroundDefer(): Defer {
  if (workerClock === null) workerClock = WorkerClock.inBrowser(endOfTask);
  return workerClock?.defer ?? endOfTask;
}

/** Waits on `visible` while the page shows and on `hidden()` while it is hidden. */
export function visibilityDefer(isHidden: () => boolean, visible: Defer, hidden: () => Defer): Defer {
  return (fn, ms) => (isHidden() ? hidden()(fn, ms) : visible(fn, ms));
}

/** Calls `fn` in about `ms`, hidden page or not; the returned function cancels it. */
export const pageDefer: Defer = visibilityDefer(() => typeof document !== 'undefined' && document.visibilityState === 'hidden', pageTimeout, backgroundDefer);
