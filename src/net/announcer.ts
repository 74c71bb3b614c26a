/**
 * When to publish our addresses on the discovery topic: at once when they change or a new peer
 * shows up, at most once per interval (throttle.ts), and never before we have an address others
 * can dial. An announcement without one teaches nobody anything, yet it would start the interval:
 * the first useful announcement (our relay reservation, a few hundred ms later) would then wait up
 * to a whole interval, and a new tab its first direct peer with it.
 */
import { throttle } from './throttle.ts';

export interface Announcer {
  call(): void;
  cancel(): void;
}

export function gatedAnnouncer(announce: () => void, dialable: () => boolean, intervalMs: number, now: () => number = Date.now): Announcer {
  const throttled = throttle(announce, intervalMs, now);
  return {
    call() {
      if (dialable()) throttled.call();
    },
    cancel: () => throttled.cancel(),
  };
}
