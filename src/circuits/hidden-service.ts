/**
 * Hidden services over circuits: a seeder reachable through introduction
 * points without revealing itself, and downloaders that meet it at a
 * rendezvous point of their choosing. Pure orchestration over CircuitNode.
 *
 *   seeder      signs a descriptor (its service key, the swarm's lookup key,
 *               its introduction points, a lifetime) and builds circuits to
 *               its introduction points (establish-intro: the descriptor and
 *               a proof of the service key bound to that circuit)
 *   downloader  looks the swarm up and keeps only descriptors validly signed
 *               for the infohash it asked about and not expired (descriptors.ts);
 *               builds a circuit to a rendezvous point and waits there under
 *               a random cookie, then asks an introduction point to pass the
 *               offer to the seeder: X, and the cookie and rendezvous point
 *               sealed to the service key (intro-seal.ts), so the
 *               introduction point cannot read them or join first
 *   seeder      refuses a replayed offer and more than its rate (intro-guard.ts),
 *               answers with an ntor handshake against its service key,
 *               builds its own circuit to the rendezvous point and joins
 *   both        talk end to end: each message sealed with the handshake's
 *               keys, so neither relays nor the rendezvous point read it
 *
 * Neither end ever learns the other's identity or address: each sees only
 * the first relay of its own circuits.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex } from '../codec/bytes.ts';
import type { CircuitNode, OriginCircuit } from './circuit-node.ts';
import { COOKIE_BYTES } from './cell-wire.ts';
import { cutForCells } from './cell-chunks.ts';
import { RENDEZVOUS_WAIT_MS } from './constants.ts';
import { CircuitError } from './errors.ts';
import { DESCRIPTOR_LIFETIME_MS, signDescriptor, signIntroProof } from './descriptors.ts';
import { AUTH_BYTES, clientFinish, clientStart, serverRespond, staticKeyFromSeed, staticPublicKeyOf, X25519_KEY_BYTES, type HopKeys, type StaticKey } from './handshake.ts';
import { DELIVER, LAYER_OVERHEAD, LayerCipher } from './layer.ts';
import { IntroGuard } from './intro-guard.ts';
import { openIntroduction, sealIntroduction } from './intro-seal.ts';
import type { IntroductionTap } from './seams.ts';

/** The key a hidden swarm is looked up by: derived from its infohash, so only those who know the torrent can ask. */
export function lookupKeyOf(infoHash: Uint8Array): Uint8Array {
  return sha256(concatBytes(LOOKUP_DOMAIN, infoHash));
}
const LOOKUP_DOMAIN = new TextEncoder().encode('trustmesh hidden swarm v1');


/** A channel between the two ends of a spliced circuit, sealed end to end. */
export class EndToEnd {
  /** Messages that arrived before anyone listened: the other end may start talking first. */
  private early: Uint8Array[] | undefined = [];
  private handler: (data: Uint8Array) => void = (d) => void this.early?.push(d);

  /** Where opened messages go; setting it first delivers what arrived before. */
  set onData(handler: (data: Uint8Array) => void) {
    this.handler = handler;
    const early = this.early ?? [];
    this.early = undefined;
    for (const d of early) handler(d);
  }

  /** Messages that failed to open (tampering on the way): dropped. */
  rejected = 0;

  private constructor(
    readonly circuit: OriginCircuit,
    private readonly tx: LayerCipher,
    private readonly rx: LayerCipher,
  ) {}

  static async create(subtle: SubtleCrypto, circuit: OriginCircuit, keys: HopKeys, side: 'downloader' | 'seeder'): Promise<EndToEnd> {
    const forward = await LayerCipher.create(subtle, keys.forwardKey, keys.forwardNonce);
    const backward = await LayerCipher.create(subtle, keys.backwardKey, keys.backwardNonce);
    return side === 'downloader' ? new EndToEnd(circuit, forward, backward) : new EndToEnd(circuit, backward, forward);
  }

  /** Sends `data` in sealed cells; resolves once the circuit took them. */
  send(data: Uint8Array): Promise<void> {
    // Cut so cells pad little: the wire's writes come batched, and two blocks in one cell would pay for eleven.
    // Sealing takes its nonce now; each cell goes to the circuit only after the one before it, however the
    // encryptions finish (a small cell seals sooner than a full one, and the far end drops cells out of order).
    let turn: Promise<unknown> = Promise.resolve();
    const sent: Promise<void>[] = [];
    for (const chunk of cutForCells(data, LAYER_OVERHEAD)) {
      const sealed = this.tx.seal(DELIVER, chunk);
      const send = Promise.all([sealed, turn]).then(([cell]) => ({ done: this.circuit.send(cell) }));
      turn = send;
      sent.push(send.then((s) => s.done));
    }
    return Promise.all(sent).then(() => undefined);
  }

