/**
 * Pure: the economy simulation's event queue, a binary min-heap on (time, insertion order), so two
 * events due at the same simulated instant always run in the order they were scheduled: a run is
 * replayed exactly from its seed, whatever the heap's internal layout.
 */

export interface Scheduled<T> {
  /** Simulated time (ms). */
  readonly at: number;
  /** Insertion counter: the tie-break that makes same-time order stable. */
  readonly seq: number;
  readonly event: T;
}

export class EventQueueError extends Error {
  override name = 'EventQueueError';
}

export class EventQueue<T> {
  private readonly heap: Scheduled<T>[] = [];
  private counter = 0;
  private clock = 0;

  /** The simulated clock: the time of the last event taken. */
  get now(): number {
    return this.clock;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `event` at `at`; scheduling into the past would reorder history, so it throws. */
  push(at: number, event: T): void {
    if (!Number.isFinite(at) || at < this.clock) throw new EventQueueError(`event at ${at} ms is before the clock (${this.clock} ms)`);
    const item = { at, seq: this.counter++, event };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = item;
  }

  /** Takes the earliest event and advances the clock to it; undefined when empty. */
  pop(): Scheduled<T> | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const child = r < h.length && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[child]!, last)) break;
        h[i] = h[child]!;
        i = child;
      }
      h[i] = last;
    }
    this.clock = top.at;
    return top;
  }

  peekTime(): number | undefined {
    return this.heap[0]?.at;
  }
}

function before<T>(a: Scheduled<T>, b: Scheduled<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
