/**
 * Test hooks for content discovery (test builds only, see test-hooks.ts): the
 * catalogue and searches, announcing on demand, and a tab the gossip has not
 * reached, through the discovery fault seam.
 */
import type { SearchSort } from '../../discovery/search.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';

export function discoveryHooks(session: AppSession) {
  const discovery = () => running(session).discovery;
  return {
    swarms: () => discovery().swarms(),
    search: (query: string, sort: SearchSort = 'relevance') => discovery().search(query, sort),
    announceNow: () => discovery().announceNow(),
    announceSwitch: (infoHash: string) => discovery().announceSwitch(infoHash),
    setAnnounce: (infoHash: string, on: boolean) => discovery().setAnnounce(infoHash, on),
    /** Our records held by the catalogue, by infohash (what we announced). */
    ownRecords: () =>
      discovery()
        .swarms()
        .filter((s) => discovery().catalogue.recordsOf(s.infoHash).some((r) => r.announcer.every((b, i) => b === running(session).identity.publicKey[i])))
        .map((s) => s.infoHash),
    /** Drops (true) or takes again (false) the records neighbours push: a tab the gossip has not reached. */
    ignoreGossip(on: boolean) {
      if (session.seams === undefined) throw new Error('this build has no fault seams (build with --mode test)');
      if (on) session.seams.discovery.takeGossip = () => false;
      else delete session.seams.discovery.takeGossip;
    },
    /** A remote search; resolves when `peers` neighbours answered (or the timeout), with the swarms they named. */
    remoteSearch(query: string, peers = 1, timeoutMs = 10_000): Promise<{ asked: number; answered: number; infoHashes: string[] }> {
      return new Promise((resolve) => {
        const found = new Set<string>();
        let answered = 0;
        let asked = 0;
        const finish = (): void => {
          handle.stop();
          clearTimeout(timer);
          resolve({ asked, answered, infoHashes: [...found] });
        };
        const handle = discovery().remoteSearch(query, (a) => {
          answered = a.answered;
          for (const s of a.swarms) found.add(s.infoHash);
          if (answered >= peers) finish();
        });
        asked = handle.asked;
        const timer = setTimeout(finish, asked === 0 ? 0 : timeoutMs);
      });
    },
  };
}
