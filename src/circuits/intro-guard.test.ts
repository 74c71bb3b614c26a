import { describe, expect, it } from 'vitest';
import { INTRODUCTION_BURST, INTRODUCTIONS_PER_MINUTE, IntroGuard, REPLAY_WINDOW_MS } from './intro-guard.ts';
import { rng } from './test-support.ts';

describe('IntroGuard', () => {
  it('refuses a replayed introduction for the replay window, whichever introduction point it comes through', () => {
    let now = 0;
    const guard = new IntroGuard(() => now);
    const X = rng(1)(32);
    expect(guard.admit(X)).toBe('answer');
    expect(guard.admit(X.slice())).toBe('replay');
    now += REPLAY_WINDOW_MS - 1;
    expect(guard.admit(X)).toBe('replay');
  });

  it('answers a burst, then at most its rate: an attacker cannot sample the first hops faster', () => {
    let now = 0;
    const guard = new IntroGuard(() => now);
    const fresh = rng(2);
    for (let i = 0; i < INTRODUCTION_BURST; i++) expect(guard.admit(fresh(32))).toBe('answer');
    expect(guard.admit(fresh(32))).toBe('rate');
    now += 60_000;
    let answered = 0;
    for (let i = 0; i < 100; i++) if (guard.admit(fresh(32)) === 'answer') answered++;
    expect(answered).toBe(Math.min(INTRODUCTION_BURST, INTRODUCTIONS_PER_MINUTE));
  });
});
