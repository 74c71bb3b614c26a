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
