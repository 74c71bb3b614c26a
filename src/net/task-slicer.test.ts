import { describe, expect, it, vi } from 'vitest';
import { TaskSlicer, yieldToMain } from './task-slicer.ts';

describe('task slicer', () => {
  it('carries on within its budget and yields once past it, then starts a new slice', async () => {
    let t = 0;
    let yields = 0;
    const slicer = new TaskSlicer(10, () => t, async () => void yields++);
    for (let i = 0; i < 5; i++) {
      t += 2;
      await slicer.maybeYield();
    }
    expect(yields).toBe(1); // at 10 ms
    t += 3;
    await slicer.maybeYield();
    expect(yields).toBe(1);
    t += 20;
    await slicer.maybeYield();
    expect(yields).toBe(2);
  });
});

describe('yieldToMain without a scheduler (Firefox ESR, Node)', () => {
  it('gives every caller its turn, in the order they asked', async () => {
    const order: number[] = [];
    await Promise.all(Array.from({ length: 100 }, (_, i) => yieldToMain().then(() => order.push(i))));
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('lets queued microtasks run first: it is a macrotask', async () => {
    let microtaskRan = false;
    const turn = yieldToMain().then(() => microtaskRan);
    queueMicrotask(() => void (microtaskRan = true));
    expect(await turn).toBe(true);
  });
});

describe('yieldToMain is not a timer', () => {
  it('resolves while timers are frozen (a background tab throttles them to one a second)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      await yieldToMain();
    } finally {
      vi.useRealTimers();
    }
  });
});
