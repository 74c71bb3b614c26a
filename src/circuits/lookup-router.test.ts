import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { verifyEd25519 } from '../crypto/signature.ts';
import { decodeDescriptor, encodeDescriptor } from './descriptor-wire.ts';
import { DESCRIPTOR_LIFETIME_MS, rankDescriptors, signDescriptor } from './descriptors.ts';
import { lookupKeyOf, publishHiddenService } from './hidden-service.ts';
import { LOOKUP_FANOUT, LookupRouter } from './lookup-router.ts';
import { MAX_LOOKUP_ANSWERS, MAX_LOOKUP_TTL } from './lookup-wire.ts';
import { mesh, rng, type Peer } from './test-support.ts';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
/** The mesh's clock (test-support starts it at 1 s). */
const NOW = 1_000;
/** Peers in the ring; each knows the REACH peers on either side (six neighbours: the fanout). */
const RING = 24;
const REACH = 3;

/**
 * Lookups over a test-support mesh laid out as a ring: each peer answers from
 * its circuit node's introductions, or, for the peers in `lying`, with the
 * descriptors given. Records every query sent and how often each peer
 * handled a request (one lookup in flight at a time, so that is per id).
 */
function lookupRing(peers: Peer[], lying: Map<number, Uint8Array[]> = new Map()) {
  const queries: { from: number; to: number; id: string }[] = [];
  const handled = new Array<number>(peers.length).fill(0);
  const routers: LookupRouter[] = peers.map(
    (peer, i) =>
      new LookupRouter({
        now: () => NOW,
        random: rng(300 + i),
        own: (lookup) => {
          handled[i]!++;
          return lying.get(i) ?? peer.node.introducedDescriptors(lookup);
        },
        neighbours: (except) =>
          Array.from({ length: REACH }, (_, k) => [i + k + 1, i - k - 1])
            .flat()
            .map((n) => String((n + peers.length) % peers.length))
            .filter((n) => n !== except),
        ask: async (to, request) => {
          queries.push({ from: i, to: Number(to), id: toHex(request.id) });
          await Promise.resolve(); // a turn later, as over a stream
          return routers[Number(to)]!.answer(request, String(i));
        },
      }),
  );
  return { routers, queries, handled };
}

async function publishAt(peers: Peer[], seeder: number, introPoints: number[], serviceSeed: Uint8Array, lookup: Uint8Array) {
  return publishHiddenService({
    node: peers[seeder]!.node,
    subtle,
    random: rng(3),
    serviceSeed,
    now: () => NOW,
    lookup,
    introPaths: introPoints.map((i) => [peers[i]!.key]),
    relaysTo: () => [],
    onSession: () => undefined,
  });
}

describe('hidden-swarm lookups', () => {
  it('one lookup at ttl 3 is handled at most once by each peer (one query per neighbour at most), and still finds the swarm three peers away', async () => {
    const { peers } = mesh(RING);
    const lookup = lookupKeyOf(rng(2)(20));
    // The seeder (peer 20) is introduced at peer 9, three neighbourhoods from the downloader (peer 0).
    const published = await publishAt(peers, 20, [9], rng(1)(32), lookup);
    const { routers, queries, handled } = lookupRing(peers);

    const found = await routers[0]!.lookup(lookup);

    expect(found).toEqual([published.descriptor]);
    expect(new Set(queries.map((q) => q.id)).size).toBe(1); // the id travels with the lookup
    expect(Math.max(...handled)).toBe(1);
    const pairs = new Set(queries.map((q) => `${q.from}>${q.to}`));
    expect(pairs.size).toBe(queries.length);
    const forwarders = handled.filter((n) => n > 0).length;
    expect(queries.length).toBeLessThanOrEqual(forwarders * LOOKUP_FANOUT);
    // Handled each time it arrived, this lookup sent 6 + 6·5 + 6·5·5 = 186 queries here (258 in a full mesh).
    expect(queries.length).toBeLessThan(RING * LOOKUP_FANOUT);
    // A repeated id is answered with nothing and goes no further.
    const before = queries.length;
    expect(await routers[1]!.answer({ id: new Uint8Array(Buffer.from(queries[0]!.id, 'hex')), lookup, ttl: MAX_LOOKUP_TTL }, '0')).toEqual([]);
    expect(queries.length).toBe(before);
  });

  it('a downloader drops a forged lookup answer and uses introduction points only from descriptors validly signed for its infohash', async () => {
    const { peers } = mesh(12);
    const infoHash = rng(12)(20);
    const lookup = lookupKeyOf(infoHash);
    const serviceSeed = rng(11)(32);
    const published = await publishAt(peers, 10, [5, 7], serviceSeed, lookup);
    const real = decodeDescriptor(published.descriptor);
    // Peer 1, next to the downloader, answers with the seeder's descriptor pointing at itself (signature kept),
    // a descriptor of another swarm, and one it signed itself for this swarm.
    const attackerSeed = rng(13)(32);
    const forged = encodeDescriptor({ ...real, introPoints: [peers[1]!.key] });
    const otherSwarm = signDescriptor(attackerSeed, { lookup: lookupKeyOf(rng(14)(20)), issuedAt: BigInt(NOW), expiresAt: BigInt(NOW + DESCRIPTOR_LIFETIME_MS), introPoints: [peers[1]!.key] });
    const ownKey = signDescriptor(attackerSeed, { lookup, issuedAt: BigInt(NOW), expiresAt: BigInt(NOW + DESCRIPTOR_LIFETIME_MS), introPoints: [peers[1]!.key] });
    const { routers } = lookupRing(peers, new Map([[1, [forged, otherSwarm, ownKey]]]));

    const answers = await routers[0]!.lookup(lookup);
    expect(answers).toContainEqual(forged); // the wire carried it ...
    const usable = rankDescriptors(answers, lookup, NOW, verifyEd25519, publicKeyFromSeed(serviceSeed));
    // ... the check dropped it and the other swarm's; the seeder's key (which worked before) comes first.
    expect(usable.map((d) => toHex(d.serviceKey))).toEqual([toHex(publicKeyFromSeed(serviceSeed)), toHex(publicKeyFromSeed(attackerSeed))]);
    expect(usable[0]!.introPoints).toEqual([peers[5]!.key, peers[7]!.key]);
    // The attacker's own descriptor stays usable: it can pose as a seeder of the swarm, but only under its own key,
    // reached at its own introduction point; the data it serves must still match the infohash's piece hashes.
    expect(usable[1]!.introPoints).toEqual([peers[1]!.key]);
  });

  it('a neighbour answering with a full list of forgeries does not crowd the real descriptor out', async () => {
    const { peers } = mesh(12);
    const lookup = lookupKeyOf(rng(22)(20));
    const serviceSeed = rng(21)(32);
    const published = await publishAt(peers, 10, [3], serviceSeed, lookup);
    const real = decodeDescriptor(published.descriptor);
    const forgeries = Array.from({ length: MAX_LOOKUP_ANSWERS }, (_, k) => encodeDescriptor({ ...real, introPoints: [rng(400 + k)(32)] }));
    const { routers } = lookupRing(peers, new Map([[1, forgeries]]));
    const answers = await routers[0]!.lookup(lookup);
    expect(answers).toContainEqual(published.descriptor);
    expect(rankDescriptors(answers, lookup, NOW, verifyEd25519).map((d) => d.introPoints)).toEqual([[peers[3]!.key]]);
  });
});

