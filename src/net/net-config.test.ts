import { describe, expect, it } from 'vitest';
import { multiaddr } from '@multiformats/multiaddr';
import { MAX_RELAYS, parseRelayAddress, resolveNetConfig, webSocketEndpoint } from './net-config.ts';

const http = { protocol: 'http:', hostname: 'localhost' };

describe('resolveNetConfig', () => {
  it('defaults to the page host on the relay ports', () => {
    const c = resolveNetConfig({ location: http, search: '' });
    expect(c.relaySource).toBe('default');
    expect(c.relays.map((r) => r.text)).toEqual(['/dns4/localhost/tcp/9090/ws']);
    expect(c.trackers).toEqual(['ws://localhost:9091']);
    expect(c.iceServers).toBeUndefined();
  });

  it('uses wss on 443 for https pages, and ip4/ip6 components for address hosts', () => {
    expect(resolveNetConfig({ location: { protocol: 'https:', hostname: 'app.example.org' }, search: '' }).relays[0]!.text).toBe('/dns4/app.example.org/tcp/443/wss');
    expect(resolveNetConfig({ location: { protocol: 'http:', hostname: '10.1.2.3' }, search: '' }).relays[0]!.text).toBe('/ip4/10.1.2.3/tcp/9090/ws');
    const v6 = resolveNetConfig({ location: { protocol: 'http:', hostname: '[::1]' }, search: '' });
    expect(v6.relays[0]!.text).toBe('/ip6/::1/tcp/9090/ws');
    expect(v6.trackers[0]).toBe('ws://[::1]:9091');
  });

  it('prefers the link over settings over the build', () => {
    const build = '/dns4/build.example/tcp/443/wss';
    const saved = '/dns4/saved.example/tcp/443/wss';
    const link = '/dns4/link.example/tcp/443/wss';
    const search = `?relay=${encodeURIComponent(link)}`;
    expect(resolveNetConfig({ location: http, search, savedRelays: saved, buildRelays: build }).relays.map((r) => r.text)).toEqual([link]);
    expect(resolveNetConfig({ location: http, search: '', savedRelays: saved, buildRelays: build }).relaySource).toBe('settings');
    expect(resolveNetConfig({ location: http, search: '', buildRelays: build }).relaySource).toBe('build');
  });

  it('accepts several relays, capped', () => {
    const many = Array.from({ length: MAX_RELAYS + 3 }, (_, i) => `/dns4/r${i}.example/tcp/443/wss`).join(',');
    expect(resolveNetConfig({ location: http, search: '', buildRelays: many }).relays).toHaveLength(MAX_RELAYS);
  });

  it('reads trackers and ICE servers from the link', () => {
    const c = resolveNetConfig({ location: http, search: '?tracker=ws://t.example:1&ice=stun:s.example:3478,bogus' });
    expect(c.trackers).toEqual(['ws://t.example:1']);
    expect(c.iceServers).toEqual(['stun:s.example:3478']);
    expect(resolveNetConfig({ location: http, search: '?ice=none' }).iceServers).toEqual([]);
  });
});

describe('parseRelayAddress', () => {
  it('explains a malformed multiaddr', () => {
    const r = parseRelayAddress('not-a-multiaddr');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('is not a valid multiaddr');
  });

  it('explains that browsers need a WebSocket relay', () => {
    const r = parseRelayAddress('/ip4/1.2.3.4/tcp/4001');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('/ws or /wss');
  });

  it('accepts ws and wss relays and records their endpoint', () => {
    const r = parseRelayAddress('/dns4/Relay.Example.org/tcp/443/wss/p2p/12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyCa');
    expect(r.ok && r.endpoint).toBe('relay.example.org:443');
  });
});

describe('webSocketEndpoint', () => {
  it('is undefined for addresses without a WebSocket', () => {
    expect(webSocketEndpoint(multiaddr('/ip4/1.2.3.4/tcp/80'))).toBeUndefined();
    expect(webSocketEndpoint(multiaddr('/ip4/1.2.3.4/tcp/80/ws'))).toBe('1.2.3.4:80');
  });
});
