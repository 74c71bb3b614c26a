import { describe, expect, it } from 'vitest';
import { multiaddr } from '@multiformats/multiaddr';
import {
  DEFAULT_RELAY_HTTP_PORT,
  DEFAULT_RELAY_P2P_PORT,
  MAX_RELAYS,
  parseRelayAddress,
  resolveNetConfig,
  webSocketEndpoint,
  type NetConfigInput,
} from './net-config.ts';

const PEER = '12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyCa';
const http = { protocol: 'http:', hostname: 'localhost' };
const https = { protocol: 'https:', hostname: 'app.example.org' };

const LINK = '/dns4/link.example/tcp/443/wss';
const SAVED = '/dns4/saved.example/tcp/443/wss';
const BUILD = '/dns4/build.example/tcp/443/wss';

function resolve(input: Partial<NetConfigInput>) {
  return resolveNetConfig({ location: http, search: '', ...input });
}
const relayTexts = (input: Partial<NetConfigInput>): string[] => resolve(input).relays.map((r) => r.text);
const relayQuery = (...relays: string[]): string => `?${relays.map((r) => `relay=${encodeURIComponent(r)}`).join('&')}`;

describe('resolveNetConfig: where relays come from', () => {
  it('prefers the link, then the saved setting, then the build, then the page host', () => {
    const all = { search: relayQuery(LINK), savedRelays: SAVED, buildRelays: BUILD };
    expect(resolve(all).relaySource).toBe('link');
    expect(relayTexts(all)).toEqual([LINK]);

    const noLink = { savedRelays: SAVED, buildRelays: BUILD };
    expect(resolve(noLink).relaySource).toBe('settings');
    expect(relayTexts(noLink)).toEqual([SAVED]);

    expect(resolve({ buildRelays: BUILD }).relaySource).toBe('build');
    expect(relayTexts({ buildRelays: BUILD })).toEqual([BUILD]);

    expect(resolve({}).relaySource).toBe('default');
  });

  it('lets the link win over settings even when the link relay is malformed (the user sees the error)', () => {
    const c = resolve({ search: '?relay=garbage', savedRelays: SAVED });
    expect(c.relaySource).toBe('link');
    expect(c.relays).toHaveLength(1);
    expect(c.relays[0]!.ok).toBe(false);
  });

  it('falls through empty or blank sources', () => {
    expect(resolve({ search: '?relay=', savedRelays: '  ', buildRelays: BUILD }).relaySource).toBe('build');
    expect(resolve({ search: '?relay=%20,%20', savedRelays: ', ,', buildRelays: '' }).relaySource).toBe('default');
    expect(resolve({ savedRelays: undefined, buildRelays: undefined }).relaySource).toBe('default');
  });

  it('splits lists on commas and whitespace, and reads repeated relay= parameters in order', () => {
    const a = '/dns4/a.example/tcp/443/wss';
    const b = '/dns4/b.example/tcp/443/wss';
    const c = '/dns4/c.example/tcp/443/wss';
    expect(relayTexts({ buildRelays: `${a}, ${b}\n${c}` })).toEqual([a, b, c]);
    expect(relayTexts({ savedRelays: `${a} ${b}` })).toEqual([a, b]);
    expect(relayTexts({ search: relayQuery(`${a},${b}`, c) })).toEqual([a, b, c]);
  });

  it(`caps the relay list at MAX_RELAYS (${MAX_RELAYS}) from every source, however it is spelled`, () => {
    const many = Array.from({ length: MAX_RELAYS + 3 }, (_, i) => `/dns4/r${i}.example/tcp/443/wss`);
    expect(relayTexts({ buildRelays: many.join(',') })).toEqual(many.slice(0, MAX_RELAYS));
    expect(relayTexts({ savedRelays: many.join(' ') })).toEqual(many.slice(0, MAX_RELAYS));
    expect(relayTexts({ search: relayQuery(many.join(',')) })).toEqual(many.slice(0, MAX_RELAYS));
    // One relay= per address must not get around the cap.
    expect(relayTexts({ search: relayQuery(...many) })).toEqual(many.slice(0, MAX_RELAYS));
  });

  it('parses each relay, keeping malformed ones with their error next to the valid ones', () => {
    const c = resolve({ buildRelays: `${BUILD},/ip4/1.2.3.4/tcp/4001,nonsense` });
    expect(c.relays.map((r) => r.ok)).toEqual([true, false, false]);
    const [ok] = c.relays;
    expect(ok!.ok && ok!.endpoint).toBe('build.example:443');
  });
});

