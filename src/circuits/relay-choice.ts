/** Choosing relays for a circuit (pure; randomness injected). */

/**
 * `count` of `candidates` at random, taking those `avoid` marks only when
 * there are not enough others. Callers check there are at least `count`.
 */
export function pickAvoiding<T>(candidates: readonly T[], count: number, avoid: (c: T) => boolean, random: () => number): T[] {
  const shuffled = [...candidates];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return [...shuffled.filter((c) => !avoid(c)), ...shuffled.filter(avoid)].slice(0, count);
}

/**
 * Relays judged for a while (pure; clock injected): keys (hex), each until a
 * time; at most `max`, the one judged first dropped first.
 */
export class TimedJudgements {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly max: number,
  ) {}

  add(keyHex: string, forMs: number): void {
    this.until.delete(keyHex);
    if (this.until.size >= this.max) this.until.delete(this.until.keys().next().value!);
    this.until.set(keyHex, this.now() + forMs);
  }

  has(keyHex: string): boolean {
    const until = this.until.get(keyHex);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(keyHex);
    return false;
  }

  keys(): string[] {
    return [...this.until.keys()].filter((k) => this.has(k));
  }
}
