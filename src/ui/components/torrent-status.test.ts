import { describe, expect, it } from 'vitest';
import { torrentStatus } from './torrent-status.ts';

const hiddenDownload = { state: 'loading', hidden: true, peers: 0 } as const;

describe('the state a torrent row shows', () => {
  it('a hidden download no seeder answered stays a download, says so and what to do, and offers "Download directly"', () => {
    const s = torrentStatus(hiddenDownload, { state: 'waiting', failures: 1, lastError: 'no peer knows an introduction point', nextTryAt: 11_500 }, 10_000);
    expect(s.offerDirect).toBe(true);
    expect(s.tone).toBe('warn');
    expect(s.detail).toContain('no hidden seeder or exit answered yet (next try in 2 s); still trying');
    expect(s.detail).toContain('Download directly');
  });

  it('before the first try fails it says it is looking; once a seeder is connected, that it downloads anonymously', () => {
    expect(torrentStatus(hiddenDownload, undefined, 0).detail).toMatch(/^Looking for an anonymous seeder/);
    expect(torrentStatus(hiddenDownload, { state: 'looking', failures: 0 }, 0).badge).toBe('looking for an anonymous seeder');
    const connected = torrentStatus({ ...hiddenDownload, state: 'downloading', peers: 1 }, { state: 'connected', failures: 2 }, 0);
    expect(connected).toEqual({ badge: 'downloading anonymously', tone: 'warn', offerDirect: true });
  });

  it('counts a download carried by an exit as under way, and says when no exit is known', () => {
    expect(torrentStatus(hiddenDownload, { state: 'waiting', failures: 1 }, 0, { state: 'connected' }).badge).toBe('downloading anonymously');
    const none = torrentStatus(hiddenDownload, { state: 'waiting', failures: 2, nextTryAt: 4_000 }, 0, { state: 'no-exit' });
    expect(none.detail).toContain('no hidden seeder or exit answered yet (next try in 4 s); still trying. No exit relay is known');
    expect(none.offerDirect).toBe(true);
    expect(torrentStatus(hiddenDownload, { state: 'waiting', failures: 2 }, 0, { state: 'waiting' }).detail).not.toContain('No exit relay');
  });

  it('offers "Download directly" only for hidden downloads that are not complete and not stopped by an error', () => {
    expect(torrentStatus({ ...hiddenDownload, state: 'seeding' }, undefined, 0).offerDirect).toBe(false);
    expect(torrentStatus({ ...hiddenDownload, state: 'error' }, { state: 'waiting', failures: 3 }, 0)).toEqual({ badge: 'stopped', tone: 'bad', offerDirect: false });
    expect(torrentStatus({ state: 'loading', hidden: false, peers: 0 }, undefined, 0)).toEqual({ badge: 'finding peers', tone: 'warn', offerDirect: false });
    expect(torrentStatus({ state: 'downloading', hidden: false, peers: 3 }, undefined, 0).badge).toBe('downloading');
  });
});