describe('resolveNetConfig: the default relay and tracker follow the page location', () => {
  it.each([
    // [protocol, hostname, relay, tracker]
    ['http:', 'localhost', `/dns4/localhost/tcp/${DEFAULT_RELAY_P2P_PORT}/ws`, `ws://localhost:${DEFAULT_RELAY_HTTP_PORT}`],
    ['http:', 'peer.lan', '/dns4/peer.lan/tcp/9090/ws', 'ws://peer.lan:9091'],
    ['https:', 'app.example.org', '/dns4/app.example.org/tcp/443/wss', 'wss://app.example.org'],
    ['http:', '10.1.2.3', '/ip4/10.1.2.3/tcp/9090/ws', 'ws://10.1.2.3:9091'],
    ['https:', '192.168.0.7', '/ip4/192.168.0.7/tcp/443/wss', 'wss://192.168.0.7'],
    ['http:', '[::1]', '/ip6/::1/tcp/9090/ws', 'ws://[::1]:9091'],
    ['http:', '::1', '/ip6/::1/tcp/9090/ws', 'ws://[::1]:9091'],
    ['https:', '[2001:db8::5]', '/ip6/2001:db8::5/tcp/443/wss', 'wss://[2001:db8::5]'],
    // A page opened from a file has no host: both fall back to this machine.
    ['file:', '', '/dns4/localhost/tcp/9090/ws', 'ws://localhost:9091'],
  ])('%s//%s → relay %s, tracker %s', (protocol, hostname, relay, tracker) => {
    const c = resolveNetConfig({ location: { protocol, hostname }, search: '' });
    expect(c.relaySource).toBe('default');
    expect(c.relays.map((r) => r.text)).toEqual([relay]);
    expect(c.relays[0]!.ok).toBe(true);
    expect(c.trackers).toEqual([tracker]);
    expect(() => new URL(c.trackers[0]!)).not.toThrow();
  });

  it('treats a dotted name that is not an IPv4 address as a DNS name', () => {
    expect(relayTexts({ location: { protocol: 'http:', hostname: '1.2.3.example' } })).toEqual(['/dns4/1.2.3.example/tcp/9090/ws']);
  });
});

describe('resolveNetConfig: trackers and ICE servers', () => {
  it('uses link trackers, then build trackers, instead of the default', () => {
    expect(resolve({ search: '?tracker=ws://t.example:1' }).trackers).toEqual(['ws://t.example:1']);
    expect(resolve({ buildTrackers: 'wss://b1.example, wss://b2.example' }).trackers).toEqual(['wss://b1.example', 'wss://b2.example']);
    expect(resolve({ search: '?tracker=ws://t.example:1', buildTrackers: 'wss://b1.example' }).trackers).toEqual(['ws://t.example:1', 'wss://b1.example']);
  });

  it('leaves ICE servers to libp2p unless set, honours "none", and keeps only STUN/TURN URLs', () => {
    expect(resolve({}).iceServers).toBeUndefined();
    expect(resolve({ buildIceServers: '  ' }).iceServers).toBeUndefined();
    expect(resolve({ search: '?ice=none' }).iceServers).toEqual([]);
    expect(resolve({ buildIceServers: 'none' }).iceServers).toEqual([]);
    expect(resolve({ search: '?ice=stun:s.example:3478,http://evil.example,turns:t.example:5349,bogus' }).iceServers)
      .toEqual(['stun:s.example:3478', 'turns:t.example:5349']);
    expect(resolve({ buildIceServers: 'stuns:b.example turn:c.example' }).iceServers).toEqual(['stuns:b.example', 'turn:c.example']);
  });

  it('lets the link ICE setting override the build one', () => {
    expect(resolve({ search: '?ice=stun:link.example', buildIceServers: 'stun:build.example' }).iceServers).toEqual(['stun:link.example']);
    expect(resolve({ search: '?ice=none', buildIceServers: 'stun:build.example' }).iceServers).toEqual([]);
    expect(resolve({ search: '?other=1', buildIceServers: 'stun:build.example' }).iceServers).toEqual(['stun:build.example']);
  });
});

