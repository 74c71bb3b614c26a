/**
 * Relay load (BENCH=relay-load): RELAY_LOAD_RELAYS real relays (3), federated with
 * each other, each its own process, and N Node libp2p clients on loopback spread
 * over them, doing what a tab short of neighbours does (connect, reserve, ask its
 * relay who is there every 10 s, src/net/walk.ts; announce a swarm to the tracker
 * every 30 s), then attackers trying each exhaustion the relay's limits guard against
 * on the first relay while the others keep being served. Throughout, a sampler
 * process per relay reads its RSS (/proc/<pid>/status VmRSS) and times GET /health,
 * so the figures are the relays', not this busy process's.
 *
 * Knobs: RELAY_LOAD_PEERS (200), RELAY_LOAD_RELAYS (3), RELAY_LOAD_STEADY_MS (20000),
 * RELAY_LOAD_ATTACK_MS (20000), RELAY_LOAD_VERBOSE (progress and the relay's stderr),
 * RELAY_LOAD_RELAY_LOG (a file the relay's output is appended to), RELAY_LOAD_NODE_FLAGS
 * (the relay's V8 flags instead of RELAY_NODE_FLAGS, space-separated; 'none' for node's defaults),
 * RELAY_LOAD_CLIENT_NICE (10) and RELAY_LOAD_CLIENT_CPUS (the last CPU): where the clients run (see CLIENT_NICE),
 * RELAY_LOAD_RAMP_PER_SECOND (10): clients started a second.
 * Besides RSS and /health, each phase reports the relay's event-loop delay measured inside it,
 * its CPU and the clients', and how long its main thread waited for a CPU: on a shared machine
 * a slow /health is often the relay waiting its turn, not the relay working.
 * Everything is on 127.0.0.1, which the relay takes for a local proxy: its
 * per-IP limits do not apply here (relay/*.test.ts cover them); per-peer and
 * per-socket limits do.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { cpus, setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { freePort } from '../e2e/support/ports.ts';
import { waitFor } from '../e2e/support/processes.ts';
import { reserve } from '../relay/test-support.ts';
import { WALK } from '../src/net/walk.ts';
import { buildRelay, RELAY_NODE_FLAGS, RELAY_ROOT, relayNodeArgs } from '../relay/launch.mjs';
import { askRelay, hasReservation, infoHash, startClient, trackerPeerId, trackerSocket, turnedAway, type Client } from './relay-load-clients.ts';
import type { Figure } from './env.ts';

const PEERS = Number(process.env.RELAY_LOAD_PEERS ?? 200);
/** Federated relays the clients are spread over (round robin), as the issue's harness asks. */
const RELAYS = Number(process.env.RELAY_LOAD_RELAYS ?? 3);
/** A newcomer has found the network once it knows this many peers (the issue's figure). */
const FOUND_PEERS = 10;
const STEADY_MS = Number(process.env.RELAY_LOAD_STEADY_MS ?? 20_000);
const ATTACK_MS = Number(process.env.RELAY_LOAD_ATTACK_MS ?? 20_000);
/**
 * Clients started per second while ramping up. Every client here is on 127.0.0.1, which the
 * relay takes for its local proxy (RELAY_LIMITS.loopbackIsProxy), as in production behind one.
 */
const RAMP_PER_SECOND = Number(process.env.RELAY_LOAD_RAMP_PER_SECOND ?? 10);
/** As the app: tracker announces every 30 s (pings: relay-load-clients.ts; PEX: src/net/walk.ts). */
const ANNOUNCE_INTERVAL_MS = 30_000;
/** Honest clients share this many swarms, so the tracker has peers to hand out. */
const SWARMS = 20;
/**
 * The clients share this machine with the relay (2 cores here), which a real relay
 * does not: this process (every honest client) and the attacker it starts run at
 * this nice level, the relay and the sampler at the default 0, so the figures are
 * the relay's own work rather than its wait for a CPU the clients hold. 0 to compare.
 */
const CLIENT_NICE = Number(process.env.RELAY_LOAD_CLIENT_NICE ?? 10);
/**
 * The attacker runs beside the clients, below them: a real attacker has its own machine, and
 * here, at their level, it took half their CPU and stalled their event loop for seconds, so a
 * newcomer (a client of this process) measured the bench's starvation, not the relay's service.
 */
const ATTACKER_NICE = 19;
/**
 * CPUs the clients are pinned to (taskset -c list), or 'all'. By default the last CPU, so the relays
 * have one to themselves as they would in production (measured with one relay and the flood, 1,000
 * peers on 2 cores: /health p95 131 ms steady with the clients on either CPU, 73 ms with them on one).
 */
