/** Which address a relay met through the DHT is named at, and which relays take private addresses. */
import { describe, expect, it } from 'vitest';
import { multiaddr } from '@multiformats/multiaddr';
import { isPrivateDeployment, relayAddress } from './relay-dht.ts';

const m = (a: string) => multiaddr(a);

describe('relayAddress', () => {
  it('names a WebSocket address, TLS first, never a relayed or non-WebSocket one', () => {
    expect(relayAddress([m('/ip4/8.8.8.8/tcp/9090/ws'), m('/dns4/relay.example.org/tcp/443/wss')], false)?.toString()).toBe('/dns4/relay.example.org/tcp/443/wss');
    expect(relayAddress([m('/ip4/8.8.8.8/tcp/9090/tls/ws')], false)?.toString()).toBe('/ip4/8.8.8.8/tcp/9090/tls/ws');
    expect(relayAddress([m('/ip4/8.8.8.8/tcp/4001'), m('/ip4/8.8.4.4/udp/4001/webrtc-direct')], false)).toBeUndefined();
    expect(relayAddress([m('/ip4/8.8.8.8/tcp/9090/ws/p2p/12D3KooWJTWU3PRbfUEFi5jMygj3XvttrNx8iCu1zr56KTL7TWZE/p2p-circuit')], false)).toBeUndefined();
    expect(relayAddress([], true)).toBeUndefined();
  });

  it('names loopback and private addresses only for a relay that is on such a network itself', () => {
    const own = [m('/ip4/127.0.0.1/tcp/9090/ws'), m('/ip4/192.168.1.5/tcp/9090/ws'), m('/dns4/localhost/tcp/9090/ws')];
    expect(relayAddress(own, false)).toBeUndefined();
    expect(relayAddress(own, true)?.toString()).toBe('/ip4/127.0.0.1/tcp/9090/ws');
    expect(relayAddress([...own, m('/ip4/8.8.8.8/tcp/9090/ws')], false)?.toString()).toBe('/ip4/8.8.8.8/tcp/9090/ws');
  });
});

describe('isPrivateDeployment', () => {
  it('is a relay whose own addresses are all loopback or private, not one on every interface or with a public one', () => {
    expect(isPrivateDeployment(['/ip4/127.0.0.1/tcp/9090/ws'])).toBe(true);
    expect(isPrivateDeployment(['/ip4/10.1.2.3/tcp/9090/ws', '/ip6/::1/tcp/9090/ws'])).toBe(true);
    expect(isPrivateDeployment(['/ip4/0.0.0.0/tcp/9090/ws'])).toBe(false);
    expect(isPrivateDeployment(['/ip6/::/tcp/9090/ws'])).toBe(false);
    expect(isPrivateDeployment(['/ip4/127.0.0.1/tcp/9090/ws', '/dns4/relay.example.org/tcp/443/wss'])).toBe(false);
    expect(isPrivateDeployment(['not an address'])).toBe(false);
  });
});
