/**
 * Downloads through exit relays (glue; no DOM): every download that asks for
 * it keeps one circuit to an exit relay (exit-choice.ts) with up to
 * EXIT_STREAMS_PER_DOWNLOAD streams into the public swarm, each handed to the
 * download's torrent as a peer. A stream that ends is replaced while the
 * download wants peers; a circuit that breaks, or cannot be built, is
 * replaced through another exit (the failed one avoided), with growing pauses
 * while none works; an exit whose peer sent junk is dropped at once. Like
 * HiddenSwarms.reach, it never gives up while the download is listed: a
 * torrent client never stops looking for peers.
 *
 * The Files page shows status(infoHash) per download:
 *   no-exit    "No exit relay connected" + lastError (says why, and that
 *              "Download directly" works without relays); nextTryAt.
 *   connecting "Reaching the swarm through exit <exit, short>…"
 *   connected  "<streams> peers through exit <exit, short>"
 *   waiting    lastError (what failed) and "trying again in <nextTryAt − now>".
 */
import { toHex, fromHex } from '../codec/bytes.ts';
import type { OriginCircuit } from '../circuits/circuit-node.ts';
import { CircuitError } from '../circuits/errors.ts';
import { EXIT_STREAMS_PER_DOWNLOAD } from './constants.ts';
import { ExitCircuitClient, ExitStreamError, type ExitConnection, type Misbehaviour } from './exit-client.ts';
import { chooseExit, ExitAvoidance } from './exit-choice.ts';

/** How often downloads are looked over: new ones start, pauses that ended are retried. */
const EXIT_TICK_MS = 1_000;
/** The first pause after a failure; it doubles with each failure in a row. */
const RETRY_MS = 1_000;
/** The longest pause: exits and swarm peers come and go, so a download keeps trying at least this often. */
const RETRY_MAX_MS = 30_000;

/** What the circuits offer (CircuitService, or a test's mesh). */
export interface ExitRoutes {
  /** Announced exits we are directly connected to, not ourselves. */
  exits(): Uint8Array[];
  isFraudster(key: Uint8Array): boolean;
  /** `count` relays for the front of a circuit, none in `exclude`; throws CircuitError 'no-relays' when there are too few. */
  pickRelays(count: number, exclude: readonly Uint8Array[]): Uint8Array[];
  build(path: Uint8Array[], onData: (data: Uint8Array) => void): Promise<OriginCircuit>;
}

/** A download to reach through exits. `hops`: peers on the circuit, the exit included (1: the exit alone). */
export interface ExitDownload {
  infoHash: string;
  hops: number;
  /** What begins name (begin-trackers.ts). */
  trackers: string[];
}

/** Where exit connections go (SharingService). */
export interface ExitSwarms {
  /** Downloads to reach through exits now (listed, not complete). */
  exitDownloads(): ExitDownload[];
  /** Whether the torrent still wants peers. */
  wantsPeers(infoHash: string): boolean;
  addConnection(infoHash: string, connection: ExitConnection): void;
}

export interface ExitDownloadStatus {
  state: 'no-exit' | 'connecting' | 'connected' | 'waiting';
  /** The exit in use or being reached (hex). */
  exit?: string | undefined;
  /** Streams connected to swarm peers now. */
  streams: number;
  /** What failed last, in words for the user. */
  lastError?: string | undefined;
  /** When the next try is due (no-exit, waiting). */
  nextTryAt?: number | undefined;
}

export interface ExitDownloadsDeps {
  now(): number;
  random(): number;
}

const ignore = (): void => undefined;
const short = (key: Uint8Array): string => toHex(key).slice(0, 8);

/** One download's exit circuit and its streams. */
class DownloadExit {
  private download: ExitDownload | undefined;
  private client: ExitCircuitClient | undefined;
  private exit: Uint8Array | undefined;
  private building = false;
  private stopped = false;
  private kicked = false;
  private readonly connections = new Set<ExitConnection>();
  /** Failures in a row, of circuits (builds, breaks) and of begins; each doubles its pause. */
  private buildFailures = 0;
  private beginFailures = 0;
  private nextBuildAt = 0;
  private nextBeginAt = 0;
  private noExit = false;
  private lastError: string | undefined;