  async receive(cell: Uint8Array): Promise<void> {
    const opened = await this.rx.open(cell);
    if (opened === undefined || opened.kind !== DELIVER) {
      this.rejected++;
      return;
    }
    this.handler(opened.body);
  }

  close(): Promise<void> {
    return this.circuit.close();
  }
}

export interface HiddenServiceOptions {
  node: CircuitNode;
  subtle: SubtleCrypto;
  random: (n: number) => Uint8Array;
  /**
   * The seed of the swarm's service key (Ed25519), the same on every publish:
   * it signs the descriptor and introduction proofs, and its X25519 form
   * answers downloaders' handshakes.
   */
  serviceSeed: Uint8Array;
  now: () => number;
  /** What downloaders look the service up by (see lookupKeyOf). */
  lookup: Uint8Array;
  /** One path per introduction point, each ending at it. */
  introPaths: Uint8Array[][];
  /** Our relays towards a rendezvous point a downloader chose (the point itself is appended). */
  relaysTo(rendezvous: Uint8Array): Uint8Array[];
  onSession(session: EndToEnd): void;
  /** Where what we did with each introduction is counted (shared by a seeder's publications). */
  stats?: IntroductionStats;
}

/**
 * What a hidden seeder did with the introductions it received: the replay
 * and rate rules, and the guard rule (every rendezvous circuit's first hop),
 * in numbers.
 */
export interface IntroductionStats {
  /** Answered: a rendezvous circuit was built for each. */
  answered: number;
  /** Refused as replays of an offer already answered. */
  replayed: number;
  /** Refused over the rate. */
  overRate: number;
  /** Not sealed to our service key, or altered on the way. */
  unopened: number;
  /** Rendezvous circuits built, by first hop (hex). */
  rendezvousFirstHops: Map<string, number>;
}

export function emptyIntroductionStats(): IntroductionStats {
  return { answered: 0, replayed: 0, overRate: 0, unopened: 0, rendezvousFirstHops: new Map() };
}

/** Makes a hidden service reachable through its introduction points. */
export async function publishHiddenService(o: HiddenServiceOptions): Promise<{ intros: OriginCircuit[]; descriptor: Uint8Array; close(): Promise<void> }> {
  const issuedAt = o.now();
  const descriptor = signDescriptor(o.serviceSeed, {
    lookup: o.lookup,
    issuedAt: BigInt(issuedAt),
    expiresAt: BigInt(issuedAt + DESCRIPTOR_LIFETIME_MS),
    introPoints: o.introPaths.map((p) => p[p.length - 1]!),
  });
  const service = staticKeyFromSeed(o.serviceSeed);
  // One guard for all introduction points: a replay through another point is still a replay.
  const guard = new IntroGuard(o.now);
  const stats = o.stats ?? emptyIntroductionStats();
  const intros: OriginCircuit[] = [];
  try {
    for (const path of o.introPaths) {
      const intro = await o.node.build(path);
      intros.push(intro);
      await intro.establishIntro(descriptor, (binding) => signIntroProof(o.serviceSeed, binding, descriptor));
      intro.onIntroduce = async (offer) => {
        const opened = await openIntroduction(service, offer.X, offer.sealed, o.subtle);
        // Not sealed to our key (or altered), a replay, or over the rate: no circuit is built, so nothing is learned from it.
        if (opened === undefined) return void stats.unopened++;
        const verdict = guard.admit(offer.X);
        if (verdict === 'replay') return void stats.replayed++;
        if (verdict === 'rate') return void stats.overRate++;
        stats.answered++;
        void answerOffer(o, service, { ...opened, X: offer.X }, stats).catch(() => undefined);
      };
    }
  } catch (err) {
    // A point that cannot be reached fails the publication, and the circuits to the others close with it.
    await Promise.all(intros.map((c) => c.close()));
    throw err;
  }
  return { intros, descriptor, close: async () => void (await Promise.all(intros.map((c) => c.close()))) };
}

