import { describe, expect, it } from 'vitest';
import { multiaddr } from '@multiformats/multiaddr';
import { isDialAllowed } from './dial-gater.ts';
import { parseRelayAddress } from './net-config.ts';

const RELAY = '12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyCa';
const PEER = '12D3KooWGqt8g7yUq3MZyoAnsmhugrvT7tN4F7xJhiMm5zDAM6Ae';

/** The gater's input is built from the configured relays' endpoints, as the app does. */
function endpointsOf(...relays: string[]): Set<string> {
  return new Set(relays.map((text) => {
    const r = parseRelayAddress(text);
    if (!r.ok) throw new Error(r.error);
    return r.endpoint;
  }));
}

const relays = endpointsOf('/ip4/127.0.0.1/tcp/9090/ws', '/dns4/Relay.Example.org/tcp/443/wss');
const allowed = (addr: string, set: ReadonlySet<string> = relays): boolean => isDialAllowed(multiaddr(addr), set);

describe('isDialAllowed: WebSocket dials', () => {
  it.each([
    '/ip4/127.0.0.1/tcp/9090/ws',
    `/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY}`,
    '/dns4/relay.example.org/tcp/443/wss',
    `/dns4/RELAY.example.ORG/tcp/443/wss/p2p/${RELAY}`,
    '/dns4/relay.example.org/tcp/443/tls/ws',
  ])('allows %s: a configured relay', (addr) => {
    expect(allowed(addr)).toBe(true);
  });

  it.each([
    ['another port on the relay host', '/ip4/127.0.0.1/tcp/9091/ws'],
    ['the relay port on another host', '/ip4/127.0.0.2/tcp/9090/ws'],
    ['a router on the LAN', '/ip4/192.168.1.1/tcp/80/ws'],
    ['a private network host', `/ip4/10.0.0.1/tcp/9090/ws/p2p/${RELAY}`],
    ['an unknown DNS name', '/dns4/evil.example/tcp/443/wss'],
    ['IPv6 loopback', '/ip6/::1/tcp/9090/ws'],
  ])('denies %s', (_, addr) => {
    expect(allowed(addr)).toBe(false);
  });

  it('denies every WebSocket dial when no relay is configured', () => {
    expect(allowed('/ip4/127.0.0.1/tcp/9090/ws', new Set())).toBe(false);
  });
});

describe('isDialAllowed: circuit and WebRTC addresses', () => {
  it('allows WebRTC through a configured relay', () => {
    expect(allowed(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)).toBe(true);
    expect(allowed(`/dns4/relay.example.org/tcp/443/wss/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)).toBe(true);
    expect(allowed(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`)).toBe(true);
  });

  it('denies a circuit through an unknown relay\'s WebSocket host', () => {
    expect(allowed(`/ip4/10.0.0.1/tcp/9090/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)).toBe(false);
    expect(allowed(`/dns4/evil.example/tcp/443/wss/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`)).toBe(false);
    expect(allowed(`/ip4/127.0.0.1/tcp/9091/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)).toBe(false);
  });

  it('allows circuits over an existing relay connection (no host at all)', () => {
    expect(allowed(`/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)).toBe(true);
    expect(allowed(`/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`)).toBe(true);
    // Even with no relay configured: the relay connection itself was gated.
    expect(allowed(`/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`, new Set())).toBe(true);
  });
});

describe('isDialAllowed: transports a browser page should not use', () => {
  it.each([
    ['plain TCP', '/ip4/127.0.0.1/tcp/22'],
    ['plain TCP to the relay\'s own host and port', '/ip4/127.0.0.1/tcp/9090'],
    ['raw TLS to the relay\'s host and port', '/ip4/127.0.0.1/tcp/9090/tls'],
    ['QUIC', '/ip4/127.0.0.1/udp/9090/quic-v1'],
    ['a bare peer id', `/p2p/${PEER}`],
    ['DNS without a transport', '/dns4/relay.example.org'],
  ])('denies %s', (_, addr) => {
    expect(allowed(addr)).toBe(false);
  });
});
