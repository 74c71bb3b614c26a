import { describe, expect, it } from 'vitest';
import type { Defer } from './clock-client.ts';
import { visibilityDefer } from './page-clock.ts';

describe('page clock', () => {
  it('waits on the page timers while the page shows and on the background clock while it is hidden', () => {
    const used: string[] = [];
    const clock = (name: string): Defer => (_fn, ms) => {
      used.push(`${name} ${ms}`);
      return () => undefined;
    };
    let hidden = false;
    let asked = 0;
    const defer = visibilityDefer(() => hidden, clock('page'), () => (asked++, clock('worker')));
    defer(() => undefined, 10);
    hidden = true;
    defer(() => undefined, 50);
    hidden = false;
    defer(() => undefined, 3);
    expect(used).toEqual(['page 10', 'worker 50', 'page 3']);
    expect(asked).toBe(1); // a page that shows never starts the worker
  });
});
