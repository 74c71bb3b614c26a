import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/reputation/prng.ts';
import { classCounts } from './classes.ts';
import { DOWNLOAD_TO_UPLOAD, MIN_CAPACITY_BYTES_PER_SEC, UPLOAD_MEDIAN_BYTES_PER_SEC } from './constants.ts';
import { drawCapacity, exponential, Zipf } from './distributions.ts';
import { SimLedger, LedgerError } from './ledger.ts';
import { STOCK_UPLOAD_SLOTS, stockChoke, type Optimistic } from './stock-choke.ts';

const DRAWS = 20_000;

describe('capacity model', () => {
  const random = seededRandom(42);
  const caps = Array.from({ length: DRAWS }, () => drawCapacity(random));
  const ups = caps.map((c) => c.up).sort((a, b) => a - b);

  it('draws log-normal uploads around the stated median, right-skewed, never below the floor', () => {
    const median = ups[DRAWS / 2]!;
    expect(median / UPLOAD_MEDIAN_BYTES_PER_SEC).toBeGreaterThan(0.95);
    expect(median / UPLOAD_MEDIAN_BYTES_PER_SEC).toBeLessThan(1.05);
    const mean = ups.reduce((a, x) => a + x, 0) / DRAWS;
    // Log-normal with σ = 1: mean = median · e^{1/2} ≈ 1.65 × median.
    expect(mean / median).toBeGreaterThan(1.5);
    expect(ups[0]!).toBeGreaterThanOrEqual(MIN_CAPACITY_BYTES_PER_SEC);
    // Two orders of magnitude between the 1st and 99th percentile: a few big uploaders, many small.
    expect(ups[Math.floor(DRAWS * 0.99)]! / ups[Math.floor(DRAWS * 0.01)]!).toBeGreaterThan(50);
  });

  it('gives every peer a downlink at least its uplink, a few times larger at the median', () => {
    for (const c of caps) expect(c.down).toBeGreaterThanOrEqual(c.up);
    const ratios = caps.map((c) => c.down / c.up).sort((a, b) => a - b);
    expect(ratios[DRAWS / 2]!).toBeCloseTo(DOWNLOAD_TO_UPLOAD, 0);
  });

  it('draws Zipf ranks with frequencies proportional to 1/rank', () => {
    const zipf = new Zipf(50, 1);
    expect(zipf.weight(0) / zipf.weight(1)).toBeCloseTo(2, 10);
    const counts = new Array<number>(50).fill(0);
    const r = seededRandom(7);
    for (let i = 0; i < DRAWS; i++) counts[zipf.draw(r)]!++;
    for (const rank of [0, 1, 4, 49]) expect(counts[rank]! / DRAWS).toBeCloseTo(zipf.weight(rank), 2);
  });

  it('draws exponential gaps with the given mean', () => {
    const r = seededRandom(3);
    const mean = Array.from({ length: DRAWS }, () => exponential(r, 10)).reduce((a, x) => a + x, 0) / DRAWS;
    expect(mean).toBeGreaterThan(9.5);
    expect(mean).toBeLessThan(10.5);
  });
});

describe('classCounts', () => {
  it('splits any population exactly, in proportion to the mix', () => {
    for (const peers of [7, 100, 1000, 1003]) {
      const counts = classCounts({ cooperator: 55, 'free-rider': 15, stock: 10, sybil: 5, exit: 3 }, peers);
      expect([...counts.values()].reduce((a, n) => a + n, 0)).toBe(peers);
      expect(Math.abs(counts.get('cooperator')! - (peers * 55) / 88)).toBeLessThan(1);
    }
  });
});

describe('stockChoke (WebTorrent _rechoke restated)', () => {
  const candidates = Array.from({ length: 15 }, (_, id) => ({ id, downspeed: id < 12 ? 100 * id : 0, upspeed: 0, unchoked: false }));

  it('unchokes the peers that sent us most, plus one optimistic slot, within the slots', () => {
    const optimistic: Optimistic = { id: undefined, rounds: 0 };
    const chosen = stockChoke(candidates, optimistic, seededRandom(1));
    expect(chosen).toHaveLength(STOCK_UPLOAD_SLOTS);
    expect(chosen.slice(0, STOCK_UPLOAD_SLOTS - 1)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3]);
    expect(chosen.at(-1)).toBe(optimistic.id);
    expect([0, 1, 2, 12, 13, 14]).toContain(optimistic.id);
  });

  it('keeps the optimistic peer for its rounds, then draws again', () => {
    const optimistic: Optimistic = { id: undefined, rounds: 0 };
    const random = seededRandom(5);
    stockChoke(candidates, optimistic, random);
    const first = optimistic.id;
    stockChoke(candidates, optimistic, random);
    stockChoke(candidates, optimistic, random);
    expect(optimistic.id).toBe(first);
    expect(optimistic.rounds).toBe(0);
    const seen = new Set<number | undefined>();
    for (let i = 0; i < 30; i++) {
      stockChoke(candidates, optimistic, random);
      seen.add(optimistic.id);
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe('SimLedger', () => {
  it('moves every credit with a debit, keeps minted claims apart, and refuses malformed pairs', () => {
    const l = new SimLedger();
    l.pay('a', 'b', 10 * 1024 * 1024, 'bandwidth');
    l.pay('sink', 'a', 1000, 'mint');
    expect(l.rawSum()).toBe(0);
    expect(l.raw('a')).toBe(-10 * 1024 * 1024 + 1000);
    expect(l.real('a')).toBe(-10 * 1024 * 1024);
    expect(l.real('sink')).toBe(0);
    expect(l.of('a').chain).toBe(2 + 1);
    expect(() => l.pay('a', 'a', 1, 'bandwidth')).toThrow(LedgerError);
    expect(() => l.pay('a', 'b', 0.5, 'bandwidth')).toThrow(LedgerError);
    l.flush(1);
    expect(l.graph.given('b').get('a')).toBe(10n * 1024n * 1024n);
  });
});
