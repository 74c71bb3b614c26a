/**
 * Relays find each other through a Kademlia DHT of their own (@libp2p/kad-dht on a protocol only
 * relays speak; tabs stay out of it): a relay started with the address of one other relay looks
 * itself up through it, reaches the relays nearest to it, and is reached by those that look
 * themselves up; federation.ts federates with the relays it meets this way.
 */
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from '@libp2p/kad-dht';
import type { Libp2p } from '@libp2p/interface';
import { isPrivate } from '@libp2p/utils';
import { MemoryDatastore, MountDatastore } from 'datastore-core';
import { BlackHoleDatastore } from 'datastore-core/black-hole';
import { Key, type Datastore } from 'interface-datastore';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { webSocketEndpoint } from '../src/net/net-config.ts';

/** Spoken by relays only: a peer that speaks it says it is a relay, and must then be reachable as one (`relayAddress`). */
export const RELAY_DHT_PROTOCOL = '/trustmesh/relay-dht/1.0.0';

/** How long a lookup of ourselves may walk the relays' DHT: kad-dht's own self-query gets 5 s; a loaded relay answers slower. */
const SELF_LOOKUP_TIMEOUT_MS = 10_000;

/** Where the DHT keeps what it is asked to store (provider records, values): in relayDatastore, nowhere. */
const DHT_DATASTORE_PREFIX = '/dht';

/**
 * `privateAddresses`: a relay on loopback or a private network (a local or LAN deployment) takes
 * such addresses of other relays; a public one drops them, since the tabs it names relays to
 * could not reach them, or would reach something else on their own network.
 */
export function relayDht(privateAddresses: boolean) {
  return kadDHT({
    protocol: RELAY_DHT_PROTOCOL,
    // A relay is a server from the start: it listens on an address it was given to be dialled at.
    clientMode: false,
    peerInfoMapper: privateAddresses ? passthroughMapper : removePrivateAddressesMapper,
    datastorePrefix: DHT_DATASTORE_PREFIX,
  });
}

/**
 * Looks a relay up in the relays' DHT, as kad-dht's own self-query does: the walk connects it to the
 * relays nearest to it, which federation.ts meets as they identify.
 */
export async function lookUpSelf(node: Libp2p<{ dht: KadDHT }>): Promise<void> {
  for await (const _ of node.services.dht.getClosestPeers(node.peerId.toMultihash().bytes, { signal: AbortSignal.timeout(SELF_LOOKUP_TIMEOUT_MS) }));
}

/**
 * The relay's libp2p datastore: the peer store in memory, and nothing of what others ask the DHT to
 * store. Relays use it to find one another only, and provider records and values put by anyone
 * would grow the relay's memory without bound (a fresh key per record costs an attacker nothing).
 */
export function relayDatastore(): Datastore {
  return new MountDatastore([
    { prefix: new Key(DHT_DATASTORE_PREFIX), datastore: new BlackHoleDatastore() },
    { prefix: new Key('/'), datastore: new MemoryDatastore() },
  ]);
}

/**
 * The address a relay met through the DHT is named at: a WebSocket address it listens on (what a
 * browser can dial), TLS first (what an https page can dial), never a relayed one; undefined when
 * it has none, such as a browser that claims the protocol.
 */
export function relayAddress(listenAddrs: readonly Multiaddr[], privateAddresses: boolean): Multiaddr | undefined {
  const usable = listenAddrs.filter((ma) => {
    const names = ma.getComponents().map((c) => c.name);
    return !names.includes('p2p-circuit') && webSocketEndpoint(ma) !== undefined && (privateAddresses || !isPrivate(ma));
  });
  return usable.find((ma) => ma.getComponents().some((c) => c.name === 'wss' || c.name === 'tls')) ?? usable[0];
}

/**
 * A relay whose own addresses (announced, else the one it listens on) are all loopback or private: a
 * local or LAN deployment. One listening on every interface (0.0.0.0, ::) is not: it may face the internet.
 */
export function isPrivateDeployment(ownAddrs: readonly string[]): boolean {
  return ownAddrs.every((a) => {
    try {
      const ma = multiaddr(a);
      const ip = ma.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value;
      return ip !== '0.0.0.0' && ip !== '::' && isPrivate(ma);
    } catch {
      return false; // config.ts rejects it before we get here
    }
  });
}
