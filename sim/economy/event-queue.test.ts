import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue, EventQueueError } from './event-queue.ts';

describe('EventQueue', () => {
  it('pops by time, and same-time events in the order they were pushed', () => {
    const q = new EventQueue<string>();
    q.push(5, 'c');
    q.push(1, 'a');
    q.push(5, 'd');
    q.push(1, 'b');
    q.push(3, 'x');
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e.event);
    expect(out).toEqual(['a', 'b', 'x', 'c', 'd']);
    expect(q.now).toBe(5);
  });

  it('matches a stable sort for any interleaving of pushes and pops', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), { maxLength: 200 }), (ops) => {
        const q = new EventQueue<number>();
        const model: { at: number; id: number }[] = [];
        let id = 0;
        for (const [delta, popNow] of ops) {
          q.push(q.now + delta, id);
          model.push({ at: q.now + delta, id: id++ });
          if (popNow) {
            model.sort((a, b) => a.at - b.at || a.id - b.id);
            expect(q.pop()!.event).toBe(model.shift()!.id);
          }
        }
        model.sort((a, b) => a.at - b.at || a.id - b.id);
        for (const m of model) expect(q.pop()!.event).toBe(m.id);
        expect(q.pop()).toBeUndefined();
      }),
    );
  });

  it('refuses an event scheduled before the clock', () => {
    const q = new EventQueue<number>();
    q.push(10, 1);
    q.pop();
    expect(() => q.push(9, 2)).toThrow(EventQueueError);
    expect(() => q.push(Number.NaN, 2)).toThrow(EventQueueError);
  });
});
