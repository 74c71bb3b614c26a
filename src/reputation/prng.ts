/**
 * Pure: a small seeded PRNG (mulberry32, Tommy Ettinger's 32-bit generator), so
 * reputation walks and simulations are reproducible from one number. Not for
 * anything secret: its state is 32 bits.
 */

/** Uniform floats in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
