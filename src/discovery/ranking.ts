/**
 * How search results are ordered (pure, and free of the search index, so the
 * Discover page can sort merged results without loading MiniSearch).
 */
import type { SwarmInfo } from './catalogue.ts';

export type SearchSort = 'relevance' | 'health' | 'demand';

export interface SearchHit extends SwarmInfo {
  /** MiniSearch's relevance (0 for an empty query, which lists everything, and for swarms only neighbours named). */
  score: number;
}

/** Seeders per leecher, with the leechers' +1 so a swarm of seeders only ranks by its seeders. */
export function health(s: Pick<SwarmInfo, 'seeders' | 'leechers'>): number {
  return s.seeders / (s.leechers + 1);
}

const BY: Record<SearchSort, (a: SearchHit, b: SearchHit) => number> = {
  relevance: (a, b) => b.score - a.score || health(b) - health(a) || b.lastSeen - a.lastSeen,
  health: (a, b) => health(b) - health(a) || b.seeders - a.seeders || b.score - a.score,
  // Most wanted first; among equals the fewest seeders (where an upload is most needed).
  demand: (a, b) => b.demand - a.demand || a.seeders - b.seeders || b.score - a.score,
};

export function sortHits(hits: SearchHit[], sort: SearchSort): SearchHit[] {
  return hits.sort(BY[sort]);
}
