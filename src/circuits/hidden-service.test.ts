import { describe, expect, it } from 'vitest';
import { webcrypto } from 'node:crypto';
import { toHex } from '../codec/bytes.ts';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { DESCRIPTOR_LIFETIME_MS, signDescriptor, signIntroProof } from './descriptors.ts';
import { connectHiddenService, emptyIntroductionStats, publishHiddenService, type EndToEnd } from './hidden-service.ts';
import { concat, mesh, rng, until } from './test-support.ts';
import { clientStart, staticPublicKeyOf } from './handshake.ts';
import { sealIntroduction } from './intro-seal.ts';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
/** The mesh's clock starts at 1 s; descriptors are signed against it. */
const NOW = 1_000;

/**
 * The smallest hidden meeting: a seeder with one introduction point and no
 * relays, a downloader meeting it at a rendezvous point. Returns the
 * downloader's session and the seeder's sessions as they open.
 */
async function meetDirectly(seed: number, onSession: (s: EndToEnd) => void = () => undefined, relaysTo: () => Uint8Array[] = () => []) {
  const { peers } = mesh(4);
  const [downloader, intro, rp, seeder] = peers;
  const serviceSeed = rng(seed)(32);
  const sessions: EndToEnd[] = [];
  await publishHiddenService({
    node: seeder!.node,
    subtle,
    random: rng(seed + 1),
    serviceSeed,
    now: () => NOW,
    lookup: rng(seed + 2)(32),
    introPaths: [[intro!.key]],
    relaysTo,
    onSession: (s) => {
      sessions.push(s);
      onSession(s);
    },
  });
  const session = await connectHiddenService({ node: downloader!.node, subtle, random: rng(seed + 3), service: publicKeyFromSeed(serviceSeed), introPath: [intro!.key], rendezvousPath: [rp!.key] });
  return { session, sessions };
}

