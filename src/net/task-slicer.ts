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

/** Gives the browser a turn: scheduler.yield() where there is one (it keeps our place in line), else a macrotask. */
export function yieldToMain(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  return scheduler?.yield !== undefined ? scheduler.yield() : new Promise((resolve) => setTimeout(resolve, 0));
}
