import { describe, expect, it } from 'vitest';
import { TaskSlicer } from './task-slicer.ts';

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
