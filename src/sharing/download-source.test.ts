import fc from 'fast-check';
import bencode from 'bencode';
import parseTorrent from 'parse-torrent';
import { describe, expect, it } from 'vitest';
import { directSource, hiddenSource, magnetTrackers } from './download-source.ts';

const infoHash = '0123456789abcdef0123456789abcdef01234567';
const userMagnet = `magnet:?xt=urn:btih:${infoHash}&dn=film.mp4&tr=wss%3A%2F%2Fuser.example%2Fannounce&tr=udp%3A%2F%2Fold.example%3A80&ws=https%3A%2F%2Fwebseed.example%2Ff`;
const app = ['wss://app.example/announce'];
const metadata = new Uint8Array([1, 2, 3]);
const enc = new TextEncoder();
const torrentFile = bencode.encode({ announce: enc.encode('wss://t.example'), 'url-list': [enc.encode('https://seed.example/f')], info: { length: 1000, name: enc.encode('f.bin'), 'piece length': 16384, pieces: new Uint8Array(20).fill(7) } }) as Uint8Array;

describe('the trackers of a magnet link', () => {
  it('are read as parse-torrent reads them, for any tracker URLs', async () => {
    const url = fc.webUrl().map((u) => u.replace(/^https?/, 'wss'));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(url, { maxLength: 5, selector: (u) => u.replace(/\/$/, '') }) /* parse-torrent folds a trailing slash */, async (trackers) => {
        const magnet = `magnet:?xt=urn:btih:${infoHash}&dn=x${trackers.map((t) => `&tr=${encodeURIComponent(t)}`).join('')}`;
        const parsed = (await parseTorrent(magnet)) as unknown as { announce: string[] };
        expect(magnetTrackers(magnet)).toEqual(parsed.announce);
      }),
    );
  });

  it('skip what is not a tracker (numbered tr.N, which WebTorrent ignores too) and malformed escapes, without throwing', () => {
    expect(magnetTrackers(userMagnet)).toEqual(['wss://user.example/announce', 'udp://old.example:80']);
    expect(magnetTrackers(`magnet:?xt=urn:btih:${infoHash}&tr=%E0%A4%A&tr.1=wss%3A%2F%2Fignored&tr=wss%3A%2F%2Fa`)).toEqual(['wss://a']);
    expect(magnetTrackers('not a magnet')).toEqual([]);
  });
});

describe('a hidden download resumed after a reload', () => {
  it('contacts no one outside the circuits: no trackers, web seeds or sources from what the user gave', () => {
    const fromMagnet = hiddenSource({ infoHash, name: 'film.mp4', original: userMagnet });
    expect(fromMagnet).toEqual({ torrentId: `magnet:?xt=urn:btih:${infoHash}&dn=film.mp4`, announce: [] });
    const fromFile = hiddenSource({ infoHash, name: 'f.bin', original: torrentFile });
    expect(fromFile.announce).toEqual([]);
    expect(fromFile.torrentId).toMatch(/^magnet:\?xt=urn:btih:[0-9a-f]{40}&dn=f\.bin$/);
  });

  it('uses its metadata once a seeder sent it, cut to the info dictionary (same infohash, no tracker or web seed), else a bare magnet', async () => {
    const resumed = hiddenSource({ infoHash, name: 'f', original: userMagnet, torrentFile });
    expect(resumed.announce).toEqual([]);
    const parsed = (await parseTorrent(resumed.torrentId as Uint8Array)) as unknown as { infoHash: string; announce: string[]; urlList: string[] };
    expect(parsed.infoHash).toBe(((await parseTorrent(torrentFile)) as { infoHash: string }).infoHash);
    expect([parsed.announce, parsed.urlList]).toEqual([[], []]);
    expect(hiddenSource({ infoHash, name: 'a b', original: undefined })).toEqual({ torrentId: `magnet:?xt=urn:btih:${infoHash}&dn=a%20b`, announce: [] });
  });
});

describe('"Download directly"', () => {
  it('re-adds the metadata when known, so the stored pieces are verified and kept, announced to the user\'s trackers and the app\'s', () => {
    expect(directSource({ infoHash, name: 'film.mp4', original: userMagnet, torrentFile: metadata }, app)).toEqual({
      torrentId: metadata,
      announce: ['wss://user.example/announce', 'udp://old.example:80', ...app],
    });
  });

  it('falls back to what the user gave (its own trackers included), then to the infohash, with the app\'s trackers', () => {
    expect(directSource({ infoHash, name: 'film.mp4', original: userMagnet }, app).torrentId).toBe(userMagnet);
    expect(directSource({ infoHash, name: 'f.bin', original: torrentFile }, app)).toEqual({ torrentId: torrentFile, announce: app });
    expect(directSource({ infoHash, name: '' }, app)).toEqual({ torrentId: `magnet:?xt=urn:btih:${infoHash}`, announce: app });
  });

  it('names each tracker once', () => {
    const both = `magnet:?xt=urn:btih:${infoHash}&tr=${encodeURIComponent(app[0]!)}`;
    expect(directSource({ infoHash, name: '', original: both, torrentFile: metadata }, app).announce).toEqual(app);
  });
});
