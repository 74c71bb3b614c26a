/**
 * Relay configuration: command-line flags override environment variables, which
 * override defaults. Pure: takes argv and env, returns a config or throws.
 */

/** Defaults, each with the reason for its value. */
export const RELAY_DEFAULTS = {
  /** Loopback by default: exposing a relay to a network is an explicit choice. */
  host: '127.0.0.1',
  /** libp2p WebSocket listener; browsers dial it for bootstrap and signaling. */
  p2pPort: 9090,
  /** HTTP: /health and the WebTorrent WebSocket tracker. */
  httpPort: 9091,
  /** Browser peers each hold one reservation; 15 (libp2p's default) is too few for a public relay. */
  maxReservations: 1024,
  /** Signaling (SDP offer/answer + ICE candidates) needs a few KiB; 128 KiB leaves room, not for data. */
  relayDataLimitBytes: 128 * 1024,
  /** WebRTC setup finishes in seconds; two minutes covers slow ICE and then cuts the relayed link. */
  relayDurationLimitMs: 2 * 60 * 1000,
  /** Bounds memory and file descriptors on a small host. */
  maxConnections: 2048,
  /** Where the relay keeps its private key, so its PeerId survives restarts. */
  dataDir: '.relay-data',
} as const;

export interface RelayConfig {
  host: string;
  p2pPort: number;
  httpPort: number;
  maxReservations: number;
  relayDataLimitBytes: number;
  relayDurationLimitMs: number;
  maxConnections: number;
  dataDir: string;
  /** Public multiaddrs to advertise (e.g. behind a TLS proxy: /dns4/relay.example.org/tcp/443/wss). */
  announce: string[];
  /** Other relays to federate with, so peer discovery crosses relays. */
  peers: string[];
}

export class RelayConfigError extends Error {
  override name = 'RelayConfigError';
}

interface OptionSpec {
  key: keyof RelayConfig;
  flag: string;
  env: string;
  kind: 'string' | 'port' | 'count' | 'list';
  help: string;
}

export const RELAY_OPTIONS: readonly OptionSpec[] = [
  { key: 'host', flag: '--host', env: 'TRUSTMESH_RELAY_HOST', kind: 'string', help: 'interface to listen on' },
  { key: 'p2pPort', flag: '--port', env: 'TRUSTMESH_RELAY_PORT', kind: 'port', help: 'libp2p WebSocket port' },
  { key: 'httpPort', flag: '--http-port', env: 'TRUSTMESH_RELAY_HTTP_PORT', kind: 'port', help: 'HTTP port (/health, tracker)' },
  { key: 'maxReservations', flag: '--max-reservations', env: 'TRUSTMESH_RELAY_MAX_RESERVATIONS', kind: 'count', help: 'circuit relay reservations' },
  { key: 'relayDataLimitBytes', flag: '--relay-data-limit', env: 'TRUSTMESH_RELAY_DATA_LIMIT', kind: 'count', help: 'bytes per relayed connection' },
  { key: 'relayDurationLimitMs', flag: '--relay-duration-limit', env: 'TRUSTMESH_RELAY_DURATION_LIMIT', kind: 'count', help: 'ms per relayed connection' },
  { key: 'maxConnections', flag: '--max-connections', env: 'TRUSTMESH_RELAY_MAX_CONNECTIONS', kind: 'count', help: 'open connections' },
  { key: 'dataDir', flag: '--data-dir', env: 'TRUSTMESH_RELAY_DATA_DIR', kind: 'string', help: 'directory for the relay key' },
  { key: 'announce', flag: '--announce', env: 'TRUSTMESH_RELAY_ANNOUNCE', kind: 'list', help: 'comma-separated public multiaddrs' },
  { key: 'peers', flag: '--peer', env: 'TRUSTMESH_RELAY_PEERS', kind: 'list', help: 'comma-separated multiaddrs of other relays' },
];

export function usage(): string {
  const lines = RELAY_OPTIONS.map((o) => `  ${o.flag.padEnd(24)} ${o.env.padEnd(34)} ${o.help}`);
  return ['Usage: trustmesh-relay [options]', '  flag                     environment variable               meaning', ...lines].join('\n');
}

function parseValue(spec: OptionSpec, raw: string): string | number | string[] {
  switch (spec.kind) {
    case 'string':
      if (raw.length === 0) throw new RelayConfigError(`${spec.flag} needs a value`);
      return raw;
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    case 'port': {
      // Decimal digits only: Number('') and Number(' ') are 0, which would silently mean "any free port".
      const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        throw new RelayConfigError(`${spec.flag} must be a port number 0-65535, got "${raw}"`);
      }
      return n;
    }
    case 'count': {
      const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(n) || n <= 0) {
        throw new RelayConfigError(`${spec.flag} must be a positive integer, got "${raw}"`);
      }
      return n;
    }
  }
}

export function parseRelayConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): RelayConfig {
  const config: RelayConfig = { ...RELAY_DEFAULTS, announce: [], peers: [] };
  const set = (spec: OptionSpec, raw: string): void => {
    (config as unknown as Record<string, unknown>)[spec.key] = parseValue(spec, raw);
  };
  for (const spec of RELAY_OPTIONS) {
    const raw = env[spec.env];
    if (raw !== undefined && raw !== '') set(spec, raw);
  }
  const listed = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const spec = RELAY_OPTIONS.find((o) => o.flag === flag);
    if (spec === undefined) throw new RelayConfigError(`unknown option "${arg}"\n${usage()}`);
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new RelayConfigError(`${spec.flag} needs a value`);
    // A list flag given twice (--peer a --peer b) means both, not the last: the first replaces the environment's list.
    const before = (config as unknown as Record<string, unknown>)[spec.key];
    set(spec, raw);
    if (spec.kind === 'list' && listed.has(spec.key)) (config as unknown as Record<string, unknown>)[spec.key] = [...(before as string[]), ...(parseValue(spec, raw) as string[])];
    listed.add(spec.key);
  }
  return config;
}
