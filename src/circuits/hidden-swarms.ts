/**
 * Hidden swarms in the tab (browser glue): a seeder hides a torrent behind
 * introduction points; a downloader looks it up among peers and meets the
 * seeder at a rendezvous point; the WebTorrent wire then runs over the
 * end-to-end circuit. The protocol is in hidden-service.ts; the lookup
 * (/trustmesh/hidden-lookup/2.0.0, lookup-router.ts) asks direct peers, who
 * ask theirs while the ttl lasts, each once per request id: no central index.
 * A downloader uses only descriptors validly signed for the infohash it asked
 * about (descriptors.ts); a seeder signs with the swarm's kept service key.
 */
import type { Libp2p } from 'libp2p';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { fromHex, toHex } from '../codec/bytes.ts';
import { verifyEd25519 } from '../crypto/signature.ts';
import { directPeers, isDirectConnection } from '../net/direct.ts';
import type { CircuitService } from './circuit-service.ts';
import { connectionOver, type CircuitConnection } from './circuit-connection.ts';
import { CircuitError } from './errors.ts';
import type { HiddenDescriptor } from './descriptor-wire.ts';
import { rankDescriptors, type DescriptorCheck } from './descriptors.ts';
import { connectHiddenService, emptyIntroductionStats, lookupKeyOf, publishHiddenService } from './hidden-service.ts';
import { IdbServiceKeyStore } from './idb-service-keys.ts';
import { GuardSet } from './guards.ts';
import { localGuardStore, type GuardStore } from './local-guard-store.ts';
import { LookupRouter } from './lookup-router.ts';
import { decodeLookupRequest, decodeLookupResponse, encodeLookupRequest, encodeLookupResponse, LOOKUP_PROTOCOL, LOOKUP_REQUEST_BYTES, MAX_LOOKUP_RESPONSE_BYTES, type LookupRequest } from './lookup-wire.ts';
import type { CircuitSeams } from './seams.ts';
import type { ServiceKeyStore } from './service-keys.ts';

/** A lookup that gets no answer within this moves on. */
const LOOKUP_TIMEOUT_MS = 5_000;
/** Lookups a reach makes before it says no one knows the swarm (about 7 s of asking in all). */
const LOOKUP_ATTEMPTS = 4;
/** The first pause between lookups; it doubles. */
const LOOKUP_RETRY_MS = 1_000;
/** Introduction points per hidden swarm: one more keeps it reachable when one leaves. */
const INTRO_POINTS = 2;
/** Publications tried on fresh paths before hide() gives up (keepHiding goes on, with backoff). */
const PUBLISH_TRIES = 3;

/** Where hidden connections go: the sharing service's torrents. */
export interface SwarmAccess {
  addConnection(infoHash: string, connection: CircuitConnection): void;
  /** Whether we still want peers for this torrent (it is here and not complete). */
  wantsPeers(infoHash: string): boolean;
  /** Hidden torrents we hold complete (to publish again after a reload). */
  hiddenSeeds(): string[];
  /** Hidden downloads not complete, with the relay hops they were asked with: we keep reaching for their seeders. */
  hiddenDownloads(): { infoHash: string; hops: number | undefined }[];
}

/** Where reaching the hidden seeder of a download stands, for the Files page. */
export interface ReachStatus {
  /** looking: a try is under way; connected: a hidden seeder is a peer; waiting: the last try failed or the seeder left, the next try is at `nextTryAt`. */
  state: 'looking' | 'connected' | 'waiting';
  /** Tries that failed so far. */
  failures: number;
  /** Why the last try failed. */
  lastError?: string | undefined;
  nextTryAt?: number | undefined;
}

/** Relay hops for swarms hidden again after a reload (the Files page's default). */
const RESUME_HOPS = 1;
/** After a reload, how often we try to hide our hidden seeds again (peers and stored data take a moment). */
const RESUME_EVERY_MS = 3_000;
/** Tries before resuming gives up (about two minutes). */
const MAX_RESUME_TRIES = 40;

