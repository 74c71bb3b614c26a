import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeBlock } from './block-codec.ts';
import { MAX_CRAWL_BLOCKS } from './constants.ts';
import { fitResponse, resolveCrawlRange, selectCrawlResponse } from './crawl.ts';
import { testPeer, transfer } from './test-support.ts';

describe('resolveCrawlRange', () => {
  it('counts negative numbers from the tail', () => {
    expect(resolveCrawlRange(-1, -1, 50)).toEqual({ from: 50, to: 50 });
    expect(resolveCrawlRange(-10, -1, 50)).toEqual({ from: 41, to: 50 });
    expect(resolveCrawlRange(5, -1, 50)).toEqual({ from: 5, to: 50 });
  });

  it('clamps to the chain and to the block limit', () => {
    expect(resolveCrawlRange(0, 1000, 50)).toEqual({ from: 1, to: 50 });
    expect(resolveCrawlRange(-500, -1, 50)).toEqual({ from: 1, to: 50 });
    expect(resolveCrawlRange(1, 1000, 5000, 100)).toEqual({ from: 1, to: 100 });
  });

  it('is empty when nothing applies', () => {
    expect(resolveCrawlRange(1, 10, 0)).toBeUndefined();
    expect(resolveCrawlRange(60, 70, 50)).toBeUndefined();
    expect(resolveCrawlRange(10, 5, 50)).toBeUndefined();
    expect(resolveCrawlRange(1, 5, 50, 0)).toBeUndefined();
  });
});

describe('fitResponse', () => {
  it('keeps the longest prefix within the byte budget', () => {
    expect(fitResponse([3, 3, 3, 1], (n) => n, 7)).toEqual([3, 3]);
    expect(fitResponse([8], (n) => n, 7)).toEqual([]);
  });
});

describe('resolveCrawlRange properties', () => {
  it('stays within [1, latest] and within the block limit, keeping the start', () => {
    const seq = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
    fc.assert(
      fc.property(seq, seq, fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 200 }), (start, end, latest, max) => {
        const r = resolveCrawlRange(start, end, latest, max);
        if (r === undefined) return;
        expect(r.from).toBeGreaterThanOrEqual(1);
        expect(r.to).toBeLessThanOrEqual(latest);
        expect(r.from).toBeLessThanOrEqual(r.to);
        expect(r.to - r.from + 1).toBeLessThanOrEqual(max);
        const absStart = start < 0 ? latest + 1 + start : start;
        expect(r.from).toBe(Math.max(1, absStart));
      }),
    );
  });

  it('defaults to MAX_CRAWL_BLOCKS and ignores nonsense', () => {
    expect(resolveCrawlRange(1, -1, 1000)).toEqual({ from: 1, to: MAX_CRAWL_BLOCKS });
    expect(resolveCrawlRange(Number.NaN, 5, 10)).toBeUndefined();
    expect(resolveCrawlRange(1, 5, 10, Number.NaN)).toBeUndefined();
    expect(resolveCrawlRange(-1, -1, 0)).toBeUndefined();
  });
});

describe('selectCrawlResponse', () => {
  const alice = testPeer('alice', 1);
  const bob = testPeer('bob', 2);
  for (let i = 0; i < 4; i++) transfer(alice, bob, 1n);
  const entries = alice.chain.map((block, i) => ({ block, linked: [bob.chain[i]!] }));
  const size = encodeBlock(alice.chain[0]!).length + 2;

  it('answers the owner\'s blocks in order, each followed by its linked halves', () => {
    const out = selectCrawlResponse([...entries].reverse(), { maxBlocks: 100, maxBytes: 1_000_000 });
    expect(out).toEqual([alice.chain[0], bob.chain[0], alice.chain[1], bob.chain[1], alice.chain[2], bob.chain[2], alice.chain[3], bob.chain[3]]);
  });

  it('bounds the answer by count and by bytes, as a contiguous prefix', () => {
    expect(selectCrawlResponse(entries, { maxBlocks: 3, maxBytes: 1_000_000 })).toEqual([alice.chain[0], bob.chain[0], alice.chain[1]]);
    expect(selectCrawlResponse(entries, { maxBlocks: 100, maxBytes: 4 * size + 1 })).toHaveLength(4);
    expect(selectCrawlResponse(entries, { maxBlocks: 100, maxBytes: size - 1 })).toEqual([]);
    expect(selectCrawlResponse(entries, { maxBlocks: 0, maxBytes: 1_000_000 })).toEqual([]);
    expect(selectCrawlResponse([], { maxBlocks: 10, maxBytes: 10 })).toEqual([]);
    expect(selectCrawlResponse(entries, { maxBlocks: 100, maxBytes: 5, sizeOf: () => 1 })).toHaveLength(5);
  });
});
