import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { multiaddr } from '@multiformats/multiaddr';
import { relayGroup } from './relay-groups.ts';

const group = (addr: string, privateDeployment = false): string | undefined => relayGroup(multiaddr(addr), privateDeployment);

describe('a relay address\'s network group', () => {
  it('is the /16 of an IPv4 address, whatever the port or the rest of the address', () => {
    expect(group('/ip4/93.184.7.1/tcp/443/wss')).toBe(group('/ip4/93.184.200.9/tcp/9090/ws'));
    expect(group('/ip4/93.184.7.1/tcp/443/wss')).not.toBe(group('/ip4/93.185.7.1/tcp/443/wss'));
  });

  it('is the /32 of an IPv6 address, however it is written', () => {
    expect(group('/ip6/2001:db8:1::1/tcp/443/wss')).toBe(group('/ip6/2001:0db8:ffff:1::/tcp/443/wss'));
    expect(group('/ip6/2001::1/tcp/443/wss')).toBe(group('/ip6/2001:0:5::1/tcp/443/wss'));
    expect(group('/ip6/2001:db8::1/tcp/443/wss')).not.toBe(group('/ip6/2001:db9::1/tcp/443/wss'));
  });

  it('is the last two labels of a DNS name, so one domain\'s subdomains are one group', () => {
    expect(group('/dns4/a.relays.example.org/tcp/443/wss')).toBe(group('/dns/B.example.org./tcp/443/wss'));
    expect(group('/dns4/relay.example.org/tcp/443/wss')).not.toBe(group('/dns4/relay.example.net/tcp/443/wss'));
    // A name is never the same group as an address it may resolve to: the two are counted apart.
    expect(group('/dns4/example.org/tcp/443/wss')).not.toBe(group('/ip4/93.184.7.1/tcp/443/wss'));
  });

  it('in a private deployment is the host and port of a private address: relays on one machine or LAN are each their own', () => {
    expect(group('/ip4/127.0.0.1/tcp/9090/ws', true)).not.toBe(group('/ip4/127.0.0.1/tcp/9092/ws', true));
    expect(group('/ip4/10.0.0.7/tcp/9090/ws', true)).not.toBe(group('/ip4/10.0.0.8/tcp/9090/ws', true));
    expect(group('/ip4/127.0.0.1/tcp/9090/ws', true)).toBe(group('/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWGzqFhqGGqQ5fQeWNHTbnM4YJHaSYedBfWBCGSYpeXe1p', true));
  });

  it('in a private deployment still groups public addresses by network: one public host on many ports is one group', () => {
    expect(group('/ip4/93.184.7.1/tcp/9090/ws', true)).toBe(group('/ip4/93.184.7.1/tcp/9092/ws', true));
    expect(group('/dns4/a.sybil.example/tcp/443/wss', true)).toBe(group('/dns4/b.sybil.example/tcp/443/wss', true));
  });

  it('is undefined for an address that names no host', () => {
    expect(group('/p2p/12D3KooWGzqFhqGGqQ5fQeWNHTbnM4YJHaSYedBfWBCGSYpeXe1p')).toBeUndefined();
  });

  it('puts two IPv4 addresses in one group exactly when their first two octets match', () => {
    const octet = fc.integer({ min: 1, max: 254 });
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet, octet), fc.tuple(octet, octet, octet, octet), (a, b) => {
        const same = a[0] === b[0] && a[1] === b[1];
        expect(group(`/ip4/${a.join('.')}/tcp/443/wss`) === group(`/ip4/${b.join('.')}/tcp/443/wss`)).toBe(same);
      }),
    );
  });
});