describe('parseRelayAddress', () => {
  it.each(['not-a-multiaddr', '/ip4/999.1.1.1/tcp/1/ws', '/ip4/1.2.3.4/tcp/notaport/ws', '/unknown-protocol/x', 'relay.example.org:443'])(
    'explains that %j is not a multiaddr',
    (text) => {
      const r = parseRelayAddress(text);
      expect(r.ok).toBe(false);
      expect(r.text).toBe(text);
      if (!r.ok) expect(r.error).toMatch(new RegExp(`^"${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" is not a valid multiaddr \\(.+\\)$`));
    },
  );

  it.each([
    '/ip4/1.2.3.4/tcp/4001',
    '/ip4/1.2.3.4/udp/4001/quic-v1',
    '/dns4/relay.example.org/tcp/443/tls', // TLS alone is not a WebSocket
    `/p2p/${PEER}/p2p-circuit/webrtc`,
    '/ws', // no host to reach
    '',
  ])('explains that %j is not a WebSocket address a browser can use', (text) => {
    const r = parseRelayAddress(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain('is not a WebSocket address');
      expect(r.error).toContain('/ws or /wss');
      expect(r.error).toContain('/dns4/relay.example.org/tcp/443/wss'); // an example of what works
    }
  });

  it.each([
    ['/ip4/127.0.0.1/tcp/9090/ws', '127.0.0.1:9090'],
    [`/ip4/127.0.0.1/tcp/9090/ws/p2p/${PEER}`, '127.0.0.1:9090'],
    [`/dns4/Relay.Example.org/tcp/443/wss/p2p/${PEER}`, 'relay.example.org:443'],
    ['/dns4/relay.example.org/tcp/443/tls/ws', 'relay.example.org:443'],
    ['/dns6/relay.example.org/tcp/443/wss', 'relay.example.org:443'],
    ['/dns/relay.example.org/tcp/8443/wss', 'relay.example.org:8443'],
    ['/ip6/::1/tcp/9090/ws', '::1:9090'],
  ])('accepts %s with endpoint %s', (text, endpoint) => {
    const r = parseRelayAddress(text);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.endpoint).toBe(endpoint);
      expect(r.text).toBe(text);
      expect(r.multiaddr.equals(multiaddr(text))).toBe(true);
    }
  });
});

describe('webSocketEndpoint', () => {
  it('is host:port of the first host and TCP port of a WebSocket address', () => {
    expect(webSocketEndpoint(multiaddr('/ip4/1.2.3.4/tcp/80/ws'))).toBe('1.2.3.4:80');
    expect(webSocketEndpoint(multiaddr('/dns4/EXAMPLE.org/tcp/443/wss'))).toBe('example.org:443');
    // A circuit through a relay: the endpoint is the relay's.
    expect(webSocketEndpoint(multiaddr(`/ip4/10.0.0.1/tcp/9090/ws/p2p/${PEER}/p2p-circuit/webrtc/p2p/${PEER}`))).toBe('10.0.0.1:9090');
  });

  it('writes IPv6 hosts canonically, so equal addresses give equal endpoints', () => {
    expect(webSocketEndpoint(multiaddr('/ip6/0:0:0:0:0:0:0:1/tcp/9090/ws'))).toBe(webSocketEndpoint(multiaddr('/ip6/::1/tcp/9090/ws')));
  });

  it('is undefined without a WebSocket, a host or a TCP port', () => {
    expect(webSocketEndpoint(multiaddr('/ip4/1.2.3.4/tcp/80'))).toBeUndefined();
    expect(webSocketEndpoint(multiaddr('/ip4/1.2.3.4/tcp/443/tls'))).toBeUndefined();
    expect(webSocketEndpoint(multiaddr('/ip4/1.2.3.4/udp/443/quic-v1'))).toBeUndefined();
    expect(webSocketEndpoint(multiaddr('/dnsaddr/example.org/ws'))).toBeUndefined();
    expect(webSocketEndpoint(multiaddr(`/p2p/${PEER}/p2p-circuit/webrtc`))).toBeUndefined();
  });
});