const CLIENT_CPUS = process.env.RELAY_LOAD_CLIENT_CPUS ?? (cpus().length >= 2 ? String(cpus().length - 1) : 'all');
/** The relay's health sampling period. */
const SAMPLE_MS = 250;

type Phase = 'ramp' | 'steady' | 'attack';

interface Sample extends Reading {
  phase: Phase;
  relay: number;
}

interface RelayChild {
  pid: number;
  p2p: Multiaddr;
  httpUrl: string;
  stop(): Promise<void>;
}

/** `peers`: the other relays' addresses (without ids: a relay learns an id on dialling), for --peer. */
async function spawnRelay(p2pPort: number, httpPort: number, peers: readonly string[]): Promise<RelayChild> {
  const dataDir = await mkdtemp(join(tmpdir(), 'trustmesh-relay-load-'));
  const args = relayNodeArgs(['--port', String(p2pPort), '--http-port', String(httpPort), '--data-dir', dataDir, ...peers.flatMap((p) => ['--peer', p])]);
  const flags = process.env.RELAY_LOAD_NODE_FLAGS;
  // RELAY_LOAD_NODE_FLAGS replaces the relay's V8 flags ('none': node's defaults), to compare them.
  const nodeArgs = flags === undefined ? args : [...(flags === 'none' ? [] : flags.split(' ')), ...args.slice(RELAY_NODE_FLAGS.length)];
  // The relay's stdout (a line per connection) goes straight to a file or nowhere: node writes to a
  // pipe synchronously, so a pipe read by this busy, lower-priority process would stall the relay.
  const relayLog = process.env.RELAY_LOAD_RELAY_LOG;
  const out = relayLog === undefined ? 'ignore' : openSync(relayLog, 'a');
  const child: ChildProcess = spawn(process.execPath, nodeArgs, { cwd: RELAY_ROOT, stdio: ['ignore', out, 'pipe'] });
  if (typeof out === 'number') closeSync(out);
  let errors = '';
  if (process.env.RELAY_LOAD_VERBOSE) child.stderr?.pipe(process.stderr);
  child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const health = async (): Promise<{ peerId: string } | undefined> => (await fetch(`${httpUrl}/health`)).json() as Promise<{ peerId: string }>;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${errors}`))));
  const { peerId } = await Promise.race([waitFor('relay health', health, 30_000), exited]);
  return {
    pid: child.pid!,
    p2p: multiaddr(`/ip4/127.0.0.1/tcp/${p2pPort}/ws/p2p/${peerId}`),
    httpUrl,
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** One sampler reading: the relay's RSS and /health time, and CPU counters (clock ticks) to tell the relay's load from the machine's. */
interface Reading {
  rssKiB: number;
  healthMs: number;
  /** The relay's own event-loop delay, p99 and max over its last window, as /health reports it. */
  loopP99Ms: number;
  loopMaxMs: number;
  /** The relay's JS heap (committed) and its buffers outside the heap, MiB, as /health reports them. */
  heapMiB: number;
  externalMiB: number;
  relayTicks: number;
  benchTicks: number;
  machineBusyTicks: number;
  machineTicks: number;
  /** ns the relay's main thread was ready to run but waited for a CPU (/proc schedstat): the machine's share of its delay. */
  relayWaitNs: number;
}

/** A child process that prints a Reading every SAMPLE_MS, so this process's load does not skew the timing. */
function startSampler(pid: number, healthUrl: string, onSample: (r: Reading) => void): { stop(): void } {
  const script = `
    import { readFileSync } from 'node:fs';
    const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/${pid}/status', 'utf8'))[1]);
    // utime + stime of a process; busy and total ticks of the machine.
    const ticks = (p) => { const f = readFileSync('/proc/' + p + '/stat', 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
    const machine = () => { const f = readFileSync('/proc/stat', 'utf8').split('\\n')[0].trim().split(/\\s+/).slice(1).map(Number); const total = f.reduce((a, b) => a + b, 0); return [total - f[3] - f[4], total]; };
    for (;;) {
      const t = performance.now();
      let ms; let h = {};
      try { h = await (await fetch(${JSON.stringify(healthUrl)}, { signal: AbortSignal.timeout(10000) })).json(); ms = performance.now() - t; } catch { ms = 10000; }
      const loop = h.eventLoopDelay ?? { p99Ms: -1, maxMs: -1 };
      const mem = h.memoryMiB ?? { heapTotal: -1, external: -1 };
      const [busy, total] = machine();
      const wait = Number(readFileSync('/proc/${pid}/task/${pid}/schedstat', 'utf8').split(' ')[1]);
      console.log([rss(), ms.toFixed(2), loop.p99Ms, loop.maxMs, mem.heapTotal, mem.external, ticks(${pid}), ticks(${process.pid}), busy, total, wait].join(' '));
      await new Promise((r) => setTimeout(r, ${SAMPLE_MS}));
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const v = line.split(' ').map(Number);
    if (v.length === 11 && v.every(Number.isFinite)) {
      const [rssKiB, healthMs, loopP99Ms, loopMaxMs, heapMiB, externalMiB, relayTicks, benchTicks, machineBusyTicks, machineTicks, relayWaitNs] = v as [number, number, number, number, number, number, number, number, number, number, number];
      onSample({ rssKiB, healthMs, loopP99Ms, loopMaxMs, heapMiB, externalMiB, relayTicks, benchTicks, machineBusyTicks, machineTicks, relayWaitNs });
    }
  });
  return { stop: () => child.kill('SIGTERM') };
}

/** Lowers this process's priority (and its children's to come) after the relay and sampler started; says what it did. */
function yieldToRelay(): string {
  // Linux nice is per thread: each of this process's threads, and what it spawns later, inherits it.
  for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), CLIENT_NICE);
  if (CLIENT_CPUS !== 'all') spawnSync('taskset', ['-a', '-p', '-c', CLIENT_CPUS, String(process.pid)], { stdio: 'ignore' });
  return `bench clients at nice ${CLIENT_NICE} and attacker at ${Math.max(ATTACKER_NICE, CLIENT_NICE)}${CLIENT_CPUS === 'all' ? '' : ` on CPU ${CLIENT_CPUS}`}, relay and sampler at nice 0 on any CPU`;
}

