/**
 * Pure: the random draws of the economy model (capacities, sizes, popularity, times), each from
 * the one seeded stream it is given, so a run replays from its seed.
 */
import {
  DOWNLOAD_SIGMA,
  DOWNLOAD_TO_UPLOAD,
  MIN_CAPACITY_BYTES_PER_SEC,
  UPLOAD_MEDIAN_BYTES_PER_SEC,
  UPLOAD_SIGMA,
} from './constants.ts';

export type Random = () => number;

/** A standard normal draw (Box–Muller; one of the pair is dropped, which keeps the stream simple). */
export function normal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) would be −∞
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Log-normal with the given median and σ of its log. */
export function logNormal(random: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(random));
}

/** Exponential with the given mean (a Poisson process's gaps). */
export function exponential(random: Random, mean: number): number {
  return -mean * Math.log(1 - random());
}

export interface Capacity {
  /** Bytes per second. */
  readonly up: number;
  readonly down: number;
}

/** A peer's link: upload log-normal, download a few times that with its own spread, never below the floor. */
export function drawCapacity(random: Random): Capacity {
  const up = Math.max(MIN_CAPACITY_BYTES_PER_SEC, logNormal(random, UPLOAD_MEDIAN_BYTES_PER_SEC, UPLOAD_SIGMA));
  const down = Math.max(up, logNormal(random, up * DOWNLOAD_TO_UPLOAD, DOWNLOAD_SIGMA));
  return { up, down };
}

/** Zipf sampler over ranks 0..n−1 (rank r has weight 1/(r+1)^s): a cumulative table and binary search. */
export class Zipf {
  private readonly cumulative: Float64Array;

  constructor(n: number, exponent: number) {
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let r = 0; r < n; r++) this.cumulative[r] = total += 1 / (r + 1) ** exponent;
    for (let r = 0; r < n; r++) this.cumulative[r]! /= total;
  }

  /** Probability of rank r. */
  weight(r: number): number {
    return this.cumulative[r]! - (r === 0 ? 0 : this.cumulative[r - 1]!);
  }

  draw(random: Random): number {
    const x = random();
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
