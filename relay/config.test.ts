import { describe, expect, it } from 'vitest';
import { parseRelayConfig, RELAY_DEFAULTS, RelayConfigError } from './config.ts';

describe('relay configuration', () => {
  it('has defaults', () => {
    expect(parseRelayConfig([], {})).toEqual({ ...RELAY_DEFAULTS, announce: [], peers: [] });
  });

  it('reads the environment, and flags override it', () => {
    const env = { TRUSTMESH_RELAY_PORT: '7000', TRUSTMESH_RELAY_HOST: '0.0.0.0', TRUSTMESH_RELAY_ANNOUNCE: '/dns4/a/tcp/443/wss, /dns4/b/tcp/443/wss' };
    const c = parseRelayConfig(['--port', '7001', '--max-reservations=50'], env);
    expect(c.p2pPort).toBe(7001);
    expect(c.host).toBe('0.0.0.0');
    expect(c.maxReservations).toBe(50);
    expect(c.announce).toEqual(['/dns4/a/tcp/443/wss', '/dns4/b/tcp/443/wss']);
  });

  it('refuses bad values and unknown flags with a clear message', () => {
    expect(() => parseRelayConfig(['--port', '70000'], {})).toThrow(/port number/);
    expect(() => parseRelayConfig(['--max-connections', '0'], {})).toThrow(/positive integer/);
    expect(() => parseRelayConfig(['--port'], {})).toThrow(/needs a value/);
    expect(() => parseRelayConfig(['--bogus'], {})).toThrow(RelayConfigError);
    expect(() => parseRelayConfig(['--bogus'], {})).toThrow(/Usage/);
    expect(() => parseRelayConfig([], { TRUSTMESH_RELAY_HTTP_PORT: 'x' })).toThrow(/port number/);
  });
});
