import { afterEach, describe, expect, it, vi } from 'vitest';
import { coalesced } from './coalesce.ts';

afterEach(() => void vi.useRealTimers());

describe('coalesced', () => {
  it('runs once for a burst of requests, again for a later one, and never after stop', () => {
    vi.useFakeTimers();
    const run = vi.fn();
    const c = coalesced(run, 250);
    for (let i = 0; i < 50; i++) c.request();
    vi.advanceTimersByTime(250);
    expect(run).toHaveBeenCalledTimes(1);
    c.request();
    vi.advanceTimersByTime(250);
    expect(run).toHaveBeenCalledTimes(2);
    c.request();
    c.stop();
    vi.advanceTimersByTime(1000);
    expect(run).toHaveBeenCalledTimes(2);
  });
});
