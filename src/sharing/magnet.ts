/** Magnet link handling. Pure. */
import bencode from 'bencode';
import { sha1 } from '@noble/hashes/legacy.js';
import { toHex, utf8 } from '../codec/bytes.ts';

/** A .torrent file that is not one: says what is wrong, for the user. */
export class TorrentFileError extends Error {
  override name = 'TorrentFileError';
}

/** Bigger than any real .torrent's metadata (piece hashes of a ~1 TB torrent with 1 MiB pieces are 20 MB). */
const MAX_TORRENT_FILE_BYTES = 32 * 1024 * 1024;

/**
 * The magnet link for an anonymous download: the infohash and the name only.
 * Trackers, web seeds (`ws`), sources (`xs`, `as`), peer addresses (`x.pe`)
 * and the rest would all make the browser contact someone directly, outside
 * the circuits.
 */
export function anonymousMagnet(magnet: string): string {
  const q = magnet.indexOf('?');
  if (q < 0) return magnet;
  const kept = magnet
    .slice(q + 1)
    .split('&')
    .filter((p) => /^(xt|dn)=/i.test(p));
  return `${magnet.slice(0, q)}?${kept.join('&')}`;
}

/** The anonymous magnet link of a .torrent file: its infohash (SHA-1 of the info dictionary) and name. */
export function magnetOfTorrentFile(bytes: Uint8Array): string {
  if (bytes.length > MAX_TORRENT_FILE_BYTES) throw new TorrentFileError('This .torrent file is too large to be real.');
  let info: Record<string, unknown>;
  try {
    const decoded = bencode.decode(bytes) as Record<string, unknown>;
    info = decoded.info as Record<string, unknown>;
    if (typeof info !== 'object' || info === null || Array.isArray(info) || info instanceof Uint8Array) throw new Error('no info dictionary');
  } catch (err) {
    throw new TorrentFileError(`This is not a .torrent file: ${(err as Error).message}.`);
  }
  const infoHash = toHex(sha1(bencode.encode(info) as Uint8Array));
  const rawName = info['name.utf-8'] ?? info.name;
  let name: string | undefined;
  try {
    name = rawName instanceof Uint8Array ? utf8.decode(rawName) : undefined;
  } catch {
    // Not UTF-8: the seeder's metadata will name it.
  }
  return `magnet:?xt=urn:btih:${infoHash}${name === undefined ? '' : `&dn=${encodeURIComponent(name)}`}`;
}
