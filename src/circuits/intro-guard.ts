/**
 * The seeder's guard on introductions (pure, clock injected). Each
 * introduction makes a hidden seeder build a circuit to a rendezvous point
 * the requester names: an attacker who replays introductions, or sends many,
 * samples the seeder's first hops until one is its own relay, and so locates
 * the seeder (Øverlier and Syverson). A replayed introduction (a known X) is
 * refused, and introductions to one service are rate-limited.
 */
import { toHex } from '../codec/bytes.ts';

/** X values remembered: one per introduction answered within REPLAY_WINDOW_MS, far more than the rate allows. */
export const MAX_REMEMBERED_INTRODUCTIONS = 4_096;
/** A replay is refused for this long: longer than any rendezvous waits (a downloader's offer is useless after). */
export const REPLAY_WINDOW_MS = 10 * 60_000;
/** Introductions one service answers in a burst: a few downloaders arriving at once. */
export const INTRODUCTION_BURST = 10;
/** ...and per minute after that: each costs a circuit, and each is one more sample of our first hops. */
export const INTRODUCTIONS_PER_MINUTE = 20;

export type IntroVerdict = 'answer' | 'replay' | 'rate';

export class IntroGuard {
  /** X (hex) → when it was seen; oldest first. */
  private readonly seen = new Map<string, number>();
  private tokens = INTRODUCTION_BURST;
  private refilledAt: number;

  constructor(private readonly now: () => number) {
    this.refilledAt = now();
  }

  /** Whether to answer an introduction with this ephemeral key. */
  admit(X: Uint8Array): IntroVerdict {
    const now = this.now();
    this.forget(now);
    const key = toHex(X);
    if (this.seen.has(key)) return 'replay';
    this.tokens = Math.min(INTRODUCTION_BURST, this.tokens + ((now - this.refilledAt) * INTRODUCTIONS_PER_MINUTE) / 60_000);
    this.refilledAt = now;
    if (this.tokens < 1) return 'rate';
    this.tokens -= 1;
    this.seen.set(key, now);
    if (this.seen.size > MAX_REMEMBERED_INTRODUCTIONS) this.seen.delete(this.seen.keys().next().value!);
    return 'answer';
  }

  private forget(now: number): void {
    for (const [key, at] of this.seen) {
      if (now - at < REPLAY_WINDOW_MS) break;
      this.seen.delete(key);
    }
  }
}
