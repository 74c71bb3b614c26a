/**
 * A refresh that many events may ask for: it runs at most once per `ms`
 * (a transfer signs a block pair every few MiB, each an event), and the last
 * request is always honoured. Returns the trigger and a stop function.
 */
export function coalesced(run: () => void, ms: number): { request: () => void; stop: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    request() {
      timer ??= setTimeout(() => {
        timer = undefined;
        run();
      }, ms);
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
