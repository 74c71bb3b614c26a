import fc from 'fast-check';
import bencode from 'bencode';
import parseTorrent from 'parse-torrent';
import { describe, expect, it } from 'vitest';
import { mutated } from '../codec/decoder-properties.ts';
import { anonymousMagnet, magnetOfTorrentFile, TorrentFileError } from './magnet.ts';

const xt = 'xt=urn:btih:0123456789abcdef0123456789abcdef01234567';
const enc = new TextEncoder();
const torrent = (name: string) =>
  bencode.encode({
    announce: enc.encode('wss://tracker.example.org'),
    'url-list': [enc.encode('https://seed.example.org/file')],
    info: { length: 1000, name: enc.encode(name), 'piece length': 16384, pieces: new Uint8Array(20).fill(7) },
  });

describe('magnet links for anonymous downloads', () => {
  it('keep only the infohash and the name: no tracker, web seed, source or peer address', () => {
    expect(anonymousMagnet(`magnet:?tr=wss%3A%2F%2Fa&${xt}&dn=x&tr.1=udp%3A%2F%2Fc&ws=https%3A%2F%2Fw&xs=https%3A%2F%2Fs&as=https%3A%2F%2Fa&x.pe=1.2.3.4%3A5`)).toBe(`magnet:?${xt}&dn=x`);
    expect(anonymousMagnet(`magnet:?${xt}`)).toBe(`magnet:?${xt}`);
    expect(anonymousMagnet('not a magnet')).toBe('not a magnet');
  });

  it('turn a .torrent file into its infohash and name, as parse-torrent reads them', async () => {
    const bytes = torrent('holiday film.mp4');
    const parsed = await parseTorrent(bytes);
    expect(magnetOfTorrentFile(bytes)).toBe(`magnet:?xt=urn:btih:${parsed.infoHash}&dn=holiday%20film.mp4`);
  });

  it('refuse anything that is not a .torrent file with TorrentFileError, never another error', () => {
    const valid = fc.constantFrom(torrent('a'), torrent('b.bin'));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(valid)), (bytes) => {
        try {
          expect(magnetOfTorrentFile(bytes)).toMatch(/^magnet:\?xt=urn:btih:[0-9a-f]{40}/);
        } catch (err) {
          expect(err).toBeInstanceOf(TorrentFileError);
        }
      }),
      { numRuns: 500 },
    );
    expect(() => magnetOfTorrentFile(bencode.encode({ announce: enc.encode('x') }))).toThrow(TorrentFileError);
  });
});