/** Discovery messages of the honest clients, each way: the walk's requests and the relays' answers. */
const walkMessages = { asked: 0, answered: 0 };

/** A tab-like client: reserved on its relay, walking (asking it who is there), in one tracker swarm. */
interface Honest {
  node: Client;
  ws: WebSocket;
  trackerReplies: number;
  stop(): Promise<void>;
}

async function honestClient(relay: RelayChild, n: number): Promise<Honest> {
  const node = await startClient(relay.p2p, true);
  await waitFor('a reservation', async () => (hasReservation(node) ? true : undefined), 60_000);
  const ws = await trackerSocket(relay.httpUrl);
  const self: Honest = { node, ws, trackerReplies: 0, stop: async () => undefined };
  ws.on('message', () => self.trackerReplies++);
  const announce = (event?: string): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ action: 'announce', event, info_hash: infoHash(n % SWARMS), peer_id: trackerPeerId(n), numwant: 5, offers: [] }));
  };
  announce('started');
  // A client here has no WebRTC, so no neighbours: it walks as a tab short of them does, through its relay.
  const walk = async (): Promise<void> => {
    walkMessages.asked++;
    if ((await askRelay(node, relay.p2p)) !== undefined) walkMessages.answered++;
  };
  const timers = [
    setInterval(() => void walk(), WALK.askRelayWhileShortEveryMs + Math.random() * 100),
    setInterval(() => announce(), ANNOUNCE_INTERVAL_MS),
  ];
  self.stop = async () => {
    for (const t of timers) clearInterval(t);
    ws.terminate();
    await node.stop();
  };
  return self;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/**
 * Time for a newcomer to be served while others load the relay: connect +
 * reserve, a relayed dial to an honest client, a tracker reply; undefined if
 * any step failed.
 */
