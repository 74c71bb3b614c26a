import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkerClock, type ClockPort, type Defer } from './clock-client.ts';
import { ClockHost } from './clock-host.ts';
import { CLOCK_MAX_WAIT_MS, isClockRequest, type ClockRequest } from './clock-protocol.ts';

/** The host's timers on vitest's clock. */
const fakeHostTimers = { set: (fn: () => void, ms: number) => setTimeout(fn, ms), clear: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

/** Client and host joined as a page and its worker are: each message a structured clone, delivered on a later turn. */
function joined(fallback: Defer = () => () => undefined) {
  const sent: ClockRequest[] = [];
  let host!: ClockHost;
  const port: ClockPort = {
    post: (r) => {
      sent.push(r);
      const copy = structuredClone(r);
      queueMicrotask(() => host.handle(copy));
    },
    onFired: () => undefined,
    onFailure: () => undefined,
  };
  host = new ClockHost((id) => queueMicrotask(() => port.onFired(id)), fakeHostTimers);
  return { clock: new WorkerClock(port, fallback), host, port, sent };
}

const turns = () => vi.advanceTimersByTimeAsync(0);

describe('clock worker', () => {
  afterEach(() => vi.useRealTimers());

  it('calls back after the wait it was given, not before', async () => {
    vi.useFakeTimers();
    const { clock } = joined();
    const fired: number[] = [];
    clock.defer(() => fired.push(10), 10);
    clock.defer(() => fired.push(50), 50);
    await vi.advanceTimersByTimeAsync(9);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual([10]);
    await vi.advanceTimersByTimeAsync(40);
    expect(fired).toEqual([10, 50]);
    expect(clock.pending).toBe(0);
  });

  it('never calls back a timer cancelled, even one whose firing is already on its way back', async () => {
    vi.useFakeTimers();
    const { clock, host, sent } = joined();
    const fired: string[] = [];
    const cancelEarly = clock.defer(() => fired.push('early'), 10);
    await turns();
    cancelEarly();
    await vi.advanceTimersByTimeAsync(20);
    expect(fired).toEqual([]);
    expect(host.pending).toBe(0); // the worker dropped it too
    expect(sent.at(-1)).toEqual({ op: 'clear', id: 1 });

    // Fired in the worker, cancelled on the page before the message arrives.
    const cancelLate = clock.defer(() => fired.push('late'), 5);
    await turns();
    vi.advanceTimersByTime(5); // the host's timer fires; its message waits for a turn
    cancelLate();
    await turns();
    expect(fired).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('runs what waits on the fallback if the worker fails, and every later wait too', async () => {
    vi.useFakeTimers();
    const fellBack: number[] = [];
    const fallback: Defer = (fn, ms) => {
      fellBack.push(ms);
      fn();
      return () => undefined;
    };
    const { clock, port, sent } = joined(fallback);
    const fired: string[] = [];
    clock.defer(() => fired.push('stranded'), 30);
    port.onFailure();
    expect(fired).toEqual(['stranded']);
    const before = sent.length;
    clock.defer(() => fired.push('after'), 20);
    expect(fired).toEqual(['stranded', 'after']);
    expect(fellBack).toEqual([0, 20]);
    expect(sent.length).toBe(before); // nothing more asked of a dead worker
  });

  it('takes only well-formed requests: a hostile or broken message sets no timer and throws nothing', () => {
    expect(isClockRequest({ op: 'set', id: 1, ms: 0 })).toBe(true);
    expect(isClockRequest({ op: 'set', id: 1, ms: CLOCK_MAX_WAIT_MS })).toBe(true);
    expect(isClockRequest({ op: 'clear', id: 7 })).toBe(true);
    for (const bad of [null, 3, 'set', { op: 'set', id: 1 }, { op: 'set', id: 1.5, ms: 1 }, { op: 'set', id: 1, ms: -1 }, { op: 'set', id: 1, ms: CLOCK_MAX_WAIT_MS + 1 }, { op: 'set', id: 1, ms: Number.NaN }, { op: 'set', id: 1, ms: '5' }, { op: 'go', id: 1, ms: 1 }, { op: 'clear' }]) {
      expect(isClockRequest(bad)).toBe(false);
    }
    const host = new ClockHost(() => undefined, fakeHostTimers);
    fc.assert(
      fc.property(fc.anything(), (m) => {
        host.handle(m);
        if (isClockRequest(m)) {
          expect(Number.isSafeInteger(m.id)).toBe(true);
          if (m.op === 'set') expect(m.ms >= 0 && m.ms <= CLOCK_MAX_WAIT_MS).toBe(true);
        }
      }),
    );
  });

  it('a set for a live id replaces its timer instead of adding one', async () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const host = new ClockHost((id) => fired.push(id), fakeHostTimers);
    host.handle({ op: 'set', id: 4, ms: 10 });
    host.handle({ op: 'set', id: 4, ms: 30 });
    expect(host.pending).toBe(1);
    await vi.advanceTimersByTimeAsync(29);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual([4]);
  });
});
