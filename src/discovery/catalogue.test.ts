import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { verifyEd25519 } from '../crypto/signature.ts';
import { aggregate, Catalogue, judgeRecord, lowerMedian, type CatalogueChange, type CatalogueLimits } from './catalogue.ts';
import { GossipScores, offerScored } from '../net/gossip-scores.ts';
import { MAX_CLAIMED_DEMAND, MAX_CLAIMED_PEERS, MAX_CLOCK_SKEW_MS } from './constants.ts';
import { hashOf, keyOf, records, signedBy } from './test-support.ts';

const T0 = 1_800_000_000_000;
const MIN = 60_000;

function setUp(limits: Partial<CatalogueLimits> = {}, own?: number) {
  const clock = { t: T0 };
  const verified = { count: 0 };
  const cat = new Catalogue({
    now: () => clock.t,
    verify: (s, m, k) => {
      verified.count++;
      return verifyEd25519(s, m, k);
    },
    ownKey: own === undefined ? undefined : keyOf(own),
    limits,
  });
  const changes: CatalogueChange[] = [];
  cat.onChange((c) => changes.push(c));
  return { clock, cat, verified, changes };
}

const ih = (n: number): string => toHex(hashOf(n));

describe('catalogue', () => {
  it('keeps the newest record per (infohash, announcer), names replays and refuses forgeries after the cheap checks', async () => {
    const { cat, verified, clock } = setUp();
    const first = await signedBy(1, 1, T0);
    expect(cat.offer(first)).toBe('new');
    expect(cat.offer(first)).toBe('known');
    expect(cat.offer(await signedBy(1, 1, T0 - 1))).toBe('stale');
    expect(verified.count).toBe(1);
    expect(cat.offer({ ...(await signedBy(1, 1, T0 + 5)), demand: 99 })).toBe('invalid');
    expect(cat.offer(await signedBy(1, 1, T0 + 5, { seeders: 4 }))).toBe('new');
    expect(cat.size).toBe(1);
    expect(cat.swarm(ih(1))?.seeders).toBe(4);
    // Another announcer of the same swarm is a second record.
    expect(cat.offer(await signedBy(2, 1, T0))).toBe('new');
    expect(cat.swarm(ih(1))?.announcers).toBe(2);
    expect(cat.offer(await signedBy(3, 2, clock.t + MAX_CLOCK_SKEW_MS + 1))).toBe('future');
  });

  it('forgets records when they expire, and refuses expired ones without checking them', async () => {
    const { cat, clock, verified, changes } = setUp();
    cat.offer(await signedBy(1, 1, T0, { expiresAt: T0 + 10 * MIN }));
    cat.offer(await signedBy(2, 2, T0, { expiresAt: T0 + 20 * MIN }));
    clock.t += 10 * MIN;
    expect(cat.swarms().map((s) => s.infoHash)).toEqual([ih(2)]);
    expect(cat.prune()).toBe(1);
    expect(changes.at(-1)).toMatchObject({ infoHash: ih(1), removed: expect.anything() });
    const n = verified.count;
    expect(cat.offer(await signedBy(3, 3, T0 - 40 * MIN))).toBe('expired');
    expect(verified.count).toBe(n);
    clock.t += 10 * MIN;
    expect(cat.freshest(10)).toEqual([]);
  });

  it('limits what one announcer holds and how fast it places records; forged records do not use up its rate', async () => {
    const { cat, clock } = setUp({ maxPerAnnouncer: 3, announcerBurst: 4, announcerPerMinute: 1 });
    for (let s = 1; s <= 3; s++) expect(cat.offer(await signedBy(1, s, T0))).toBe('new');
    expect(cat.offer(await signedBy(1, 4, T0))).toBe('rate');
    expect(cat.heldBy(keyOf(1))).toBe(3);
    // A renewal is not a new record held; it still counts against the rate (one token left).
    const forged = { ...(await signedBy(1, 1, T0 + 1)), seeders: 50 };
    expect(cat.offer(forged)).toBe('invalid');
    expect(cat.offer(await signedBy(1, 1, T0 + 1))).toBe('new');
    expect(cat.offer(await signedBy(1, 2, T0 + 1))).toBe('rate');
    clock.t += MIN;
    expect(cat.offer(await signedBy(1, 2, T0 + 2))).toBe('new');
    // Others are not affected.
    expect(cat.offer(await signedBy(2, 2, T0))).toBe('new');
  });

  it('counts a forged record against the neighbour that sent it, never one refused by our limits or the clock: three forged mute it', async () => {
    const { cat } = setUp({ maxPerAnnouncer: 1 });
    const scores = new GossipScores(() => T0);
    const take = (from: string, rs: Awaited<ReturnType<typeof signedBy>>[]) => offerScored(scores, from, rs, (r) => cat.offer(r), judgeRecord);
    const kept = await signedBy(1, 1, T0);
    expect(take('honest', [kept])).toEqual([kept]);
    // Over the announcer's limit, and expired: refused, but nothing the sender did wrong.
    for (let i = 0; i < 5; i++) expect(take('honest', [await signedBy(1, 2 + i, T0), await signedBy(2, 1, T0 - 60 * MIN)])).toEqual([]);
    expect(scores.isMuted('honest')).toBe(false);
    const forged = await signedBy(3, 1, T0);
    expect(take('forger', [{ ...forged, seeders: 7 }, { ...forged, seeders: 8 }, { ...forged, seeders: 9 }, forged])).toEqual([]);
    expect(scores.isMuted('forger')).toBe(true);
    expect(take('honest', [forged])).toEqual([forged]);
  });

  it('when full, drops expired records first', async () => {
    const { cat, clock } = setUp({ maxRecords: 2 });
    cat.offer(await signedBy(1, 1, T0, { expiresAt: T0 + MIN }));
    cat.offer(await signedBy(2, 2, T0));
    clock.t += MIN;
    expect(cat.offer(await signedBy(3, 3, clock.t))).toBe('new');
    expect(cat.swarms().map((s) => s.infoHash).sort()).toEqual([ih(2), ih(3)].sort());
  });

  it('a flooding announcer cannot evict others: when full it only displaces its own oldest records, or is refused', async () => {
    const { cat } = setUp({ maxRecords: 10, maxPerAnnouncer: 100, announcerBurst: 1_000 });
    for (let a = 1; a <= 4; a++) expect(cat.offer(await signedBy(a, a, T0 - 100))).toBe('new');
    for (let s = 100; s < 140; s++) cat.offer(await signedBy(50, s, T0 + s));
    expect(cat.size).toBe(10);
    for (let a = 1; a <= 4; a++) expect(cat.swarm(ih(a))?.announcers).toBe(1);
    expect(cat.heldBy(keyOf(50))).toBe(6);
    // The flooder keeps its newest; an older record of its own is refused outright.
    expect(cat.swarm(ih(139))).toBeDefined();
    expect(cat.swarm(ih(100))).toBeUndefined();
    expect(cat.offer(await signedBy(50, 200, T0))).toBe('full');
    // An honest newcomer still gets in, at the flooder's expense.
    expect(cat.offer(await signedBy(7, 7, T0))).toBe('new');
    expect(cat.heldBy(keyOf(50))).toBe(5);
  });

  it('never evicts our own records', async () => {
    const { cat } = setUp({ maxRecords: 3, maxPerAnnouncer: 100 }, 9);
    for (let s = 1; s <= 3; s++) cat.offer(await signedBy(9, s, T0 - 1_000));
    expect(cat.offer(await signedBy(1, 10, T0))).toBe('full');
    expect(cat.heldBy(keyOf(9))).toBe(3);
  });

  it('aggregates: the lower median of capped claims, the description most announcers give', async () => {
    expect(lowerMedian([])).toBe(0);
    expect(lowerMedian([5])).toBe(5);
    expect(lowerMedian([9, 1])).toBe(1);
    expect(lowerMedian([3, 1, 1_000])).toBe(3);
    // One announcer alone: its claim, capped.
    const liar = await signedBy(1, 1, T0, { seeders: 60_000, leechers: 60_000, demand: 4_000_000 });
    expect(aggregate([liar])).toMatchObject({ seeders: MAX_CLAIMED_PEERS, leechers: MAX_CLAIMED_PEERS, demand: MAX_CLAIMED_DEMAND, announcers: 1 });
    // Beside honest announcers, the liar moves nothing.
    const honest = [await signedBy(2, 1, T0 + 1, { seeders: 2, leechers: 3, demand: 10 }), await signedBy(3, 1, T0 + 2, { seeders: 3, leechers: 1, demand: 12 })];
    expect(aggregate([liar, ...honest])).toMatchObject({ seeders: 3, leechers: 3, demand: 12, announcers: 3, lastSeen: T0 + 2 });
    expect(aggregate([liar, honest[0]!])).toMatchObject({ seeders: 2, demand: 10 });
    // A renamed swarm: the majority's name wins, whatever the liar's is newer.
    const renamed = await signedBy(4, 1, T0 + 50, { name: 'free money', size: 1 });
    expect(aggregate([renamed, ...honest])).toMatchObject({ name: 'swarm 1', size: 1_000 });
  });

  it('property: beside at least one honest announcer, one announcer cannot raise any count above the highest honest claim', () => {
    const sameSwarm = (rs: Parameters<typeof aggregate>[0]) => rs.map((r) => ({ ...r, infoHash: hashOf(1) }));
    fc.assert(
      fc.property(fc.array(records, { minLength: 1, maxLength: 6 }), records, (honest, liar) => {
        const all = aggregate(sameSwarm([...honest, liar]))!;
        const most = (f: (r: (typeof honest)[number]) => number, cap: number) => Math.max(...honest.map((r) => Math.min(f(r), cap)));
        expect(all.seeders).toBeLessThanOrEqual(most((r) => r.seeders, MAX_CLAIMED_PEERS));
        expect(all.leechers).toBeLessThanOrEqual(most((r) => r.leechers, MAX_CLAIMED_PEERS));
        expect(all.demand).toBeLessThanOrEqual(most((r) => r.demand, MAX_CLAIMED_DEMAND));
      }),
    );
  });
});