  constructor(
    private readonly routes: ExitRoutes,
    private readonly swarms: ExitSwarms,
    private readonly avoidance: ExitAvoidance,
    private readonly deps: ExitDownloadsDeps,
  ) {}

  /** Does what is due now: build a circuit, or begin streams up to EXIT_STREAMS_PER_DOWNLOAD. */
  step(d: ExitDownload): void {
    this.download = d;
    if (this.stopped) return;
    const now = this.deps.now();
    const client = this.client;
    if (client === undefined) {
      if (!this.building && now >= this.nextBuildAt) void this.build(d);
      return;
    }
    if (!this.swarms.wantsPeers(d.infoHash)) return;
    // The exit takes MAX_BEGINS_PER_CIRCUIT begins over a circuit's life: a spent circuit makes way for a new one.
    if (client.beginsLeft === 0) {
      if (client.openStreams === 0) this.drop(client);
      return;
    }
    // Bounded: a begin refused before it counts (trackers a begin cannot carry) must not spin here.
    for (let i = 0; i < EXIT_STREAMS_PER_DOWNLOAD && client.openStreams < EXIT_STREAMS_PER_DOWNLOAD && client.beginsLeft > 0 && now >= this.nextBeginAt; i++) this.begin(client, d);
  }

  status(): ExitDownloadStatus {
    const streams = this.connections.size;
    const known = { streams, exit: this.exit === undefined ? undefined : toHex(this.exit), lastError: this.lastError };
    if (streams > 0) return { ...known, state: 'connected', lastError: undefined };
    if (this.building || (this.client?.openStreams ?? 0) > 0) return { ...known, state: 'connecting' };
    const nextTryAt = this.client === undefined ? this.nextBuildAt : this.nextBeginAt;
    return { ...known, state: this.noExit ? 'no-exit' : 'waiting', nextTryAt };
  }

  stop(): void {
    this.stopped = true;
    const client = this.client;
    this.client = undefined;
    void client?.close();
  }

  private async build(d: ExitDownload): Promise<void> {
    const choice = chooseExit(this.routes.exits(), { isFraudster: (k) => this.routes.isFraudster(k), avoidance: this.avoidance, random: this.deps.random });
    if (choice.kind === 'no-exit') {
      this.noExit = true;
      this.exit = undefined;
      this.lastError = choice.message;
      this.nextBuildAt = this.pause('build');
      return;
    }
    const exit = choice.exit;
    this.noExit = false;
    this.exit = exit;
    this.building = true;
    try {
      const path = [...(d.hops > 1 ? this.routes.pickRelays(d.hops - 1, [exit]) : []), exit];
      const client = await ExitCircuitClient.open((p, onData) => this.routes.build(p, onData), path);
      if (this.stopped) return void client.close();
      client.onBroken = (reason) => this.lost(client, `the circuit to exit ${short(exit)} broke (${reason})`, 'failed');
      client.onMisbehaved = (why: Misbehaviour) => this.lost(client, `a peer reached through exit ${short(exit)} sent ${why === 'hash-failures' ? 'data that failed hash checks' : 'data we did not ask for'}; that exit is avoided for now`, 'cheated');
      this.client = client;
      this.nextBeginAt = 0; // what held the last circuit's begins back was about its exit
    } catch (err) {
      // Too few relays for the hops asked is not the exit's fault.
      if (!(err instanceof CircuitError && err.code === 'no-relays')) this.avoidance.failed(exit);
      this.lastError = `could not build a circuit to exit ${short(exit)}: ${(err as Error).message}`;
      this.nextBuildAt = this.pause('build');
    } finally {
      this.building = false;
      this.kick();
    }
  }

