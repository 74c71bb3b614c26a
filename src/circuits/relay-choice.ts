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
 * time; at most `max`, the one judged first dropped first. `save` is told the
 * whole state (toJSON's string) after each judgement, so it outlives a reload.
 */
export class TimedJudgements {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly max: number,
    private readonly save: (state: string) => void = () => undefined,
  ) {}

  /**
   * The judgements in `state` (toJSON's string, from storage: not trusted) still in force;
   * anything malformed is left out, and at most `max` are kept.
   */
  restore(state: string | null): this {
    let entries: unknown;
    try {
      entries = state === null ? [] : JSON.parse(state);
    } catch {
      return this;
    }
    if (!Array.isArray(entries)) return this;
    const t = this.now();
    for (const e of entries.slice(-this.max)) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !/^[0-9a-f]{64}$/.test(e[0]) || typeof e[1] !== 'number' || !(e[1] > t)) continue;
      this.until.set(e[0], e[1]);
    }
    return this;
  }

  add(keyHex: string, forMs: number): void {
    this.until.delete(keyHex);
    if (this.until.size >= this.max) this.until.delete(this.until.keys().next().value!);
    this.until.set(keyHex, this.now() + forMs);
    this.save(this.toJSON());
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

  /** The judgements in force, oldest first, as [key hex, until] pairs. */
  toJSON(): string {
    return JSON.stringify(this.keys().map((k) => [k, this.until.get(k)!]));
  }
}