/** Circuits a seeder tries towards a downloader's rendezvous point: a relay it picks may have just left. */
const RENDEZVOUS_BUILD_TRIES = 3;

async function answerOffer(o: HiddenServiceOptions, service: StaticKey, offer: { cookie: Uint8Array; rendezvous: Uint8Array; X: Uint8Array }, stats: IntroductionStats): Promise<void> {
  const { Y, auth, keys } = serverRespond(service, offer.X, o.random);
  let session: EndToEnd | undefined;
  let circuit: OriginCircuit | undefined;
  for (let attempt = 1; circuit === undefined; attempt++) {
    try {
      const path = [...o.relaysTo(offer.rendezvous), offer.rendezvous];
      circuit = await o.node.build(path, (cell) => void session?.receive(cell));
      const first = toHex(path[0]!);
      stats.rendezvousFirstHops.set(first, (stats.rendezvousFirstHops.get(first) ?? 0) + 1);
    } catch (err) {
      if (attempt >= RENDEZVOUS_BUILD_TRIES) throw err;
    }
  }
  session = await EndToEnd.create(o.subtle, circuit, keys, 'seeder');
  try {
    await circuit.join(offer.cookie);
    // The handshake answer is public (Y and the proof); everything after it is sealed.
    await circuit.send(concatBytes(Y, auth));
  } catch (err) {
    // No one waits there (an offer sent only to make us build), or it left: the circuit serves nothing.
    void circuit.close();
    throw err;
  }
  o.onSession(session);
}

export interface ConnectOptions {
  node: CircuitNode;
  subtle: SubtleCrypto;
  random: (n: number) => Uint8Array;
  /** The service key (Ed25519), from a descriptor the lookup returned and that was checked. */
  service: Uint8Array;
  /** Our path to one of its introduction points (ending at it). */
  introPath: Uint8Array[];
  /** Our path to the rendezvous point we chose (ending at it). */
  rendezvousPath: Uint8Array[];
  /** How the introduction is sent (a test build's seam); by default, once. */
  introductionTap?: IntroductionTap | undefined;
}

/** Reaches a hidden service: meets it at our rendezvous point and returns the sealed channel. */
export async function connectHiddenService(o: ConnectOptions): Promise<EndToEnd> {
  const cookie = o.random(COOKIE_BYTES);
  const ephemeral = clientStart(o.random);
  let session: EndToEnd | undefined;
  let answered: ((cell: Uint8Array) => void) | undefined;
  const answer = new Promise<Uint8Array>((resolve) => (answered = resolve));
  /** Cells after the handshake answer that arrive while the session keys are being set up. */
  const pending: Uint8Array[] = [];
  const circuit = await o.node.build(o.rendezvousPath, (cell) => {
    if (session !== undefined) return void session.receive(cell);
    if (answered !== undefined) {
      answered(cell);
      answered = undefined;
    } else pending.push(cell);
  });
  try {
    // The introduction circuit is built while the rendezvous point takes our place; the cookie goes out once it holds it.
    const placed = circuit.waitAt(cookie);
    placed.catch(() => undefined); // awaited below
    const intro = await o.node.build(o.introPath);
    let joined: Promise<void>;
    try {
      ({ joined } = await placed);
      const sealed = await sealIntroduction(ephemeral, staticPublicKeyOf(o.service), { cookie, rendezvous: o.rendezvousPath[o.rendezvousPath.length - 1]! }, o.subtle);
      const send = (): Promise<void> => intro.introduce({ service: o.service, X: ephemeral.publicKey, sealed });
      await (o.introductionTap === undefined ? send() : o.introductionTap(send));
    } finally {
      await intro.close();
    }
    await joined;
    const first = await withTimeout(answer, RENDEZVOUS_WAIT_MS);
    if (first.length !== X25519_KEY_BYTES + AUTH_BYTES) throw new CircuitError('handshake', 'the service sent no handshake answer');
    const keys = clientFinish(ephemeral, staticPublicKeyOf(o.service), first.subarray(0, X25519_KEY_BYTES), first.subarray(X25519_KEY_BYTES));
    const created = await EndToEnd.create(o.subtle, circuit, keys, 'downloader');
    // In order: the cells that came early first, then the live ones.
    while (pending.length > 0) await created.receive(pending.shift()!);
    session = created;
    return session;
  } catch (err) {
    await circuit.close();
    throw err;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CircuitError('timeout', 'the service did not answer in time')), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e as Error);
      },
    );
  });
}
