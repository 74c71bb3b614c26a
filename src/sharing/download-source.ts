/**
 * What WebTorrent is given for a kept download: a hidden one (resumed after a
 * reload, contacting no one outside the circuits) or one switched from hidden
 * to direct ("Download directly", which keeps the stored pieces). Pure.
 */
import bencode from 'bencode';
import { anonymousMagnet, magnetOfTorrentFile, TorrentFileError } from './magnet.ts';

/** A torrent id for `client.add` and the trackers to announce it to. */
export interface DownloadSource {
  torrentId: string | Uint8Array;
  announce: string[];
}

/** What a kept download knows about itself. */
export interface KeptDownload {
  infoHash: string;
  name: string;
  /** The metadata, once a seeder sent it. */
  torrentFile?: Uint8Array | undefined;
  /** The magnet link or .torrent file as the user gave it. */
  original?: string | Uint8Array | undefined;
}

/** The trackers (`tr`) a magnet link names, decoded, in order, without repeats (as parse-torrent reads them). */
export function magnetTrackers(magnet: string): string[] {
  const q = magnet.indexOf('?');
  if (q < 0) return [];
  const out: string[] = [];
  for (const part of magnet.slice(q + 1).split('&')) {
    const m = /^tr=(.*)$/.exec(part);
    if (m === null) continue;
    let url: string;
    try {
      url = decodeURIComponent(m[1]!);
    } catch {
      continue; // a malformed escape: not a tracker we could use anyway
    }
    if (url !== '' && !out.includes(url)) out.push(url);
  }
  return out;
}

/**
 * A hidden download after a reload: its metadata if known, else an anonymous
 * magnet (infohash and name only). Contacts no one outside the circuits: the
 * .torrent is cut down to its info dictionary, since WebTorrent would announce
 * to the trackers and fetch from the web seeds a .torrent names.
 */
export function hiddenSource(d: KeptDownload): DownloadSource {
  if (d.torrentFile !== undefined && d.torrentFile.length > 0) return { torrentId: infoOnly(d.torrentFile), announce: [] };
  if (typeof d.original === 'string') return { torrentId: anonymousMagnet(d.original), announce: [] };
  if (d.original !== undefined) return { torrentId: magnetOfTorrentFile(d.original), announce: [] };
  return { torrentId: bareMagnet(d), announce: [] };
}

/**
 * A hidden download turned ordinary: the metadata if known (WebTorrent then
 * verifies the pieces already stored under the infohash and fetches only the
 * rest), else what the user gave; announced to the trackers of the user's
 * magnet link and to the app's (a browser reaches only WebSocket trackers, so
 * a magnet's own may all be unusable here).
 */
export function directSource(d: KeptDownload, appTrackers: readonly string[]): DownloadSource {
  const fromUser = typeof d.original === 'string' ? magnetTrackers(d.original) : [];
  const announce = [...new Set([...fromUser, ...appTrackers])];
  if (d.torrentFile !== undefined && d.torrentFile.length > 0) return { torrentId: d.torrentFile, announce };
  return { torrentId: d.original ?? bareMagnet(d), announce };
}

function bareMagnet(d: KeptDownload): string {
  return `magnet:?xt=urn:btih:${d.infoHash}${d.name === '' ? '' : `&dn=${encodeURIComponent(d.name)}`}`;
}

/** A .torrent file with its info dictionary alone (same infohash): no announce, announce-list, url-list or sources. */
export function infoOnly(torrentFile: Uint8Array): Uint8Array {
  const decoded = bencode.decode(torrentFile) as { info?: unknown };
  if (decoded.info === undefined) throw new TorrentFileError('This .torrent file has no info dictionary.');
  return bencode.encode({ info: decoded.info }) as Uint8Array;
}
