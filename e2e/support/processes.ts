/**
 * Starts the real relay (a child process, as in production) and a static
 * server for the built app, for e2e tests and benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { preview, type PreviewServer } from 'vite';
import { buildRelay, relayNodeArgs } from '../../relay/launch.mjs';

const ROOT = resolve(import.meta.dirname, '../..');

/** Polls `probe` until it returns a value (errors count as "not yet") or the deadline passes. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`);
}

export interface RelayProcess {
  readonly p2pPort: number;
  readonly httpPort: number;
  readonly multiaddr: string;
  readonly trackerUrl: string;
  readonly healthUrl: string;
  health(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
  /** Starts it again on the ports it had. */
  start(): Promise<void>;
  output(): string;
}

/** The ports a relay says it bound (its start-up log), once it has said so. */
function boundPorts(log: string): { p2p: number; http: number } | undefined {
  const p2p = /libp2p listening on \/ip4\/127\.0\.0\.1\/tcp\/(\d+)\/ws/.exec(log)?.[1];
  const http = /health at http:\/\/127\.0\.0\.1:(\d+)\/health/.exec(log)?.[1];
  return p2p === undefined || http === undefined ? undefined : { p2p: Number(p2p), http: Number(http) };
}

/**
 * `p2pPort`, `httpPort`: 0 (the default) has the relay bind ports the OS picks, read back from its
 * log. A port found free beforehand can be taken before the relay binds it (an outgoing
 * connection's ephemeral port): a CI run failed on that. `peers`: other relays' multiaddrs (--peer).
 */
export async function startRelayProcess(p2pPort = 0, httpPort = 0, peers: readonly string[] = []): Promise<RelayProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'trustmesh-relay-'));
  let child: ChildProcess | undefined;
  let log = '';
  const ports = { p2p: p2pPort, http: httpPort };
  const healthUrl = (): string => `http://127.0.0.1:${ports.http}/health`;

  const health = async (): Promise<Record<string, unknown>> => {
    const res = await fetch(healthUrl());
    return (await res.json()) as Record<string, unknown>;
  };

  const start = async (): Promise<void> => {
    await buildRelay();
    let output = '';
    child = spawn(process.execPath, relayNodeArgs(['--port', String(ports.p2p), '--http-port', String(ports.http), '--data-dir', dataDir, ...(peers.length > 0 ? ['--peer', peers.join(',')] : [])]), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => ((output += d.toString()), (log += d.toString())));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`relay exited with ${code}:\n${log}`))));
    const ready = async (): Promise<true> => {
      Object.assign(ports, await waitFor('the relay\'s ports in its log', async () => boundPorts(output), 30_000));
      return waitFor('relay health', async () => ((await health()).status === 'ok' ? true : undefined), 30_000);
    };
    await Promise.race([ready(), exited]);
  };

  const stop = async (): Promise<void> => {
    const c = child;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await exited;
    child = undefined;
  };

  await start();
  return {
    get p2pPort() {
      return ports.p2p;
    },
    get httpPort() {
      return ports.http;
    },
    get multiaddr() {
      return `/ip4/127.0.0.1/tcp/${ports.p2p}/ws`;
    },
    get trackerUrl() {
      return `ws://127.0.0.1:${ports.http}`;
    },
    get healthUrl() {
      return healthUrl();
    },
    health,
    stop,
    start,
    output: () => log,
  };
}

export interface StaticServer {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Serves a built app directory (vite preview: SPA fallback, correct MIME types for the service worker). */
export async function startStaticServer(outDir: string, port: number): Promise<StaticServer> {
  let server: PreviewServer | undefined;
  const start = async (): Promise<void> => {
    server = await preview({
      root: ROOT,
      logLevel: 'silent',
      configFile: join(ROOT, 'vite.config.ts'),
      build: { outDir },
      preview: { port, strictPort: true, host: '127.0.0.1', open: false },
    });
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await server?.close();
      server = undefined;
    },
    start,
  };
}
