import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { verifyEd25519 } from '../crypto/signature.ts';
import { Catalogue } from './catalogue.ts';
import { health } from './ranking.ts';
import { SwarmSearch } from './search.ts';
import { hashOf, signedBy } from './test-support.ts';

const T0 = 1_800_000_000_000;
const ih = (n: number): string => toHex(hashOf(n));

async function setUp() {
  const clock = { t: T0 };
  const cat = new Catalogue({ now: () => clock.t, verify: verifyEd25519 });
  const search = new SwarmSearch(cat);
  const add = async (who: number, swarm: number, name: string, over: Parameters<typeof signedBy>[3] = {}) => cat.offer(await signedBy(who, swarm, clock.t, { name, ...over }));
  return { clock, cat, search, add };
}

describe('swarm search', () => {
  it('finds by a word, a prefix or a misspelling, and keeps up as swarms come, go and are renamed', async () => {
    const { cat, search, add, clock } = await setUp();
    await add(1, 1, 'Ubuntu 26.04 Desktop amd64.iso', { expiresAt: T0 + 60_000 });
    await add(1, 2, 'Big_Buck_Bunny-1080p.mp4');
    await add(2, 3, 'debian-13-netinst.iso');
    expect(search.search('ubuntu').map((h) => h.infoHash)).toEqual([ih(1)]);
    expect(search.search('ubun').map((h) => h.infoHash)).toEqual([ih(1)]);
    expect(search.search('ubunto').map((h) => h.infoHash)).toEqual([ih(1)]);
    expect(search.search('bunny').map((h) => h.infoHash)).toEqual([ih(2)]);
    expect(search.search('iso').map((h) => h.infoHash).sort()).toEqual([ih(1), ih(3)].sort());
    expect(search.search('iso debian').map((h) => h.infoHash)).toEqual([ih(3)]);
    expect(search.search('')).toHaveLength(3);
    expect(search.search('zebra')).toEqual([]);
    // Renamed (a newer record of its only announcer): found by the new name only.
    await add(2, 3, 'trixie netinst', { issuedAt: T0 + 1 });
    expect(search.search('debian')).toEqual([]);
    expect(search.search('trixie').map((h) => h.infoHash)).toEqual([ih(3)]);
    // Expired: gone from results at once, from the index once pruned.
    clock.t += 60_000;
    expect(search.search('ubuntu')).toEqual([]);
    cat.prune();
    expect(search.size).toBe(2);
  });

  it('sorts by relevance, health or demand', async () => {
    const { search, add } = await setUp();
    await add(1, 1, 'linux iso', { seeders: 1, leechers: 9, demand: 40 });
    await add(1, 2, 'linux iso linux', { seeders: 8, leechers: 1, demand: 2 });
    await add(1, 3, 'linux', { seeders: 3, leechers: 0, demand: 9 });
    expect(health({ seeders: 8, leechers: 1 })).toBe(4);
    expect(search.search('linux', 'health').map((h) => h.infoHash)).toEqual([ih(2), ih(3), ih(1)]);
    expect(search.search('linux', 'demand').map((h) => h.infoHash)).toEqual([ih(1), ih(3), ih(2)]);
    const byRelevance = search.search('linux iso', 'relevance');
    expect(byRelevance.map((h) => h.infoHash)).toContain(ih(1));
    expect(byRelevance[0]!.score).toBeGreaterThanOrEqual(byRelevance.at(-1)!.score);
    expect(search.search('linux', 'relevance', 1)).toHaveLength(1);
  });
});
