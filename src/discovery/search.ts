/**
 * Full-text search over the catalogue by swarm name (pure): a MiniSearch
 * index kept in step with the catalogue's changes (only a renamed swarm is
 * re-indexed; counts are read from the catalogue at query time), with prefix
 * and fuzzy matching, so results follow as the user types.
 */
import MiniSearch from 'minisearch';
import type { CatalogueChange, SwarmInfo } from './catalogue.ts';
import { sortHits, type SearchHit, type SearchSort } from './ranking.ts';

export type { SearchHit, SearchSort } from './ranking.ts';

/** What the index reads from: the catalogue. */
export interface SwarmSource {
  swarm(infoHash: string): SwarmInfo | undefined;
  swarms(): SwarmInfo[];
  onChange(listener: (change: CatalogueChange) => void): () => void;
}

/** Results returned when the caller names no limit: a screenful and more. */
export const DEFAULT_RESULT_LIMIT = 100;
/** Edit distance allowed per term, as a fraction of its length: "ubunto" finds "ubuntu". */
const FUZZY = 0.2;

export class SwarmSearch {
  private readonly index = new MiniSearch<{ id: string; name: string }>({
    fields: ['name'],
    searchOptions: { prefix: true, fuzzy: FUZZY, combineWith: 'AND' },
  });
  /** The name each indexed swarm was indexed under. */
  private readonly names = new Map<string, string>();
  private readonly unsubscribe: () => void;

  constructor(private readonly source: SwarmSource) {
    for (const s of source.swarms()) this.upsert(s);
    this.unsubscribe = source.onChange((c) => this.refresh(c.infoHash));
  }

  /** Swarms whose name matches `query` (all, for a blank query), sorted, at most `limit`. */
  search(query: string, sort: SearchSort = 'relevance', limit = DEFAULT_RESULT_LIMIT): SearchHit[] {
    const hits: SearchHit[] = [];
    if (query.trim() === '') {
      for (const s of this.source.swarms()) hits.push({ ...s, score: 0 });
    } else {
      for (const r of this.index.search(query)) {
        const s = this.source.swarm(r.id as string);
        if (s !== undefined) hits.push({ ...s, score: r.score });
      }
    }
    return sortHits(hits, sort).slice(0, limit);
  }

  get size(): number {
    return this.names.size;
  }

  stop(): void {
    this.unsubscribe();
  }

  private refresh(infoHash: string): void {
    const s = this.source.swarm(infoHash);
    if (s === undefined) this.discard(infoHash);
    else this.upsert(s);
  }

  private upsert(s: SwarmInfo): void {
    const indexed = this.names.get(s.infoHash);
    if (indexed === s.name) return;
    if (indexed !== undefined) this.index.discard(s.infoHash);
    this.index.add({ id: s.infoHash, name: s.name });
    this.names.set(s.infoHash, s.name);
  }

  private discard(infoHash: string): void {
    if (!this.names.has(infoHash)) return;
    this.index.discard(infoHash);
    this.names.delete(infoHash);
  }
}