async function newcomerMs(relay: RelayChild, target: Client): Promise<number | undefined> {
  const start = performance.now();
  let step = 'connect';
  const steps: string[] = [];
  const done = (name: string): void => {
    steps.push(`${step} ${(performance.now() - start).toFixed(0)} ms`);
    step = name;
  };
  const node = await startClient(relay.p2p, true);
  try {
    done('reserve');
    await waitFor('a reservation', async () => (hasReservation(node) ? true : undefined), 30_000);
    done('relayed dial');
    const conn = await node.dial(multiaddr(`${relay.p2p.toString()}/p2p-circuit/p2p/${target.peerId.toString()}`));
    await conn.close();
    done('tracker reply');
    const ws = await trackerSocket(relay.httpUrl);
    const reply = new Promise<void>((r) => ws.once('message', () => r()));
    ws.send(JSON.stringify({ action: 'announce', event: 'started', info_hash: infoHash(0), peer_id: trackerPeerId(999_999), offers: [] }));
    await reply;
    ws.terminate();
    done('');
    if (process.env.RELAY_LOAD_VERBOSE) console.log(`  newcomer: ${steps.join(', ')}`);
    return performance.now() - start;
  } catch (err) {
    if (process.env.RELAY_LOAD_VERBOSE) console.log(`  newcomer failed at ${step} after ${(performance.now() - start).toFixed(0)} ms (${steps.join(', ')}):`, (err as Error).message);
    return undefined;
  } finally {
    await node.stop();
  }
}

/**
 * Time for a newcomer to know FOUND_PEERS peers, as a tab learns them: it asks its relay on connecting,
 * again once reserved, then every 10 s (src/net/walk.ts); undefined if it took over a minute.
 */
async function newcomerFindsMs(relay: RelayChild): Promise<number | undefined> {
  const start = performance.now();
  const node = await startClient(relay.p2p, false);
  const known = new Set<string>();
  const ask = async (): Promise<void> => {
    for (const id of (await askRelay(node, relay.p2p)) ?? []) known.add(id);
  };
  try {
    await ask();
    if (known.size < FOUND_PEERS) {
      await reserve(node, relay.p2p);
      await ask();
    }
    while (known.size < FOUND_PEERS && performance.now() - start < 60_000) {
      await new Promise((r) => setTimeout(r, WALK.askRelayWhileShortEveryMs));
      await ask();
    }
    return known.size >= FOUND_PEERS ? performance.now() - start : undefined;
  } finally {
    await node.stop();
  }
}

/**
 * Runs bench/relay-load-attacker.ts against `relay` for `durationMs` once its peers are connected:
 * `ready` resolves when its attack starts, `figures` when it ends.
 */
function attack(relay: RelayChild, durationMs: number): { ready: Promise<void>; figures: () => Promise<Figure[]> } {
  // nice adds to this process's own level (CLIENT_NICE once yieldToRelay ran).
  const child = spawn('nice', ['-n', String(Math.max(0, ATTACKER_NICE - CLIENT_NICE)), process.execPath, '--import', './relay/polyfill.mjs', '--import', 'tsx', 'bench/relay-load-attacker.ts', relay.p2p.toString(), relay.httpUrl, String(durationMs)],
    { cwd: resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  let started = (): void => undefined;
  const ready = new Promise<void>((r) => (started = r));
  const figures = new Promise<Figure[]>((resolveFigures, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') started();
      if (line.startsWith('figures ')) resolveFigures(JSON.parse(line.slice('figures '.length)) as Figure[]);
    });
    child.once('exit', (code) => reject(new Error(`the attacker exited with ${code} before reporting`)));
  });
  return { ready: Promise.race([ready, figures.then(() => undefined)]), figures: () => figures };
}

/**
 * RELAYS relays, each configured with the first only (a bare address: the id is learnt on dialling),
 * the rest met through the relays' DHT, once all are federated with all.
 */
async function spawnFederation(): Promise<RelayChild[]> {
  await buildRelay();
  const ports: [number, number][] = [];
  for (let r = 0; r < RELAYS; r++) ports.push([await freePort(), await freePort()]);
  const bare = ports.map(([p2p]) => `/ip4/127.0.0.1/tcp/${p2p}/ws`);
  const relays = await Promise.all(ports.map(([p2p, http], r) => spawnRelay(p2p, http, r === 0 ? [] : [bare[0]!])));
  await waitFor('the relays federated', async () => {
    const federated = await Promise.all(relays.map(async (x) => ((await (await fetch(`${x.httpUrl}/health`)).json()) as { federated: number }).federated));
    return federated.every((f) => f === RELAYS - 1) ? true : undefined;
  }, 60_000);
  return relays;
}

