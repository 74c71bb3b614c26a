import { describe, expect, it } from 'vitest';
import { shownPeers } from './shown-peers.ts';

describe('shownPeers', () => {
  it('lists counterparties first, then top givers, each once, never me, at most `limit`', () => {
    expect(shownPeers(['b', 'c', 'b'], ['s1', 'c', 'me', 's2', 's3'], 'me', 4)).toEqual(['b', 'c', 's1', 's2']);
  });

  it('shows a top giver that never dealt with me (a ring member) when there is room', () => {
    expect(shownPeers([], ['s1'], 'me', 20)).toEqual(['s1']);
    expect(shownPeers(['me'], [], 'me', 20)).toEqual([]);
  });
});
