import { describe, expect, it } from 'vitest';
import { LinkWindow } from './link-window.ts';

describe('link flow control', () => {
  it('holds senders at the window, in order, until credit comes back', async () => {
    const w = new LinkWindow(100, 40);
    await w.reserve(60);
    const order: number[] = [];
    const second = w.reserve(50).then(() => order.push(2));
    const third = w.reserve(10).then(() => order.push(3));
    await Promise.resolve();
    expect(order).toEqual([]); // 60 + 50 > 100, and the 10 waits its turn
    w.credit(60);
    await Promise.all([second, third]);
    expect(order).toEqual([2, 3]);
    expect(w.inFlight).toBe(60);
  });

  it('lets one oversized frame through alone rather than wait forever', async () => {
    const w = new LinkWindow(100, 40);
    await w.reserve(500);
    expect(w.inFlight).toBe(500);
  });

  it('returns credit in steps, and fails waiters when the link closes', async () => {
    const w = new LinkWindow(100, 40);
    expect(w.consumed(30)).toBeUndefined();
    expect(w.consumed(30)).toBe(60);
    expect(w.consumed(10)).toBeUndefined();
    await w.reserve(100);
    const waiting = w.reserve(1);
    w.close(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    await expect(w.reserve(1)).rejects.toThrow('gone');
  });
});
