/**
 * Which network a relay's address is in, so that the relays one relay federates with are spread
 * over networks (federation.ts): relays met through the DHT are first come, and anyone can start
 * many relays, from one host or one provider's block, that answer before the honest ones. Pure.
 *
 * A group is an IPv4 /16, an IPv6 /32 or a DNS name's last two labels: what one operator cheaply
 * holds many of (Bitcoin Core's address manager buckets peers by /16 for the same reason). In a
 * private deployment (every relay on loopback or a LAN, relay-dht.ts) a private address says nothing
 * of who runs a relay, so each private host and port is its own group; a public address met there is
 * grouped like anywhere else, so many relays on one public host do not each count as a network.
 */
import { isPrivate } from '@libp2p/utils';
import type { Multiaddr } from '@multiformats/multiaddr';

/** The group of a relay's WebSocket address; undefined when it names no host. */
export function relayGroup(addr: Multiaddr, privateDeployment: boolean): string | undefined {
  const components = addr.getComponents();
  const host = components.find((c) => c.name === 'ip4' || c.name === 'ip6' || c.name === 'dns' || c.name === 'dns4' || c.name === 'dns6');
  if (host?.value === undefined) return undefined;
  if (privateDeployment && isPrivate(addr) === true) return `${host.value}:${components.find((c) => c.name === 'tcp')?.value ?? ''}`;
  if (host.name === 'ip4') return `ip4:${host.value.split('.').slice(0, 2).join('.')}`;
  if (host.name === 'ip6') return `ip6:${ip6Prefix32(host.value)}`;
  return `dns:${host.value.toLowerCase().replace(/\.$/, '').split('.').slice(-2).join('.')}`;
}

/** The first 32 bits of an IPv6 address, as two hextets without leading zeros ("2001:db8"). */
function ip6Prefix32(address: string): string {
  const [head = ''] = address.toLowerCase().split('::');
  const hextets = head === '' ? [] : head.split(':');
  // An address that starts with "::" (or has fewer than two hextets before it) has zeros there.
  while (hextets.length < 2) hextets.push('0');
  return hextets.slice(0, 2).map((h) => h.replace(/^0+(?=.)/, '')).join(':');
}