  private begin(client: ExitCircuitClient, d: ExitDownload): void {
    client.begin(fromHex(d.infoHash), d.trackers).then(
      (connection) => {
        if (this.stopped || this.client !== client) return void connection.destroy();
        this.buildFailures = 0;
        this.beginFailures = 0;
        this.lastError = undefined;
        this.connections.add(connection);
        // Its end reason is kept on it; WebTorrent listens for errors of its own.
        connection.on('error', ignore);
        connection.once('close', () => {
          this.connections.delete(connection);
          // Replaced after a pause when the far side ended it: an exit whose streams all end at once must not keep us beginning in a loop.
          const why = connection.endReason;
          if (why !== 'done' && why !== 'circuit-closed' && why !== 'circuit-broken') this.nextBeginAt = Math.max(this.nextBeginAt, this.deps.now() + RETRY_MS);
          this.kick();
        });
        this.swarms.addConnection(d.infoHash, connection);
      },
      (err: Error) => {
        if (this.stopped || this.client !== client) return;
        const reason = err instanceof ExitStreamError ? err.reason : undefined;
        if (reason === 'circuit-broken' || reason === 'circuit-closed') return; // onBroken, or we dropped it
        this.lastError = `exit ${short(client.exitKey)}: ${err.message}`;
        // The exit will not serve this download (its policy, a protocol fault, it stopped exiting): another exit.
        if (reason === 'policy' || reason === 'protocol' || reason === 'exit-off') return this.lost(client, this.lastError, 'failed');
        // No peer (yet), a timeout, a limit, a begin we could not encode: ask again after a pause.
        this.nextBeginAt = this.pause('begin');
      },
    );
  }

  /** The circuit is of no more use: close it, avoid its exit, and build another (at once after junk). */
  private lost(client: ExitCircuitClient, message: string, how: 'failed' | 'cheated'): void {
    if (this.client !== client) return;
    if (how === 'cheated') this.avoidance.cheated(client.exitKey);
    else this.avoidance.failed(client.exitKey);
    this.lastError = message;
    this.nextBuildAt = how === 'cheated' ? this.deps.now() : this.pause('build');
    this.drop(client);
  }

  private drop(client: ExitCircuitClient): void {
    if (this.client === client) this.client = undefined;
    void client.close();
    this.kick();
  }

  /** When the next try of this kind is due, the pause doubling with each failure in a row. */
  private pause(kind: 'build' | 'begin'): number {
    const failures = kind === 'build' ? this.buildFailures++ : this.beginFailures++;
    return this.deps.now() + Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** failures);
  }

  /** Steps again soon (once, however many events ask): a stream ended, a circuit came or went. */
  private kick(): void {
    if (this.kicked || this.stopped) return;
    this.kicked = true;
    queueMicrotask(() => {
      this.kicked = false;
      if (this.download !== undefined) this.step(this.download);
    });
  }
}

export class ExitDownloads {
  private readonly runners = new Map<string, DownloadExit>();
  private readonly avoidance: ExitAvoidance;
  private readonly deps: ExitDownloadsDeps;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly routes: ExitRoutes,
    private readonly swarms: ExitSwarms,
    deps: Partial<ExitDownloadsDeps> = {},
  ) {
    this.deps = { now: deps.now ?? Date.now, random: deps.random ?? Math.random };
    this.avoidance = new ExitAvoidance(this.deps.now);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), EXIT_TICK_MS);
    this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const r of this.runners.values()) r.stop();
    this.runners.clear();
  }

  /** Looks over the downloads now (the timer does every EXIT_TICK_MS): new ones start, those gone stop, due retries run. */
  tick(): void {
    const wanted = this.swarms.exitDownloads();
    const listed = new Set(wanted.map((d) => d.infoHash));
    for (const [infoHash, r] of this.runners) {
      if (listed.has(infoHash)) continue;
      r.stop();
      this.runners.delete(infoHash);
    }
    for (const d of wanted) {
      let r = this.runners.get(d.infoHash);
      if (r === undefined) this.runners.set(d.infoHash, (r = new DownloadExit(this.routes, this.swarms, this.avoidance, this.deps)));
      r.step(d);
    }
  }

  /** Where reaching the swarm of a download through exits stands; undefined when it is not one. */
  status(infoHash: string): ExitDownloadStatus | undefined {
    return this.runners.get(infoHash)?.status();
  }
}