/** `peers`: how many honest clients (RELAY_LOAD_PEERS by default; npm run load passes each size). */
export async function benchRelayLoad(peers: number = PEERS): Promise<Figure[]> {
  // libp2p rejects some dials nobody awaits (e.g. a redial to the tunnel end after the relay cut it); count them, do not die of them.
  let stray = 0;
  const onStray = (err: unknown): void => {
    stray++;
    if (process.env.RELAY_LOAD_VERBOSE) console.log('  unhandled rejection:', err);
  };
  process.on('unhandledRejection', onStray);
  const relays = await spawnFederation();
  const samples: Sample[] = [];
  let phase: Phase = 'ramp';
  const samplers = relays.map((relay, r) => startSampler(relay.pid, `${relay.httpUrl}/health`, (x) => samples.push({ phase, relay: r, ...x })));
  const placement = yieldToRelay();
  const clients: Honest[] = [];
  const figures: Figure[] = [];
  const fig = (name: string, value: number, unit: string, note?: string): void => {
    figures.push({ section: 'relay-load', name, value, unit, ...(note === undefined ? {} : { note }) });
  };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const clientLoop = (p: Phase): void => {
    fig(`bench clients' own event-loop delay, ${p} (p99)`, loop.percentile(99) / 1e6, 'ms', `max ${(loop.max / 1e6).toFixed(0)} ms; every honest client and newcomer runs in this one process`);
    loop.reset();
  };
  const relayOf = (n: number): RelayChild => relays[n % relays.length]!;
  try {
    const rampStart = performance.now();
    for (let i = 0; i < peers; i += RAMP_PER_SECOND) {
      const second = new Promise((r) => setTimeout(r, 1_000));
      const batch = await Promise.all(Array.from({ length: Math.min(RAMP_PER_SECOND, peers - i) }, (_, k) => honestClient(relayOf(i + k), i + k)));
      clients.push(...batch);
      if (process.env.RELAY_LOAD_VERBOSE) console.log(`  ${clients.length} clients`);
      await second;
    }
    fig(`${peers} peers connected to ${RELAYS} federated relays, reserved, walking, announced in`, (performance.now() - rampStart) / 1000, 's', `${placement}; ${RAMP_PER_SECOND} started a second at most; ${turnedAway} connection attempts turned away and retried`);

    // The clients' own event loop, per phase: a newcomer here waits on it as much as on the relay.
    clientLoop('ramp');
    phase = 'steady';
    const walkBefore = { ...walkMessages };
    const steadyStart = performance.now();
    await new Promise((r) => setTimeout(r, STEADY_MS));
    const seconds = (performance.now() - steadyStart) / 1000;
    const asked = walkMessages.asked - walkBefore.asked;
    const answered = walkMessages.answered - walkBefore.answered;
    fig('discovery messages per peer per second (steady)', (asked + answered) / peers / seconds, 'msgs/s', `target < 1, whatever N; ${asked} asks and ${answered} answers of ${peers} peers in ${seconds.toFixed(0)} s: each peer, short of neighbours (no WebRTC here), asks its relay every ${WALK.askRelayWhileShortEveryMs / 1000} s; a tab at its target asks one neighbour every ${WALK.askNeighbourEveryMs / 1000} s instead. The flood it replaces: ${((peers - 1) / 5).toFixed(0)} a second`);
    // A newcomer dials a peer at random, as tabs do: always the same one measured that peer's own limits.
    const reachable = (relay: RelayChild): Client => {
      const held = clients.filter((c, i) => i > 0 && relayOf(i) === relay && hasReservation(c.node));
      return held[Math.floor(Math.random() * held.length)]!.node;
    };
    const finds: number[] = [];
    for (let i = 0; i < 6; i++) finds.push((await newcomerFindsMs(relayOf(i))) ?? Number.NaN);
    fig(`newcomer knows ${FOUND_PEERS} peers (steady)`, percentile(finds, 50), 'ms', `median of ${finds.length}, max ${Math.max(...finds).toFixed(0)} ms: connect, ask its relay, reserve, ask again${RELAYS > 1 ? '; half of each answer from the federated relays' : ''}`);
    const steadyNewcomers: number[] = [];
    for (let i = 0; i < 3; i++) steadyNewcomers.push((await newcomerMs(relays[0]!, reachable(relays[0]!))) ?? Number.NaN);
    fig('newcomer served (steady): reserve + relayed dial + tracker reply', percentile(steadyNewcomers, 50), 'ms', `median of ${steadyNewcomers.length}`);

    const attacker = attack(relays[0]!, ATTACK_MS);
    await attacker.ready;
    clientLoop('steady');
    phase = 'attack';
    const until = Date.now() + ATTACK_MS;
    const repliesBefore = clients.reduce((n, c) => n + c.trackerReplies, 0);
    const during: number[] = [];
    let failed = 0;
    while (Date.now() < until - 5_000) {
      const ms = await newcomerMs(relays[0]!, reachable(relays[0]!));
      if (ms === undefined) failed++;
      else during.push(ms);
    }
    figures.push(...(await attacker.figures()));
    clientLoop('attack');
    fig('newcomer served (under attack): reserve + relayed dial + tracker reply', percentile(during, 50), 'ms', `median of ${during.length}, max ${Math.max(...during).toFixed(0)} ms, ${failed} failed`);
    const repliesDuring = clients.reduce((n, c) => n + c.trackerReplies, 0) - repliesBefore;
    fig('tracker replies to honest clients during the attack', repliesDuring, 'count', `${peers} clients announcing every ${ANNOUNCE_INTERVAL_MS / 1000} s`);
    fig('honest clients still holding a reservation', clients.filter((c) => hasReservation(c.node)).length, 'count', `of ${peers}`);

    for (const [r, relay] of relays.entries()) {
      const health = (await (await fetch(`${relay.httpUrl}/health`)).json()) as { refused: Record<string, number>; reservations: number; connections: number; tracker: { torrents: number } };
      fig(`relay ${r}: refusals`, Object.values(health.refused).reduce((a, b) => a + b, 0), 'count', JSON.stringify(health.refused));
      fig(`relay ${r}: reservations / connections / torrents at the end`, health.reservations, 'count', `${health.connections} connections, ${health.tracker.torrents} torrents`);
    }
  } finally {
    loop.disable();
    process.off('unhandledRejection', onStray);
    if (stray > 0) fig('unhandled rejections in the bench clients', stray, 'count');
    for (const s of samplers) s.stop();
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    await Promise.all(relays.map((r) => r.stop()));
  }
  for (const p of ['ramp', 'steady', 'attack'] as const) phaseFigures(p, samples.filter((x) => x.phase === p), fig);
  return figures;
}