/** After a hidden connection drops mid-download, wait this long (doubling) before reaching again. */
const REACH_RETRY_MS = 1_000;
/**
 * The longest pause between tries: a download keeps reaching for its seeder as
 * long as it wants peers (a torrent client never stops looking for peers), but
 * a dead relay's connection lingers ~30 s and a rendezvous waits 60 s, so early
 * tries may all fail.
 */
const REACH_RETRY_MAX_MS = 30_000;

/** Why lookup answers were not used (descriptors.ts): forged, for another swarm, out of date. */
export type DiscardReason = Extract<DescriptorCheck, { ok: false }>['reason'];

export interface HiddenSwarmsDeps {
  /** Each hidden swarm's service key, kept across publishes and reloads (IndexedDB by default). */
  serviceKeys?: ServiceKeyStore;
  /** Where the guard relays are kept (localStorage, per identity, by default). */
  guardStore?: GuardStore;
  /** A test build's fault seams; empty in production. */
  seams?: CircuitSeams | undefined;
}

export class HiddenSwarms {
  private readonly published = new Map<string, { close(): Promise<void> }>();
  /** Downloads we reach for, each with its status and its first outcome. */
  private readonly reachers = new Map<string, { status: ReachStatus; first: Promise<void> }>();
  private readonly router: LookupRouter;
  /** The service key that last gave us a working seeder, by infohash: preferred next time (trust on first use). */
  private readonly workedBefore = new Map<string, Uint8Array>();
  private readonly serviceKeys: ServiceKeyStore;
  private readonly guardStore: GuardStore;
  private readonly seams: CircuitSeams;
  /** Lookup answers we did not use, by why. */
  private readonly discarded = new Map<DiscardReason, number>();
  /** What our hidden swarms did with introductions, all publications together. */
  private readonly introductions = emptyIntroductionStats();

  constructor(
    private readonly libp2p: Libp2p,
    private readonly circuits: CircuitService,
    private readonly swarms: SwarmAccess,
    deps: HiddenSwarmsDeps = {},
  ) {
    this.serviceKeys = deps.serviceKeys ?? new IdbServiceKeyStore();
    this.guardStore = deps.guardStore ?? localGuardStore(toHex(circuits.publicKey));
    this.seams = deps.seams ?? {};
    this.guards = new GuardSet(this.guardStore.load(), Date.now, Math.random);
    this.router = new LookupRouter({
      now: Date.now,
      random: (n) => crypto.getRandomValues(new Uint8Array(n)),
      own: (lookup) => {
        const own = this.circuits.node.introducedDescriptors(lookup);
        return this.seams.lookupAnswers?.(lookup, own) ?? own;
      },
      neighbours: (except) => this.directPeers(except === undefined ? [] : [except]),
      ask: (peer, request) => this.ask(peer, request),
    });
  }

  private resumeTimer: ReturnType<typeof setInterval> | undefined;

  /**
   * Hides again, once they are verified and enough peers are connected to
   * relay, the hidden torrents we seeded before a reload.
   */
  resume(): void {
    let tries = 0;
    this.resumeTimer = setInterval(() => {
      if (++tries > MAX_RESUME_TRIES) return clearInterval(this.resumeTimer);
      for (const infoHash of this.swarms.hiddenSeeds()) void this.hide(infoHash, RESUME_HOPS).catch(() => undefined); // tried again next round
      // Hidden downloads kept over the reload reach for their seeders again (reach retries by itself; a second call joins the first).
      for (const d of this.swarms.hiddenDownloads()) void this.reach(d.infoHash, d.hops ?? RESUME_HOPS).catch(() => undefined);
    }, RESUME_EVERY_MS);
  }

