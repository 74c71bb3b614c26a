/**
 * The page's side of the clock worker (clock-protocol.ts): `defer` calls back
 * after a wait, as setTimeout does, but on the worker's clock, which a hidden
 * page does not throttle. If the worker cannot start or fails, what waits and
 * what comes after runs on `fallback` instead, so nothing is held for good.
 */
import type { ClockFired, ClockRequest } from './clock-protocol.ts';

export type Defer = (fn: () => void, ms: number) => () => void;

export interface ClockPort {
  post(request: ClockRequest): void;
  /** Set by the client: the worker says a timer fired. */
  onFired: (id: ClockFired) => void;
  /** Set by the client: the worker failed; no timer will fire any more. */
  onFailure: () => void;
}

export class WorkerClock {
  private nextId = 1;
  private readonly waiting = new Map<number, () => void>();
  private failed = false;

  constructor(
    private readonly port: ClockPort,
    private readonly fallback: Defer,
  ) {
    port.onFired = (id) => {
      const fn = this.waiting.get(id);
      if (fn === undefined) return; // cleared while its message was on the way
      this.waiting.delete(id);
      fn();
    };
    port.onFailure = () => {
      this.failed = true;
      const stranded = [...this.waiting.values()];
      this.waiting.clear();
      for (const fn of stranded) this.fallback(fn, 0);
    };
  }

  /** Timers waiting for the worker. */
  get pending(): number {
    return this.waiting.size;
  }

  readonly defer: Defer = (fn, ms) => {
    if (this.failed) return this.fallback(fn, ms);
    const id = this.nextId++;
    this.waiting.set(id, fn);
    this.port.post({ op: 'set', id, ms });
    return () => {
      if (this.waiting.delete(id) && !this.failed) this.port.post({ op: 'clear', id });
    };
  };

  /** The worker in a browser; undefined where the page cannot start one. */
  static inBrowser(fallback: Defer): WorkerClock | undefined {
    if (typeof Worker === 'undefined') return undefined;
    let worker: Worker;
    try {
      worker = new Worker(new URL('./clock.worker.ts', import.meta.url), { type: 'module', name: 'trustmesh-clock' });
    } catch {
      return undefined; // e.g. a policy that forbids workers
    }
    const port: ClockPort = { post: (r) => worker.postMessage(r), onFired: () => undefined, onFailure: () => undefined };
    worker.onmessage = (e: MessageEvent<ClockFired>) => port.onFired(e.data);
    worker.onerror = () => port.onFailure();
    return new WorkerClock(port, fallback);
  }
}