/** A phase's figures over every relay: the worst relay's, with each relay's in the note (relay 0 is the one attacked). */
function phaseFigures(p: Phase, phaseSamples: Sample[], fig: (name: string, value: number, unit: string, note?: string) => void): void {
  const per = Array.from({ length: RELAYS }, (_, r) => phaseSamples.filter((x) => x.relay === r)).filter((s) => s.length >= 2);
  if (per.length === 0) return;
  const each = (f: (s: Sample[]) => number, digits = 0): { worst: number; note: string } => {
    const v = per.map(f);
    return { worst: Math.max(...v), note: v.map((x, r) => `relay ${r} ${x.toFixed(digits)}`).join(', ') };
  };
  const rss = each((s) => Math.max(...s.map((x) => x.rssKiB)) / 1024);
  fig(`relay RSS, ${p} (max, worst relay)`, rss.worst, 'MiB', `target < 200 MiB; ${rss.note}`);
  const health = each((s) => percentile(s.map((x) => x.healthMs), 95), 1);
  const all = per.flat().map((x) => x.healthMs);
  fig(`/health latency, ${p} (p95, worst relay)`, health.worst, 'ms', `target < 100 ms; ${health.note}; all relays: p50 ${percentile(all, 50).toFixed(1)}, p99 ${percentile(all, 99).toFixed(1)}, max ${Math.max(...all).toFixed(1)} ms`);
  const loopDelay = each((s) => percentile(s.map((x) => x.loopP99Ms), 95));
  fig(`relay event-loop delay, ${p} (p95 of 5 s p99s, worst relay)`, loopDelay.worst, 'ms', `its own work, measured inside; ${loopDelay.note}`);
  const cores = per.map((s) => {
    const [first, last] = [s[0]!, s[s.length - 1]!];
    const span = last.machineTicks - first.machineTicks;
    // ms a second the relay's main thread was ready to run but waited for a CPU: the machine's share of its delay.
    const waited = (last.relayWaitNs - first.relayWaitNs) / 1e6 / (span / cpus().length / 100);
    return { relay: ((last.relayTicks - first.relayTicks) / span) * cpus().length, bench: ((last.benchTicks - first.benchTicks) / span) * cpus().length, machine: ((last.machineBusyTicks - first.machineBusyTicks) / span) * cpus().length, waited };
  });
  fig(`CPU, ${p}: relays together`, cores.reduce((a, c) => a + c.relay, 0), 'cores', `${cores.map((c, r) => `relay ${r} ${c.relay.toFixed(2)} (waited for a CPU ${c.waited.toFixed(0)} ms/s)`).join(', ')}; bench clients ${cores[0]!.bench.toFixed(2)}, whole machine ${cores[0]!.machine.toFixed(2)} of ${cpus().length}`);
}
