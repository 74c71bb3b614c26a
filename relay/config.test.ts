import { describe, expect, it } from 'vitest';
import { parseRelayConfig, RELAY_DEFAULTS, RELAY_OPTIONS, RelayConfigError, usage, type RelayConfig } from './config.ts';

/** The RelayConfigError a parse raises; fails the test if it succeeds or throws anything else. */
function refusal(argv: string[], env: Record<string, string> = {}): RelayConfigError {
  try {
    parseRelayConfig(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(RelayConfigError);
    return err as RelayConfigError;
  }
  throw new Error('the configuration was accepted');
}

/** A sample raw value per option kind, and what it parses to. */
const SAMPLES: Record<keyof RelayConfig, [string, unknown]> = {
  host: ['0.0.0.0', '0.0.0.0'],
  p2pPort: ['7000', 7000],
  httpPort: ['7001', 7001],
  maxReservations: ['50', 50],
  relayDataLimitBytes: ['65536', 65536],
  relayDurationLimitMs: ['30000', 30000],
  maxConnections: ['100', 100],
  dataDir: ['/var/lib/relay', '/var/lib/relay'],
  announce: ['/dns4/a.example/tcp/443/wss, /dns4/b.example/tcp/443/wss', ['/dns4/a.example/tcp/443/wss', '/dns4/b.example/tcp/443/wss']],
  peers: ['/ip4/10.0.0.2/tcp/9090/ws/p2p/X', ['/ip4/10.0.0.2/tcp/9090/ws/p2p/X']],
};

describe('relay configuration: sources', () => {
  it('uses the defaults with no flags and no environment', () => {
    expect(parseRelayConfig([], {})).toEqual({ ...RELAY_DEFAULTS, announce: [], peers: [] });
    expect(RELAY_DEFAULTS.host).toBe('127.0.0.1'); // exposure to a network is opt-in
    expect([RELAY_DEFAULTS.p2pPort, RELAY_DEFAULTS.httpPort]).toEqual([9090, 9091]);
  });

  it('returns fresh lists each time, so callers cannot alter the defaults', () => {
    const a = parseRelayConfig([], {});
    a.peers.push('x');
    expect(parseRelayConfig([], {}).peers).toEqual([]);
  });

  it('covers every config field with exactly one option', () => {
    expect(RELAY_OPTIONS.map((o) => o.key).sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(RELAY_OPTIONS.map((o) => [o.env, o.key, o.flag] as const))('reads %s into %s', (env, key) => {
    const [raw, parsed] = SAMPLES[key];
    expect(parseRelayConfig([], { [env]: raw })[key]).toEqual(parsed);
  });

  it.each(RELAY_OPTIONS.map((o) => [o.flag, o.key] as const))('reads %s value and %s=value', (flag, key) => {
    const [raw, parsed] = SAMPLES[key];
    expect(parseRelayConfig([flag, raw], {})[key]).toEqual(parsed);
    expect(parseRelayConfig([`${flag}=${raw}`], {})[key]).toEqual(parsed);
  });

  it('lets flags override the environment, and later flags override earlier ones', () => {
    const env = { TRUSTMESH_RELAY_PORT: '7000', TRUSTMESH_RELAY_HOST: '0.0.0.0', TRUSTMESH_RELAY_ANNOUNCE: '/dns4/a/tcp/443/wss' };
    const c = parseRelayConfig(['--port', '7001', '--max-reservations=50', '--announce', '/dns4/b/tcp/443/wss'], env);
    expect(c.p2pPort).toBe(7001);
    expect(c.host).toBe('0.0.0.0'); // from the environment, no flag
    expect(c.maxReservations).toBe(50);
    expect(c.announce).toEqual(['/dns4/b/tcp/443/wss']);
    expect(c.httpPort).toBe(RELAY_DEFAULTS.httpPort); // neither
    expect(parseRelayConfig(['--port=1', '--port', '2'], {}).p2pPort).toBe(2);
  });

  it('ignores empty environment variables', () => {
    expect(parseRelayConfig([], { TRUSTMESH_RELAY_PORT: '', TRUSTMESH_RELAY_HOST: '' })).toEqual(parseRelayConfig([], {}));
  });

  it('ignores environment variables it does not know', () => {
    expect(parseRelayConfig([], { PATH: '/usr/bin', TRUSTMESH_RELAY_BOGUS: '1' })).toEqual(parseRelayConfig([], {}));
  });

  it('splits --flag=value at the first "=" only', () => {
    expect(parseRelayConfig(['--data-dir=/tmp/a=b'], {}).dataDir).toBe('/tmp/a=b');
  });

  it('trims list items and drops empty ones', () => {
    expect(parseRelayConfig(['--peer', ' a , ,b,, '], {}).peers).toEqual(['a', 'b']);
    expect(parseRelayConfig(['--announce='], {}).announce).toEqual([]);
  });

  it('takes a list flag given more than once as all of its values, in place of the environment\'s', () => {
    expect(parseRelayConfig(['--peer', 'a', '--peer=b,c'], { TRUSTMESH_RELAY_PEERS: 'z' }).peers).toEqual(['a', 'b', 'c']);
    expect(parseRelayConfig([], { TRUSTMESH_RELAY_PEERS: 'z' }).peers).toEqual(['z']);
  });

  it('accepts port 0 (any free port) and 65535', () => {
    expect(parseRelayConfig(['--port', '0', '--http-port', '65535'], {})).toMatchObject({ p2pPort: 0, httpPort: 65535 });
  });
});

describe('relay configuration: refusals', () => {
  it.each(['70000', '65536', '-1', 'abc', '1.5', '', ' ', '0x10', '1e3'])('refuses port %j, naming the flag and the value', (raw) => {
    const err = refusal([`--port=${raw}`]);
    expect(err.message).toBe(`--port must be a port number 0-65535, got "${raw}"`);
  });

  it('refuses a bad port from the environment, naming the flag', () => {
    expect(refusal([], { TRUSTMESH_RELAY_HTTP_PORT: 'x' }).message).toContain('--http-port must be a port number');
    expect(refusal([], { TRUSTMESH_RELAY_HTTP_PORT: ' ' }).message).toContain('--http-port must be a port number');
  });

  it.each(['0', '-5', 'x', '2.5', '', '9007199254740993', '1e3'])('refuses count %j', (raw) => {
    const err = refusal(['--max-connections', raw]);
    expect(err.message).toBe(`--max-connections must be a positive integer, got "${raw}"`);
  });

  it('refuses a flag without a value', () => {
    expect(refusal(['--port']).message).toBe('--port needs a value');
    expect(refusal(['--host=']).message).toBe('--host needs a value');
    expect(refusal(['--data-dir', '']).message).toBe('--data-dir needs a value');
  });

  it.each([['--bogus'], ['--bogus=1'], ['relay'], ['-p', '9090'], ['--PORT', '1']])('refuses unknown argument %j with the usage', (...argv) => {
    const err = refusal(argv);
    expect(err.name).toBe('RelayConfigError');
    expect(err.message).toContain(`unknown option "${argv[0]}"`);
    expect(err.message).toContain(usage());
  });
});

describe('usage', () => {
  it('lists every flag with its environment variable and meaning', () => {
    const text = usage();
    expect(text.split('\n')[0]).toBe('Usage: trustmesh-relay [options]');
    for (const o of RELAY_OPTIONS) expect(text).toMatch(new RegExp(`${o.flag}\\s+${o.env}\\s+${o.help.replace(/[()/]/g, '\\$&')}`));
  });
});