describe('hidden services', () => {
  it('a publication that cannot reach one of its points closes the circuits it built to the others', async () => {
    const { peers } = mesh(3);
    const [intro, relay, seeder] = peers;
    const nowhere = rng(61)(32); // a point no one is connected to
    const publishing = publishHiddenService({
      node: seeder!.node, subtle, random: rng(62), serviceSeed: rng(63)(32), now: () => NOW, lookup: rng(64)(32),
      introPaths: [[intro!.key], [relay!.key, nowhere]], relaysTo: () => [], onSession: () => undefined,
    });
    await expect(publishing).rejects.toThrow();
    // Nothing is left open to the point that was reached, or to the relay in front of the one that was not.
    await until(() => seeder!.node.originatedCircuits().length === 0, 'the built circuits to close');
    await until(() => intro!.node.relayedCount === 0 && relay!.node.relayedCount === 0, 'the relays to drop them');
  });

  it('a downloader reaches a hidden seeder through an introduction point and meets it at a rendezvous point; neither learns the other', async () => {
    // 0 downloader, 1-2 its relays, 3 introduction point, 4 rendezvous point, 5 the seeder's relay, 6 seeder
    const { peers } = mesh(7);
    const [downloader, d1, d2, intro, rp, s1, seeder] = peers;
    const serviceSeed = rng(77)(32);
    const sessions: EndToEnd[] = [];
    const published = await publishHiddenService({
      node: seeder!.node,
      subtle,
      random: rng(5),
      serviceSeed,
      now: () => NOW,
      lookup: rng(11)(32),
      introPaths: [[s1!.key, intro!.key]],
      relaysTo: () => [s1!.key],
      onSession: (s) => sessions.push(s),
    });

    // The introduction point answers lookups of the swarm's lookup key with the seeder's signed descriptor.
    expect(intro!.node.introducedDescriptors(rng(11)(32))).toEqual([published.descriptor]);
    const session = await connectHiddenService({ node: downloader!.node, subtle, random: rng(6), service: publicKeyFromSeed(serviceSeed), introPath: [d1!.key, intro!.key], rendezvousPath: [d2!.key, rp!.key] });
    await until(() => sessions.length === 1, 'the seeder side of the session');
    const atSeeder: Uint8Array[] = [];
    sessions[0]!.onData = (d) => atSeeder.push(d);
    const atDownloader: Uint8Array[] = [];
    session.onData = (d) => atDownloader.push(d);

    await session.send(new TextEncoder().encode('piece 0, please'));
    await until(() => atSeeder.length === 1, 'the request');
    expect(new TextDecoder().decode(atSeeder[0])).toBe('piece 0, please');
    const piece = rng(9)(500_000);
    await sessions[0]!.send(piece);
    await until(() => atDownloader.reduce((n, d) => n + d.length, 0) === piece.length, 'the piece');
    expect(concat(atDownloader)).toEqual(piece);

    // Who knows whom: each end's circuits start at its own relays; the introduction and rendezvous points see relays only.
    const seen = (p: (typeof peers)[number]) => p.node.relayedCircuits().map((c) => c.from);
    const hex = (p: (typeof peers)[number]) => toHex(p.key);
    // The downloader's introduction circuit (from d1) is closed once used; its destroy travels on after connect returns.
    await until(() => seen(intro!).length === 1, 'the used introduction circuit to close');
    expect(seen(intro!)).toEqual([hex(s1!)]);
    expect(seen(rp!).sort()).toEqual([hex(d2!), hex(s1!)].sort());
    // Only each end's own first relays know it.
    for (const p of peers) {
      if (p !== s1) expect(seen(p)).not.toContain(hex(seeder!));
      if (p !== d1 && p !== d2) expect(seen(p)).not.toContain(hex(downloader!));
    }
    expect(rp!.received).toEqual([]);
  });

  it('keeps what the other end sent before anyone listened', async () => {
    // The seeder speaks first, at once (as a BitTorrent handshake does).
    const { session } = await meetDirectly(13, (s) => void s.send(new TextEncoder().encode('hello first')));
    // The message arrives (after the 64-byte handshake answer) before anyone listens: the case under test.
    await until(() => session.circuit.bytesReceived > 64, 'the early message to arrive unheard');
    const got: string[] = [];
    session.onData = (d) => got.push(new TextDecoder().decode(d));
    await until(() => got.length === 1, 'the early message');
    expect(got).toEqual(['hello first']);
  });

  it('fails clearly when the introduction point does not know the service', async () => {
    const { peers } = mesh(4);
    const [downloader, intro, rp] = peers;
    await expect(
      connectHiddenService({ node: downloader!.node, subtle, random: rng(1), service: publicKeyFromSeed(rng(2)(32)), introPath: [intro!.key], rendezvousPath: [rp!.key] }),
    ).rejects.toThrow(/does not introduce/);
  });

  it('drops a message tampered with on the way, and keeps the session', async () => {
    const { session, sessions } = await meetDirectly(3);
    await until(() => sessions.length === 1, 'session');
    const got: string[] = [];
    sessions[0]!.onData = (d) => got.push(new TextDecoder().decode(d));
    await session.circuit.send(rng(10)(64)); // not sealed with the session keys
    await session.send(new TextEncoder().encode('genuine'));
    await until(() => got.length === 1, 'the genuine message');
    expect(got).toEqual(['genuine']);
    expect(sessions[0]!.rejected).toBe(1);
  });

  it('a seeder whose first way to the rendezvous point fails (a relay just left) tries another', async () => {
    const gone = rng(99)(32); // a relay no longer there: building through it fails
    let tries = 0;
    const { sessions } = await meetDirectly(31, undefined, () => (tries++ === 0 ? [gone] : []));
    await until(() => sessions.length === 1, 'the seeder side of the session');
    expect(tries).toBe(2);
  });


  it('an attacker cannot take a seeder\'s place at its introduction point: a replayed establish-intro is refused, another key for the swarm is refused, and introductions still reach the seeder', async () => {
    // 0 downloader, 1 introduction point, 2 rendezvous point, 3 seeder, 4 attacker
    const { peers } = mesh(5);
    const [downloader, intro, rp, seeder, attacker] = peers;
    const serviceSeed = rng(41)(32);
    const lookup = rng(42)(32);
    const descriptor = signDescriptor(serviceSeed, { lookup, issuedAt: BigInt(NOW), expiresAt: BigInt(NOW + DESCRIPTOR_LIFETIME_MS), introPoints: [intro!.key] });
    // The seeder establishes by hand, so the test sees the proof it sent.
    const seederCircuit = await seeder!.node.build([intro!.key]);
    let seen: Uint8Array | undefined;
    await seederCircuit.establishIntro(descriptor, (binding) => (seen = signIntroProof(serviceSeed, binding, descriptor)));

    // Replay: the attacker sends the seeder's descriptor and its very proof on a circuit of its own.
    const replay = await attacker!.node.build([intro!.key]);
    await expect(replay.establishIntro(descriptor, () => seen!)).rejects.toThrow(/not introduced there/);
    // Squatting: a descriptor for the same swarm under the attacker's own key, validly signed and proven.
    const ownSeed = rng(43)(32);
    const own = signDescriptor(ownSeed, { lookup, issuedAt: BigInt(NOW), expiresAt: BigInt(NOW + DESCRIPTOR_LIFETIME_MS), introPoints: [intro!.key] });
    const squat = await attacker!.node.build([intro!.key]);
    await expect(squat.establishIntro(own, (binding) => signIntroProof(ownSeed, binding, own))).rejects.toThrow(/not introduced there/);

    // The introduction point still answers with the seeder's descriptor only, and passes offers to the seeder.
    expect(intro!.node.introducedDescriptors(lookup)).toEqual([descriptor]);
    let offers = 0;
    seederCircuit.onIntroduce = () => void offers++;
    await expect(
      connectHiddenService({ node: downloader!.node, subtle, random: rng(44), service: publicKeyFromSeed(ownSeed), introPath: [intro!.key], rendezvousPath: [rp!.key] }),
    ).rejects.toThrow(/does not introduce/);
    const attempt = connectHiddenService({ node: downloader!.node, subtle, random: rng(45), service: publicKeyFromSeed(serviceSeed), introPath: [intro!.key], rendezvousPath: [rp!.key] });
    attempt.catch(() => undefined); // the seeder here does not answer; only the offer's arrival matters
    await until(() => offers === 1, 'the offer to reach the seeder');
  });

  it('a replayed introduction builds nothing: the seeder answers an offer once, whichever way it comes again', async () => {
    const { peers } = mesh(4);
    const [attacker, intro, rp, seeder] = peers;
    const serviceSeed = rng(91)(32);
    await publishHiddenService({ node: seeder!.node, subtle, random: rng(92), serviceSeed, now: () => NOW, lookup: rng(93)(32), introPaths: [[intro!.key]], relaysTo: () => [], onSession: () => undefined });
    // Every circuit the seeder builds is one more sample of its first hops: count them.
    let built = 0;
    const build = seeder!.node.build.bind(seeder!.node);
    seeder!.node.build = (path, onData) => {
      built++;
      return build(path, onData);
    };
    const service = publicKeyFromSeed(serviceSeed);
    const x = clientStart(rng(94));
    const sealed = await sealIntroduction(x, staticPublicKeyOf(service), { cookie: rng(95)(20), rendezvous: rp!.key });
    const wait = await attacker!.node.build([rp!.key]);
    await wait.waitAt(rng(95)(20));
    for (let i = 0; i < 3; i++) {
      const c = await attacker!.node.build([intro!.key]);
      await c.introduce({ service, X: x.publicKey, sealed });
      await c.close();
    }
    await until(() => built >= 1, 'the first offer to be answered');
    // The two replays went through the introduction point (acknowledged) and were dropped by the seeder.
    const fresh = clientStart(rng(96));
    const c = await attacker!.node.build([intro!.key]);
    await c.introduce({ service, X: fresh.publicKey, sealed: await sealIntroduction(fresh, staticPublicKeyOf(service), { cookie: rng(97)(20), rendezvous: rp!.key }) });
    await until(() => built === 2, 'a fresh offer to be answered');
    expect(built).toBe(2);
  });

  it('counts what the seeder did with introductions: a requester that sends its introduction twice gets one rendezvous circuit, through the seeder\'s relay', async () => {
    // 0 downloader, 1 introduction point, 2 rendezvous point, 3 the seeder's relay, 4 seeder
    const { peers } = mesh(5);
    const [downloader, intro, rp, s1, seeder] = peers;
    const serviceSeed = rng(101)(32);
    const stats = emptyIntroductionStats();
    await publishHiddenService({ node: seeder!.node, subtle, random: rng(102), serviceSeed, now: () => NOW, lookup: rng(103)(32), introPaths: [[intro!.key]], relaysTo: () => [s1!.key], onSession: () => undefined, stats });
    let sent = 0;
    const session = await connectHiddenService({
      node: downloader!.node,
      subtle,
      random: rng(104),
      service: publicKeyFromSeed(serviceSeed),
      introPath: [intro!.key],
      rendezvousPath: [rp!.key],
      introductionTap: async (send) => {
        for (let i = 0; i < 2; i++, sent++) await send();
      },
    });
    expect(sent).toBe(2); // both acknowledged by the introduction point
    await until(() => stats.replayed === 1, 'the replay to reach the seeder');
    expect(stats).toMatchObject({ answered: 1, replayed: 1, overRate: 0, unopened: 0 });
    expect([...stats.rendezvousFirstHops]).toEqual([[toHex(s1!.key), 1]]);
    await session.close();
  });

  it('closes the circuit it built for an offer whose rendezvous point no one waits at (an attacker sampling first hops)', async () => {
    const { peers } = mesh(4);
    const [attacker, intro, rp, seeder] = peers;
    const serviceSeed = rng(111)(32);
    const stats = emptyIntroductionStats();
    await publishHiddenService({ node: seeder!.node, subtle, random: rng(112), serviceSeed, now: () => NOW, lookup: rng(113)(32), introPaths: [[intro!.key]], relaysTo: () => [], onSession: () => undefined, stats });
    const service = publicKeyFromSeed(serviceSeed);
    const x = clientStart(rng(114));
    const c = await attacker!.node.build([intro!.key]);
    await c.introduce({ service, X: x.publicKey, sealed: await sealIntroduction(x, staticPublicKeyOf(service), { cookie: rng(115)(20), rendezvous: rp!.key }) });
    await until(() => stats.rendezvousFirstHops.get(toHex(rp!.key)) === 1, 'the rendezvous circuit to be built');
    // Only its introduction circuit stays.
    await until(() => seeder!.node.originatedCircuits().length === 1, 'the useless circuit to close');
    expect(stats.answered).toBe(1);
  });
});
