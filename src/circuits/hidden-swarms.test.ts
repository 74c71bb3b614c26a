import type { Libp2p } from 'libp2p';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CircuitService } from './circuit-service.ts';
import { CircuitError } from './errors.ts';
import { HiddenSwarms, type SwarmAccess } from './hidden-swarms.ts';
import { fromHex } from '../codec/bytes.ts';
import { decodeDescriptor, encodeDescriptor } from './descriptor-wire.ts';
import { DESCRIPTOR_LIFETIME_MS, signDescriptor } from './descriptors.ts';
import { lookupKeyOf } from './hidden-service.ts';
import type { CircuitSeams } from './seams.ts';
import { MemoryServiceKeyStore } from './service-keys.ts';
import { mesh, rng, until } from './test-support.ts';

const infoHash = '0123456789abcdef0123456789abcdef01234567';

/** A tab with no peers: every lookup finds no introduction point. */
function lonely(downloads: () => string[]) {
  const libp2p = { getConnections: () => [], unhandle: async () => undefined } as unknown as Libp2p;
  const circuits = { node: { introducedDescriptors: () => [] }, publicKey: new Uint8Array(32) } as unknown as CircuitService;
  const swarms: SwarmAccess = {
    addConnection: () => undefined,
    wantsPeers: () => true,
    hiddenSeeds: () => [],
    hiddenDownloads: () => downloads().map((h) => ({ infoHash: h, hops: 1 })),
  };
  return new HiddenSwarms(libp2p, circuits, swarms);
}

/** Advances the fake clock a second at a time until `done` holds, for at most `maxMs` of simulated time. */
async function advanceUntil(done: () => boolean, maxMs = 10 * 60_000): Promise<void> {
  for (let t = 0; !done(); t += 1_000) {
    if (t > maxMs) throw new Error('condition not met in simulated time');
    await vi.advanceTimersByTimeAsync(1_000);
  }
}

describe('reaching a hidden seeder no one knows', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('reports the first failure as a CircuitError, then keeps trying with its status readable, for as long as the download is hidden', async () => {
    let listed = [infoHash];
    const swarms = lonely(() => listed);
    let failed: unknown;
    const first = swarms.reach(infoHash, 1);
    first.catch((err: unknown) => (failed = err));
    await advanceUntil(() => failed !== undefined);
    expect(failed).toBeInstanceOf(CircuitError);
    expect(swarms.reachStatus(infoHash)).toMatchObject({ state: 'waiting', failures: 1, lastError: (failed as Error).message });

    // Still trying in the background; a second call joins the first instead of starting another.
    await advanceUntil(() => (swarms.reachStatus(infoHash)?.failures ?? 0) >= 3);
    expect(swarms.reach(infoHash, 1)).toBe(first);

    // Turned direct (or removed): it stops and forgets the download.
    listed = [];
    await advanceUntil(() => swarms.reachStatus(infoHash) === undefined);
    swarms.stop();
  });
});

describe('hiding a swarm with too few relays yet', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('says why the first try failed, then keeps trying in the background while the swarm is seeded hidden', async () => {
    let seeded = [infoHash];
    let tries = 0;
    const libp2p = { getConnections: () => [], unhandle: async () => undefined } as unknown as Libp2p;
    const circuits = {
      node: { introducedDescriptors: () => [] },
      publicKey: new Uint8Array(32),
      relaysKnown: async () => void tries++,
      relayCandidates: () => [],
    } as unknown as CircuitService;
    const swarms = new HiddenSwarms(libp2p, circuits, { addConnection: () => undefined, wantsPeers: () => true, hiddenSeeds: () => seeded, hiddenDownloads: () => [] });
    await expect(swarms.hideOrKeepTrying(infoHash, 1)).rejects.toMatchObject({ code: 'no-relays' });
    await advanceUntil(() => tries >= 4);
    // No longer seeded hidden (removed, or turned public): the tries stop.
    seeded = [];
    const stoppedAt = tries + 1; // at most the try already scheduled
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(tries).toBeLessThanOrEqual(stoppedAt);
    swarms.stop();
  });
});

describe('hiding a swarm again', () => {
  it('publishes under the same service key after a reload: the key is kept, not made afresh', async () => {
    const { peers, advance } = mesh(3);
    advance(Date.now()); // the tab signs with its own clock; the introduction points check against theirs
    const [seeder, introA, introB] = peers;
    const keys = new MemoryServiceKeyStore(rng(70));
    const libp2p = { getConnections: () => [], unhandle: async () => undefined } as unknown as Libp2p;
    const circuits = {
      node: seeder!.node,
      publicKey: seeder!.key,
      relaysKnown: async () => undefined,
      relayCandidates: () => [introA!.key, introB!.key],
      pickRelays: (n: number, except: Uint8Array[]) => [introA!.key, introB!.key].filter((k) => !except.includes(k)).slice(0, n),
    } as unknown as CircuitService;
    const access: SwarmAccess = { addConnection: () => undefined, wantsPeers: () => true, hiddenSeeds: () => [infoHash], hiddenDownloads: () => [] };
    const lookup = lookupKeyOf(fromHex(infoHash));
    const serviceKeyAt = (p: typeof introA) => decodeDescriptor(p!.node.introducedDescriptors(lookup)[0]!).serviceKey;

    const before = new HiddenSwarms(libp2p, circuits, access, { serviceKeys: keys });
    await before.hide(infoHash, 0);
    const first = serviceKeyAt(introA);
    expect(serviceKeyAt(introB)).toEqual(first);
    before.stop();
    await until(() => introA!.node.introducedDescriptors(lookup).length === 0, 'the old introduction to close');

    const after = new HiddenSwarms(libp2p, circuits, access, { serviceKeys: keys });
    await after.hide(infoHash, 0);
    expect(serviceKeyAt(introA)).toEqual(first);
    after.stop();
  });
});

