import { describe, expect, it } from 'vitest';
import { withoutTrackers } from './magnet.ts';

describe('magnet links for hidden downloads', () => {
  it('lose every tracker, wherever it stands, and keep the rest', () => {
    const xt = 'xt=urn:btih:0123456789abcdef0123456789abcdef01234567';
    expect(withoutTrackers(`magnet:?tr=wss%3A%2F%2Fa&${xt}&dn=x&tr=wss%3A%2F%2Fb&tr.1=udp%3A%2F%2Fc`)).toBe(`magnet:?${xt}&dn=x`);
    expect(withoutTrackers(`magnet:?${xt}`)).toBe(`magnet:?${xt}`);
    expect(withoutTrackers('not a magnet')).toBe('not a magnet');
  });
});
