/**
 * Long-running work split into tasks of bounded length, so input and
 * rendering get their turn in between: a task over 50 ms is a "long task"
 * that makes a page stutter. Clock and yield are injected (pure in tests).
 */
export class TaskSlicer {
  private sliceStart: number;

  constructor(
    private readonly budgetMs: number,
    private readonly now: () => number,
    private readonly yieldNow: () => Promise<void>,
  ) {
    this.sliceStart = now();
  }

  /** Yields to the event loop once this slice has used its budget; otherwise carries on at once. */
  async maybeYield(): Promise<void> {
    if (this.now() - this.sliceStart < this.budgetMs) return;
    await this.yieldNow();
    this.sliceStart = this.now();
  }
}

/**
 * Gives the browser a turn: scheduler.yield() where there is one (it keeps our place in line),
 * else a macrotask posted through a MessageChannel. Not setTimeout: browsers clamp nested timers
 * to 4 ms and a background tab's to a second (Firefox ESR 140 has no scheduler).
 */
export function yieldToMain(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield !== undefined) return scheduler.yield();
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    turns ??= openTurns();
    turns.waiting.push(resolve);
    turns.channel.port2.postMessage(null);
  });
}

interface Turns {
  channel: MessageChannel;
  waiting: (() => void)[];
}

/** One channel for every caller: each message posted is one waiter's turn, in order. */
let turns: Turns | undefined;

function openTurns(): Turns {
  const t: Turns = { channel: new MessageChannel(), waiting: [] };
  t.channel.port1.onmessage = () => t.waiting.shift()?.();
  // In Node, an open port would keep the process alive.
  (t.channel.port1 as { unref?: () => void }).unref?.();
  (t.channel.port2 as { unref?: () => void }).unref?.();
  return t;
}