describe('hiding a swarm when a point cannot be reached', () => {
  /** A seeder whose relay picks start with `bad` unreachable rounds, then two reachable introduction points. */
  const seederPicking = (bad: number) => {
    const { peers, advance } = mesh(3);
    advance(Date.now());
    const [seeder, introA, introB] = peers;
    const nowhere = rng(71)(32); // a relay announced but not connected
    let picks = 0;
    const circuits = {
      node: seeder!.node,
      publicKey: seeder!.key,
      relaysKnown: async () => undefined,
      relayCandidates: () => [introA!.key, introB!.key],
      pickRelays: (n: number) => (++picks <= bad ? [introA!.key, nowhere] : [introA!.key, introB!.key]).slice(0, n),
    } as unknown as CircuitService;
    const libp2p = { getConnections: () => [], unhandle: async () => undefined } as unknown as Libp2p;
    const access: SwarmAccess = { addConnection: () => undefined, wantsPeers: () => true, hiddenSeeds: () => [infoHash], hiddenDownloads: () => [] };
    return { swarms: new HiddenSwarms(libp2p, circuits, access, { serviceKeys: new MemoryServiceKeyStore(rng(72)) }), picks: () => picks, introB: introB!, seeder: seeder! };
  };

  it('publishes on fresh paths when one fails, and gives up after a bounded number of tries', async () => {
    const lookup = lookupKeyOf(fromHex(infoHash));
    const once = seederPicking(1);
    await once.swarms.hide(infoHash, 0);
    expect(once.picks()).toBe(2);
    expect(once.introB.node.introducedDescriptors(lookup)).toHaveLength(1);
    once.swarms.stop();

    // A point that never answers costs the seeder three publications, not a loop; what each built is closed.
    const never = seederPicking(Number.POSITIVE_INFINITY);
    await expect(never.swarms.hide(infoHash, 0)).rejects.toThrow();
    expect(never.picks()).toBe(3);
    await until(() => never.seeder.node.originatedCircuits().length === 0, 'the circuits of the failed publications to close');
    never.swarms.stop();
  });
});

describe('what a lookup returns', () => {
  const lookup = lookupKeyOf(fromHex(infoHash));
  const signed = (seed: number, forSwarm = lookup) => signDescriptor(rng(seed)(32), { lookup: forSwarm, issuedAt: BigInt(Date.now()), expiresAt: BigInt(Date.now() + DESCRIPTOR_LIFETIME_MS), introPoints: [rng(seed + 1)(32)] });
  const honest = signed(80);
  const liar = rng(82)(32);
  /** The honest descriptor naming the liar as introduction point, its signature kept. */
  const swapped = encodeDescriptor({ ...decodeDescriptor(honest), introPoints: [liar] });
  const elsewhere = signed(83, rng(84)(32));
  /** A tab whose circuit node holds `held` as introduction point (so its own lookups find them), with these seams. */
  const tab = (held: Uint8Array[], seams?: CircuitSeams) => {
    const libp2p = { getConnections: () => [], unhandle: async () => undefined } as unknown as Libp2p;
    const circuits = { node: { introducedDescriptors: () => held }, publicKey: new Uint8Array(32) } as unknown as CircuitService;
    return new HiddenSwarms(libp2p, circuits, { addConnection: () => undefined, wantsPeers: () => true, hiddenSeeds: () => [], hiddenDownloads: () => [] }, { seams });
  };

  it('keeps only validly signed descriptors for the swarm, and counts the rest by why', async () => {
    const swarms = tab([swapped, elsewhere, honest]);
    expect((await swarms.lookup(infoHash)).map((d) => d.serviceKey)).toEqual([decodeDescriptor(honest).serviceKey]);
    expect(swarms.discardedAnswers()).toEqual({ forged: 1, 'other-swarm': 1 });
    swarms.stop();
  });

  it('answers with what the lookupAnswers seam gives, in place of what it holds (a lying neighbour)', async () => {
    const seen: Uint8Array[][] = [];
    const swarms = tab([honest], {
      lookupAnswers: (_lookup, own) => {
        seen.push(own);
        return [swapped];
      },
    });
    expect(await swarms.lookup(infoHash)).toEqual([]);
    expect(seen).toEqual([[honest]]);
    expect(swarms.discardedAnswers()).toEqual({ forged: 1 });
    swarms.stop();
  });
});
