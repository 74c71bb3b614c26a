/** Clocks for the write coalescer in tests (used only by *.test.ts). */
import type { CoalescerTimers } from './write-coalescer.ts';

/** Lets promise reactions and I/O callbacks run; not a timer, so it works under vitest's fake timers too. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** A manual clock: timers fire only when the test advances it. */
export function manualTimers() {
  let now = 0;
  let pending: { at: number; fn: () => void; live: boolean }[] = [];
  const timers: CoalescerTimers = {
    now: () => now,
    defer(fn, ms) {
      const t = { at: now + ms, fn, live: true };
      pending.push(t);
      return () => (t.live = false);
    },
  };
  return {
    timers,
    /** Timers waiting to fire. */
    get pending(): number {
      return pending.filter((t) => t.live).length;
    },
    /** Moves the clock to `to`, firing due timers in order, each with its promise reactions before the clock moves on. */
    async advance(to: number) {
      for (;;) {
        const due = pending.filter((t) => t.live && t.at <= to).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        now = due.at;
        due.live = false;
        due.fn();
        await settle();
      }
      pending = pending.filter((t) => t.live);
      now = to;
    },
  };
}

/** Holds nothing past the current turn: for tests about what flows, not about when. */
export const immediateTimers: CoalescerTimers = {
  now: () => 0,
  defer(fn) {
    let live = true;
    setImmediate(() => live && fn());
    return () => (live = false);
  },
};