  async start(): Promise<void> {
    await this.libp2p.handle(
      LOOKUP_PROTOCOL,
      async (stream, connection) => {
        try {
          const lp = lpStream(stream, { maxDataLength: LOOKUP_REQUEST_BYTES });
          const req = decodeLookupRequest((await lp.read({ signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) })).subarray());
          const answers = await this.router.answer(req, connection.remotePeer.toString());
          await lp.write(encodeLookupResponse(answers));
          await stream.close();
        } catch (err) {
          stream.abort(err as Error);
        }
      },
      { maxInboundStreams: 16 },
    );
  }

  private directPeers(except: string[] = []): string[] {
    return directPeers(this.libp2p)
      .map((p) => p.id)
      .filter((id) => !except.includes(id));
  }

  private async ask(peerId: string, request: LookupRequest): Promise<Uint8Array[]> {
    const connection = this.libp2p.getConnections(peerIdFromString(peerId)).find(isDirectConnection);
    if (connection === undefined) return [];
    const signal = AbortSignal.timeout(LOOKUP_TIMEOUT_MS);
    const stream = await connection.newStream(LOOKUP_PROTOCOL, { signal });
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_LOOKUP_RESPONSE_BYTES });
      await lp.write(encodeLookupRequest(request), { signal });
      const answers = decodeLookupResponse((await lp.read({ signal })).subarray());
      await stream.close().catch(() => undefined);
      return answers;
    } catch (err) {
      stream.abort(err as Error);
      return [];
    }
  }

  /**
   * Finds the hidden swarm of `infoHash` (hex): the descriptors that are
   * validly signed for it and not expired, best first (rankDescriptors).
   * Forged ones, and ones for another swarm, are dropped here.
   */
  async lookup(infoHash: string): Promise<HiddenDescriptor[]> {
    const lookup = lookupKeyOf(fromHex(infoHash));
    const answers = await this.router.lookup(lookup);
    const discard = (c: { reason: DiscardReason }): void => void this.discarded.set(c.reason, (this.discarded.get(c.reason) ?? 0) + 1);
    return rankDescriptors(answers, lookup, Date.now(), verifyEd25519, this.workedBefore.get(infoHash), discard);
  }

  /** Lookup answers not used so far, by why (forged ones, for another swarm, out of date). */
  discardedAnswers(): Partial<Record<DiscardReason, number>> {
    return Object.fromEntries(this.discarded);
  }

  /** What our hidden swarms did with the introductions they received, and the first hop of each rendezvous circuit. */
  introductionStats(): { answered: number; replayed: number; overRate: number; unopened: number; rendezvousFirstHops: Record<string, number> } {
    return { ...this.introductions, rendezvousFirstHops: Object.fromEntries(this.introductions.rendezvousFirstHops) };
  }

  /** Our guard relays (keys, hex): the only first hops of our hidden swarms' circuits. */
  guardKeys(): string[] {
    return this.guards.keys();
  }

  /** Hides our seeding of `infoHash` behind introduction points reached over `hops` relays. */
  async hide(infoHash: string, hops: number): Promise<void> {
    if (this.published.has(infoHash) || this.hiding.has(infoHash)) return;
    this.hiding.add(infoHash);
    try {
      await this.publish(infoHash, hops);
    } finally {
      this.hiding.delete(infoHash);
    }
  }

  private readonly hiding = new Set<string>();
  private readonly guards: GuardSet;

  /**
   * A hidden seeder's path to `target` (an introduction or rendezvous point):
   * its first hop one of our guards (guards.ts), so introductions cannot be
   * used to walk the seeder's first hops until one is the attacker's.
   */
  private guardedPath(hops: number, target: Uint8Array): Uint8Array[] {
    const connected = this.circuits.relayCandidates([target]).map((k) => toHex(k));
    const guard = this.guards.firstHop(connected, new Set([toHex(target)]));
    this.guardStore.save(this.guards.serialize());
    if (guard === undefined) throw new CircuitError('no-relays', 'none of your guard relays is connected now; your hidden swarm waits for one of them to come back');
    const first = fromHex(guard);
    return [first, ...(hops > 1 ? this.circuits.pickRelays(hops - 1, [target, first]) : []), target];
  }

  private async publish(infoHash: string, hops: number): Promise<void> {
    // Each introduction point needs `hops` other relays in front of it.
    await this.circuits.relaysKnown();
    const count = Math.min(INTRO_POINTS, this.circuits.relayCandidates().length - hops);
    if (count < 1) throw new CircuitError('no-relays', `hiding a swarm behind ${hops} ${hops === 1 ? 'hop' : 'hops'} needs at least ${hops + 1} connected relays; wait for more peers and try again`);
    const serviceSeed = await this.serviceKeys.seedFor(infoHash);
    let published: Awaited<ReturnType<typeof publishHiddenService>> | undefined;
    // A relay on a path may have just left, or lost its link to the next: fresh paths, like a rendezvous circuit.
    for (let attempt = 1; published === undefined; attempt++) {
      const intros = this.circuits.pickRelays(count, []);
      try {
        published = await publishHiddenService({
          node: this.circuits.node,
          subtle: crypto.subtle,
          random: (n) => crypto.getRandomValues(new Uint8Array(n)),
          serviceSeed,
          now: Date.now,
          lookup: lookupKeyOf(fromHex(infoHash)),
          introPaths: intros.map((intro) => this.guardedPath(hops, intro)),
          relaysTo: (rp) => this.guardedPath(hops, rp).slice(0, -1),
          onSession: (session) => this.swarms.addConnection(infoHash, connectionOver(session)),
          stats: this.introductions,
        });
      } catch (err) {
        if (attempt >= PUBLISH_TRIES || (err instanceof CircuitError && err.code === 'no-relays')) throw err;
      }
    }
    const done = published;
    this.published.set(infoHash, done);
    // An introduction point that leaves (or a relay on the way to it) takes the swarm's reachability with it: publish anew.
    for (const intro of done.intros) intro.onBroken = () => this.republish(infoHash, hops, done);
  }

  /**
   * Hides a swarm we just started seeding hidden. If the first try fails (too
   * few relays yet, a circuit that timed out), it keeps trying with backoff
   * while we seed it hidden, and rejects with why the first try failed, so the
   * user hears why the swarm is not reachable yet.
   */
  async hideOrKeepTrying(infoHash: string, hops: number): Promise<void> {
    try {
      await this.hide(infoHash, hops);
    } catch (err) {
      this.keepHiding(infoHash, hops);
      throw err;
    }
  }

  /** Closes what is left of a publication and publishes the swarm again, retrying while we still seed it hidden. */
  private republish(infoHash: string, hops: number, broken: { close(): Promise<void> }): void {
    if (this.published.get(infoHash) !== broken) return;
    this.published.delete(infoHash);
    void broken.close();
    this.keepHiding(infoHash, hops);
  }

  /** Hides with backoff until published, while we still seed it hidden. */
  private keepHiding(infoHash: string, hops: number): void {
    let tries = 0;
    const attempt = (): void => {
      if (this.stopped || this.published.has(infoHash) || !this.swarms.hiddenSeeds().includes(infoHash)) return;
      this.hide(infoHash, hops).catch(() => setTimeout(attempt, Math.min(REACH_RETRY_MAX_MS, REACH_RETRY_MS * 2 ** tries++)));
    };
    attempt();
  }

  private stopped = false;

  /**
   * Reaches the hidden seeder of `infoHash` over `hops` relays on our side and
   * adds it as a peer. Whenever no seeder is connected (a try failed, a relay
   * left, a circuit was cut) while the download is still hidden and
   * incomplete, it tries again with backoff: a torrent client never stops
   * looking for peers, and the download stays listed meanwhile. Resolves at the
   * first connection; rejects with the first failure while it goes on trying
   * (`reachStatus` says where it stands). A second call joins the first.
   */
  reach(infoHash: string, hops: number): Promise<void> {
    const known = this.reachers.get(infoHash);
    if (known !== undefined) return known.first;
    const status: ReachStatus = { state: 'looking', failures: 0 };
    let settle!: { resolve: () => void; reject: (err: Error) => void };
    const first = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    first.catch(() => undefined); // callers that do not wait read reachStatus instead
    this.reachers.set(infoHash, { status, first });
    const wanted = (): boolean => !this.stopped && this.swarms.hiddenDownloads().some((d) => d.infoHash === infoHash);
    let retries = 0;
    const attempt = (): void => {
      if (!wanted()) return void this.reachers.delete(infoHash);
      status.state = 'looking';
      status.nextTryAt = undefined;
      this.reachOnce(infoHash, hops).then(
        (connection) => {
          status.state = 'connected';
          status.lastError = undefined;
          settle.resolve();
          connection.once('close', later);
        },
        (err: Error) => {
          status.failures++;
          status.lastError = err.message;
          settle.reject(err);
          later();
        },
      );
    };
    const later = (): void => {
      if (!wanted()) return void this.reachers.delete(infoHash);
      const delay = Math.min(REACH_RETRY_MAX_MS, REACH_RETRY_MS * 2 ** retries++);
      status.state = 'waiting';
      status.nextTryAt = Date.now() + delay;
      setTimeout(attempt, delay);
    };
    attempt();
    return first;
  }

  /** Where reaching the hidden seeder of a download stands; undefined when we are not reaching for it. */
  reachStatus(infoHash: string): ReachStatus | undefined {
    const s = this.reachers.get(infoHash)?.status;
    return s === undefined ? undefined : { ...s };
  }

  private async reachOnce(infoHash: string, hops: number): Promise<CircuitConnection> {
    let descriptors = await this.lookup(infoHash);
    // A seeder that just hid its swarm, or a lookup lost on a busy peer: ask again a few times before giving up.
    for (let attempt = 1; descriptors.length === 0 && attempt < LOOKUP_ATTEMPTS; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, LOOKUP_RETRY_MS * 2 ** (attempt - 1)));
      descriptors = await this.lookup(infoHash);
    }
    if (descriptors.length === 0) throw new CircuitError('no-relays', 'no peer knows an introduction point for this hidden swarm yet (no hidden seeder has answered)');
    await this.circuits.relaysKnown();
    const failures: string[] = [];
    const answers = descriptors.flatMap((d) => d.introPoints.map((introPoint) => ({ service: d.serviceKey, introPoint })));
    for (const a of answers) {
      try {
        const introductionTap = this.seams.introductionTap?.(a.introPoint, a.service);
        const rp = this.circuits.pickRelays(1, [a.introPoint])[0]!;
        const session = await connectHiddenService({
          node: this.circuits.node,
          subtle: crypto.subtle,
          random: (n) => crypto.getRandomValues(new Uint8Array(n)),
          service: a.service,
          introPath: [...this.circuits.pickRelays(hops, [a.introPoint, rp]), a.introPoint],
          rendezvousPath: [...this.circuits.pickRelays(hops, [a.introPoint, rp]), rp],
          introductionTap,
        });
        const connection = connectionOver(session);
        this.workedBefore.set(infoHash, a.service);
        this.swarms.addConnection(infoHash, connection);
        return connection;
      } catch (err) {
        failures.push(`${toHex(a.introPoint).slice(0, 8)}: ${(err as Error).message}`);
      }
    }
    throw new CircuitError('broken', `could not reach the hidden seeder (${failures.join('; ')})`);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.resumeTimer);
    void this.libp2p.unhandle(LOOKUP_PROTOCOL);
    for (const p of this.published.values()) void p.close();
  }
}
