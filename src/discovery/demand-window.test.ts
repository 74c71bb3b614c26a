import { describe, expect, it } from 'vitest';
import { DEMAND_WINDOW_MS, MAX_CLAIMED_DEMAND } from './constants.ts';
import { DemandWindow } from './demand-window.ts';

describe('demand window', () => {
  it('counts distinct downloaders seen within the window', () => {
    const d = new DemandWindow();
    d.observe('a', ['p1', 'p2'], 0);
    d.observe('a', ['p2', 'p3'], 1_000);
    expect(d.demand('a', 1_000)).toBe(3);
    expect(d.demand('b', 1_000)).toBe(0);
    // p1 was last seen at 0: gone once the window has passed it; p2 and p3 stay.
    expect(d.demand('a', DEMAND_WINDOW_MS)).toBe(2);
    expect(d.demand('a', DEMAND_WINDOW_MS + 1_000)).toBe(0);
    d.observe('a', ['p1'], 0);
    d.retain(new Set());
    expect(d.demand('a', 0)).toBe(0);
  });

  it('remembers at most as many peers as a record may claim', () => {
    const d = new DemandWindow();
    d.observe('a', Array.from({ length: MAX_CLAIMED_DEMAND + 50 }, (_, i) => `p${i}`), 0);
    expect(d.demand('a', 1)).toBe(MAX_CLAIMED_DEMAND);
  });
});
