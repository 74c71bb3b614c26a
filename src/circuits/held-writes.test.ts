import { describe, expect, it } from 'vitest';
import type { Defer } from '../workers/clock-client.ts';
import { visibilityTimers } from './held-writes.ts';

describe('held writes keep time in a hidden page', () => {
  it('waits on the page clock while the page shows and on the background clock while it is hidden', () => {
    const used: string[] = [];
    const clock = (name: string): Defer => (_fn, ms) => {
      used.push(`${name} ${ms}`);
      return () => undefined;
    };
    let hidden = false;
    let started = 0;
    const timers = visibilityTimers(() => hidden, clock('page'), () => (started++, clock('worker')));
    timers.defer(() => undefined, 10);
    hidden = true;
    timers.defer(() => undefined, 50);
    hidden = false;
    timers.defer(() => undefined, 3);
    expect(used).toEqual(['page 10', 'worker 50', 'page 3']);
    expect(started).toBe(1); // a visible page never asks for the background clock
  });
});
