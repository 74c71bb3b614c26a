/** Up to `count` of `items` in random order, each at most once, with the injected randomness in [0, 1). */
export function randomSample<T>(items: Iterable<T>, count: number, random: () => number): T[] {
  const pool = [...items];
  const n = Math.min(Math.max(0, count), pool.length);
  // A partial Fisher-Yates shuffle: the first n places are a uniform sample without repeats.
  for (let i = 0; i < n; i++) {
    const j = i + Math.min(pool.length - 1 - i, Math.floor(random() * (pool.length - i)));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}
