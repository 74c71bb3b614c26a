/** What a torrent's row says about its state, and whether it offers "Download directly". Pure. */
import type { ReachStatus } from '../../circuits/hidden-swarms.ts';
import type { TorrentView } from '../../sharing/sharing-service.ts';

export interface TorrentStatus {
  /** A few words for the badge. */
  badge: string;
  tone: 'good' | 'warn' | 'bad';
  /** What is going on and what the user can do, when there is something to say. */
  detail?: string | undefined;
  /** A hidden download that is not complete can be turned into a direct one. */
  offerDirect: boolean;
}

/** The risk of "Download directly", said wherever it is offered. */
export const DIRECT_WARNING = 'Downloading directly is faster and reaches public seeders, but the seeders and the tracker see your address.';

type Shown = Pick<TorrentView, 'state' | 'hidden' | 'peers'>;

/** Where reaching the public swarm through an exit relay stands (src/exits), as far as the row tells it. */
export interface ExitShown {
  state: 'no-exit' | 'connecting' | 'connected' | 'waiting';
}

export function torrentStatus(t: Shown, reach: ReachStatus | undefined, now: number, exit?: ExitShown | undefined): TorrentStatus {
  if (t.state === 'seeding') return { badge: 'seeding', tone: 'good', offerDirect: false };
  // Errors (no storage left, a broken file) are shown by the row; switching to direct would not fix them.
  if (t.state === 'error') return { badge: 'stopped', tone: 'bad', offerDirect: false };
  if (!t.hidden) return { badge: t.state === 'loading' ? 'finding peers' : 'downloading', tone: 'warn', offerDirect: false };
  if (t.peers > 0 || reach?.state === 'connected' || exit?.state === 'connected') return { badge: 'downloading anonymously', tone: 'warn', offerDirect: true };
  if (reach === undefined || reach.failures === 0) {
    return { badge: 'looking for an anonymous seeder', tone: 'warn', detail: 'Looking for an anonymous seeder or an exit relay to the public swarm…', offerDirect: true };
  }
  // Neither way answered yet: say which one cannot work now.
  const noExit = exit?.state === 'no-exit' ? ' No exit relay is known to reach public seeders anonymously.' : '';
  const next = reach.state === 'waiting' && reach.nextTryAt !== undefined ? ` (next try in ${Math.max(1, Math.ceil((reach.nextTryAt - now) / 1000))} s)` : '';
  return {
    badge: 'no anonymous seeder yet',
    tone: 'warn',
    detail: `Looking for an anonymous seeder… no hidden seeder or exit answered yet${next}; still trying.${noExit} If this torrent is shared only publicly, choose "Download directly".`,
    offerDirect: true,
  };
}
