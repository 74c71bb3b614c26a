/**
 * The trackers a download's begin names (pure): the exit announces on them
 * for the downloader. Those of the user's magnet link that a begin can carry
 * (ws: or wss:, short enough), else the app's own; at most MAX_EXIT_TRACKERS.
 */
import { utf8 } from '../codec/bytes.ts';
import { magnetTrackers } from '../sharing/download-source.ts';
import { MAX_EXIT_TRACKERS, MAX_TRACKER_URL_BYTES } from './constants.ts';
import { isTrackerUrl } from './exit-wire.ts';

const usable = (url: string): boolean => isTrackerUrl(url) && utf8.encode(url).length <= MAX_TRACKER_URL_BYTES;

/** `original`: the magnet link (or .torrent file) the user gave; `appTrackers`: the app's configured trackers. */
export function beginTrackers(original: string | Uint8Array | undefined, appTrackers: readonly string[]): string[] {
  // A magnet's trackers are where its swarm is: the app's would find no one there, unless the magnet names none a browser reaches.
  const own = typeof original === 'string' ? magnetTrackers(original).filter(usable) : [];
  const chosen = own.length > 0 ? own : [...new Set(appTrackers)].filter(usable);
  return chosen.slice(0, MAX_EXIT_TRACKERS);
}
