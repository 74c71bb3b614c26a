import { describe, expect, it } from 'vitest';
import { duplicateLinks } from './duplicate-links.ts';

const link = (direction: 'inbound' | 'outbound', status: 'open' | 'closing' | 'closed' = 'open') => ({ direction, status });

describe('duplicateLinks', () => {
  it('closes the link the larger id dialled, as both ends see it, once the smaller id\'s is open', () => {
    const ours = link('outbound');
    const theirs = link('inbound');
    // We are the smaller id: our dial stays, theirs goes.
    expect(duplicateLinks('a', 'b', [ours, theirs])).toEqual([theirs]);
    // The other end sees the same two links the other way round, and closes the same one (its own dial).
    const atB = { fromA: link('inbound'), fromB: link('outbound') };
    expect(duplicateLinks('b', 'a', [atB.fromA, atB.fromB])).toEqual([atB.fromB]);
  });

  it('never closes the only link, nor links dialled the same way, nor while the link to keep is not open', () => {
    expect(duplicateLinks('a', 'b', [link('inbound')])).toEqual([]);
    expect(duplicateLinks('a', 'b', [link('outbound'), link('outbound')])).toEqual([]);
    expect(duplicateLinks('a', 'b', [link('outbound', 'closing'), link('inbound')])).toEqual([]);
    expect(duplicateLinks('b', 'a', [link('inbound', 'closed'), link('outbound')])).toEqual([]);
  });
});
