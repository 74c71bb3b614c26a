import { describe, expect, it } from 'vitest';
import { fitResponse, resolveCrawlRange } from './crawl.ts';

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
