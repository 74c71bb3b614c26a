/**
 * Hidden swarms under attack, between real tabs over the real relay: a
 * neighbour that answers lookups with its own introduction point for another's
 * swarm is not used; a replayed introduction builds nothing; and every
 * rendezvous circuit a hidden seeder builds starts at one of its few guards.
 * The hidden seeder and the downloader do not relay, so neither is ever a hop
 * of the other's circuits (they would meet directly otherwise).
 */
import { expect, test } from './support/fixtures.ts';
import { circuits, directMesh, hooks } from './support/ledger.ts';
import { expectSeeding, sharing } from './support/sharing.ts';
import type { PeerPage } from './support/peer-page.ts';
import { MAX_GUARDS } from '../src/circuits/guards.ts';
import { INTRODUCTION_BURST } from '../src/circuits/intro-guard.ts';

const hidden = hooks('hidden');
/** Relays needed for 1-hop hidden circuits: two introduction points, and a hop before each point. */
const RELAYS = 3;

interface Seeded {
  infoHash: string;
  magnet: string;
  sha256: string;
}

/**
 * Opens `relays` relaying tabs and, first, `others` that do not relay (the
 * hidden seeder, the downloader, ...); waits until every tab knows exactly the relays.
 */
async function network(openPeer: () => Promise<PeerPage>, others: number, relays: number): Promise<PeerPage[]> {
  const peers = await Promise.all(Array.from({ length: others + relays }, () => openPeer()));
  await directMesh(peers);
  for (const p of peers.slice(0, others)) await circuits(p.page, 'setRelaying', false);
  for (const [i, p] of peers.entries()) {
    const seen = i < others ? relays : relays - 1; // a relay does not count itself
    await expect.poll(() => circuits(p.page, 'relayCounts'), { timeout: 20_000 }).toEqual({ known: seen, connected: seen });
  }
  return peers;
}

/** Seeds a small generated file hidden and hides it behind introduction points over 1 hop. */
async function hideFile(seeder: PeerPage, size: number, seed: number): Promise<Seeded> {
  const file = await sharing<Seeded>(seeder.page, 'seedGenerated', size, `hidden-${seed}.bin`, seed, { hidden: true });
  await circuits(seeder.page, 'hide', file.infoHash, 1);
  return file;
}

test('a tab that answers lookups with its own key for another\'s swarm is not used', async ({ openPeer }) => {
  const [seeder, downloader, liar, relay] = await network(openPeer, 3, RELAYS);
  const file = await hideFile(seeder!, 256 * 1024, 81);
  const liarKey = await circuits<string>(liar!.page, 'publicKey');
  // The liar looks the swarm up like anyone, then answers every lookup for it with itself as introduction point
  // of the seeder's service key: the seeder's descriptor with the point swapped, and the same signed by its own key.
  await expect.poll(async () => (await hidden<unknown[]>(liar!.page, 'descriptors', file.infoHash)).length).toBe(1);
  expect(await hidden<number>(liar!.page, 'lieInLookups', file.infoHash)).toBe(2);

  await hidden(downloader!.page, 'tapIntroductions', 1);
  await circuits(downloader!.page, 'downloadHidden', file.magnet, 1);
  await expectSeeding(downloader!.page, file.infoHash, 30_000);
  expect(await sharing<string>(downloader!.page, 'fileSha256', file.infoHash)).toBe(file.sha256);

  // The liar was asked and answered; the downloader checked what reached it and dropped the forgeries, and nothing else.
  const lies = await hidden<number>(liar!.page, 'liesTold');
  expect(lies).toBeGreaterThan(0);
  const discarded = await hidden<Record<string, number>>(downloader!.page, 'discardedAnswers');
  expect(Object.keys(discarded)).toEqual(['forged']);
  expect(discarded.forged).toBeGreaterThanOrEqual(2);
  expect(discarded.forged).toBeLessThanOrEqual(2 * lies);
  // It introduced itself only through points the seeder named, never through the liar.
  const [honest] = await hidden<{ service: string; introPoints: string[] }[]>(relay!.page, 'descriptors', file.infoHash);
  const tried = await hidden<{ introPoint: string; service: string }[]>(downloader!.page, 'introductionsTried');
  expect(tried.length).toBeGreaterThan(0);
  for (const t of tried) expect(honest!.introPoints).toContain(t.introPoint);
  expect(tried.map((t) => t.introPoint)).not.toContain(liarKey);
});

test('a replayed introduction is ignored', async ({ openPeer }) => {
  const [seeder, downloader] = await network(openPeer, 2, RELAYS);
  const file = await hideFile(seeder!, 64 * 1024, 82);
  // The downloader sends its sealed introduction twice on the same introduction circuit; both are acknowledged.
  await hidden(downloader!.page, 'tapIntroductions', 2);
  await circuits(downloader!.page, 'downloadHidden', file.magnet, 1);
  await expectSeeding(downloader!.page, file.infoHash, 30_000);
  expect(await hidden<unknown[]>(downloader!.page, 'introductionsTried')).toHaveLength(1);

  // The seeder answered the first and refused the replay: one rendezvous circuit.
  await expect.poll(() => hidden(seeder!.page, 'introductionStats')).toMatchObject({ answered: 1, replayed: 1, overRate: 0, unopened: 0 });
  const stats = await hidden<{ rendezvousFirstHops: Record<string, number> }>(seeder!.page, 'introductionStats');
  expect(Object.values(stats.rendezvousFirstHops)).toEqual([1]);
});

test('a hidden seeder\'s first hops stay within its guard set across 20 introductions', async ({ openPeer }) => {
  // Four relays: with a fresh first hop each time, 20 circuits would use all four (all but ~1 % of the time).
  const [seeder, attacker] = await network(openPeer, 2, 4);
  const introductions = 2 * INTRODUCTION_BURST; // 20
  // Two swarms, a burst of introductions each (answered at once, no wait for the rate); the guards are the identity's.
  // The attacker names each of the relays in turn as rendezvous point, guards included, and waits at none.
  const files = [await hideFile(seeder!, 16 * 1024, 83), await hideFile(seeder!, 16 * 1024, 84)];
  for (const f of files) {
    await expect.poll(async () => (await hidden<unknown[]>(attacker!.page, 'descriptors', f.infoHash)).length).toBe(1);
    await hidden(attacker!.page, 'sendIntroductions', f.infoHash, INTRODUCTION_BURST);
  }
  type Stats = { answered: number; rendezvousFirstHops: Record<string, number> };
  const built = (s: Stats) => Object.values(s.rendezvousFirstHops).reduce((a, b) => a + b, 0);
  await expect.poll(async () => built(await hidden<Stats>(seeder!.page, 'introductionStats'))).toBe(introductions);

  const stats = await hidden<Stats>(seeder!.page, 'introductionStats');
  expect(stats).toMatchObject({ answered: introductions, replayed: 0, overRate: 0, unopened: 0 });
  const guards = await hidden<string[]>(seeder!.page, 'guardKeys');
  expect(guards.length).toBeLessThanOrEqual(MAX_GUARDS);
  for (const hop of Object.keys(stats.rendezvousFirstHops)) expect(guards).toContain(hop);
  // Its introduction circuits start at a guard too.
  const own = await circuits<{ path: string[] }[]>(seeder!.page, 'ownCircuits');
  for (const c of own) expect(guards).toContain(c.path[0]);
});
