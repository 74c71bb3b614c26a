import { describe, expect, it } from 'vitest';
import { glareKeeps } from './glare.ts';

describe('glare between two WebTorrent clients', () => {
  it('keeps the same connection on both ends, whichever order each registered them in', () => {
    const [s, l] = ['aa', 'bb'];
    for (const sFirstIsOwn of [true, false]) {
      for (const lFirstIsOwn of [true, false]) {
        // Each side's view: the connection it registered first, then the duplicate.
        const kept = (me: string, other: string, firstIsOwn: boolean): 'mine' | 'theirs' => {
          const keep = glareKeeps(me, other, firstIsOwn, !firstIsOwn);
          const keptIsOwn = keep === 'existing' ? firstIsOwn : !firstIsOwn;
          return keptIsOwn ? 'mine' : 'theirs';
        };
        // Both keep the connection s (the smaller id) initiated: s's own, l's the other's.
        expect(kept(s, l, sFirstIsOwn)).toBe('mine');
        expect(kept(l, s, lFirstIsOwn)).toBe('theirs');
      }
    }
  });

  it('keeps the first of two connections the same side initiated (not glare)', () => {
    expect(glareKeeps('aa', 'bb', true, true)).toBe('existing');
    expect(glareKeeps('aa', 'bb', false, false)).toBe('existing');
  });
});
