/**
 * Runs `fn` at most once per `intervalMs`; a call inside the interval is
 * deferred to its end (trailing edge), so the last request is never lost.
 */
export function throttle(fn: () => void, intervalMs: number, now: () => number = Date.now): { call(): void; cancel(): void } {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = (): void => {
    timer = undefined;
    last = now();
    fn();
  };
  return {
    call() {
      if (timer !== undefined) return;
      const wait = last + intervalMs - now();
      if (wait <= 0) run();
      else timer = setTimeout(run, wait);
    },
    cancel() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
