/**
 * The relay's connection sweep with fake connections and a hand-driven clock:
 * pings are spread over the interval (never all connections in one tick), each
 * connection is pinged once per round, and only a ping that fails closes its
 * connection. Wiring into a real relay: relay.test.ts (a client pinged and seen leave).
 */
import { describe, expect, it } from 'vitest';
import { sweepConnections, type Every, type Swept } from './connection-sweep.ts';
import { until } from '../src/testing/until.ts';

class FakeConnection implements Swept {
  status: Swept['status'] = 'open';
  aborted: Error | undefined;
  constructor(readonly id: number) {}
  abort(err: Error): void {
    this.aborted = err;
    this.status = 'closed';
  }
}

/** An `every` that runs only when the test says so. */
function manualClock(): { every: Every; tick(): void; stopped: () => boolean } {
  let run: (() => void) | undefined;
  let stopped = false;
  return {
    every: (r) => {
      run = r;
      return () => (stopped = true);
    },
    tick: () => run?.(),
    stopped: () => stopped,
  };
}

const TIMING = { intervalMs: 10_000, tickMs: 1_000, timeoutMs: 5_000 };

describe('sweepConnections', () => {
  it('pings each connection once per interval, a tenth of them per tick rather than all at once', () => {
    const conns = Array.from({ length: 100 }, (_, i) => new FakeConnection(i));
    const pinged: number[][] = [];
    const clock = manualClock();
    sweepConnections(() => conns, async (c) => void pinged.at(-1)!.push(c.id), TIMING, clock.every);
    for (let t = 0; t < 10; t++) {
      pinged.push([]);
      clock.tick();
    }
    expect(pinged.map((p) => p.length)).toEqual(Array(10).fill(10));
    expect(pinged.flat().sort((a, b) => a - b)).toEqual(conns.map((c) => c.id));
    pinged.push([]);
    clock.tick(); // the next round begins
    expect(pinged.at(-1)).toEqual(conns.slice(0, 10).map((c) => c.id));
  });

  it('closes a connection whose ping fails or times out, and only that one', async () => {
    const [alive, dead, noPing] = [new FakeConnection(0), new FakeConnection(1), new FakeConnection(2)];
    const clock = manualClock();
    const signals: AbortSignal[] = [];
    sweepConnections(() => [alive, dead, noPing], async (c, signal) => {
      signals.push(signal);
      if (c === dead) throw new Error('ping timed out');
      if (c === noPing) throw Object.assign(new Error('protocol selection failed'), { name: 'UnsupportedProtocolError' });
    }, { ...TIMING, tickMs: TIMING.intervalMs }, clock.every);
    clock.tick();
    await until(() => dead.aborted !== undefined, 'the dead connection to be closed');
    expect(dead.aborted?.message).toBe('ping timed out');
    expect(alive.status).toBe('open');
    expect(noPing.status).toBe('open'); // it answered multistream-select: it is there
    expect(signals.every((s) => !s.aborted)).toBe(true); // each ping has its own deadline, not yet reached
  });

  it('skips connections that closed before their turn, and stops', () => {
    const conns = [new FakeConnection(0), new FakeConnection(1)];
    conns[1]!.status = 'closed';
    const pinged: number[] = [];
    const clock = manualClock();
    const sweep = sweepConnections(() => conns, async (c) => void pinged.push(c.id), { ...TIMING, tickMs: TIMING.intervalMs }, clock.every);
    clock.tick();
    expect(pinged).toEqual([0]);
    sweep.stop();
    expect(clock.stopped()).toBe(true);
  });
});
