/**
 * Relays federated: each keeps a connection to the relays it is configured with
 * (--peer) and to a few it met through the relays' DHT (relay-dht.ts), samples
 * the peers reserved there (their own only, RELAY_PEERS_PROTOCOL), so discovery
 * crosses relays, and names them to tabs that ask (`/trustmesh/relays/1.0.0`), so
 * a tab can dial peers reserved at them and move to one of them when its own
 * relay fails.
 */
import type { Libp2p } from 'libp2p';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Connection, IdentifyResult } from '@libp2p/interface';
import { backoffDelay, type BackoffPolicy } from '../src/net/backoff.ts';
import { webSocketEndpoint } from '../src/net/net-config.ts';
import { requestPex } from '../src/net/pex/pex.ts';
import { RELAY_PEERS_PROTOCOL } from '../src/net/protocols.ts';
import { randomSample } from '../src/net/random-sample.ts';
import { RELAY_DHT_PROTOCOL, relayAddress } from './relay-dht.ts';
import { relayGroup } from './relay-groups.ts';

/**
 * How often a relay asks each federated relay which peers it holds: peers
 * stay for minutes, so a sample half a minute old still names mostly live
 * peers, at one small request per relay pair.
 */
export const FEDERATED_SAMPLE_MS = 30_000;

/** Failed dials in a row after which a relay met through the DHT is forgotten: it left, and the DHT brings it back if it returns. */
export const LEARNED_RELAY_ATTEMPTS = 3;

/**
 * Relays met through the DHT that we federate with per network (relay-groups.ts): relays are met
 * first come, so without it whoever starts relays on one host or block that answer first could take
 * every place, and their samples would make up half of what our tabs hear from us.
 */
export const LEARNED_RELAYS_PER_GROUP = 2;

/**
 * Peers that spoke the relays' DHT protocol whose records outlive their connections (relay.ts drops a
 * tab's on disconnect; the DHT dials its contacts by them). Bounded, since anyone can claim the protocol.
 */
export const DHT_PEERS_KEPT = 512;

/**
 * After meeting a relay, a relay looks itself up in the DHT again, this long after (growing with each
 * lookup, up to kad-dht's own 5-minute self-query): kad-dht takes a new contact into its table only once
 * it answers a ping, so two relays that reach the same relay at once may each look themselves up before
 * it holds the other, and would otherwise meet only at the next self-query. Growing, so that peers
 * claiming the protocol cannot make us walk the DHT more often than that.
 */
export const SELF_LOOKUP_BACKOFF: BackoffPolicy = { initialMs: 2_000, maxMs: 5 * 60_000, factor: 2, jitter: 0.2 };

export interface FederationOptions {
  /** Relays met through the DHT that we federate with, beside the configured ones (RelayLimits.learnedRelays). */
  learnedRelays: number;
  /** Whether a relay met through the DHT may be named at a loopback or private address (relay-dht.ts). */
  privateAddresses: boolean;
  /** Looks this relay up in the relays' DHT, which connects it to the relays nearest to it (relay-dht.ts). */
  lookUpSelf: () => Promise<void>;
}

type Log = (message: string) => void;

export interface Federation {
  /** A relay we federate with, or a peer that spoke the relays' DHT protocol lately: its record is kept. */
  isRelay(peerId: string): boolean;
  /** The federated relays connected now, each with the WebSocket address we were configured with, or that it listens on if met through the DHT. */
  connected(): { peerId: string; addrs: Multiaddr[] }[];
  /**
   * Up to `count` peers reserved at federated relays (their last samples), each
   * with its WebRTC address through that relay: a tab's walks then cross relays
   * (sim/discovery: relays that named only their own peers split the network).
   */
  samplePeers(count: number, exclude: string): { peerId: string; addrs: Multiaddr[] }[];
  stop(): void;
}

/** The id a configured address names (/p2p/<id>), if any. */
function idOf(addr: string): string | undefined {
  try {
    return multiaddr(addr).getComponents().findLast((c) => c.name === 'p2p')?.value;
  } catch {
    return undefined; // reported when dialled
  }
}

export function federate(node: Libp2p, peers: readonly string[], log: Log, random: () => number, options: FederationOptions): Federation {
  let stopped = false;
  // From the configured addresses (/p2p/<id>), which covers the relays that dial us, from each dial, and from the DHT.
  const relayIds = new Set(peers.flatMap((addr) => idOf(addr) ?? []));
  /** Relays met through the DHT that we federate with: id → the address we dial it at and name it by. */
  const learned = new Map<string, string>();
  /** Peers that spoke the DHT protocol, least recently seen first (DHT_PEERS_KEPT): id → the address we would name it at, if any. */
  const dhtPeers = new Map<string, string | undefined>();
  /** Address we dial → the relay, while our connection to it is open: its id, and the peers it named when last asked. */
  const open = new Map<string, { id: string; conn: Connection; peers: string[] }>();
  /** Whether a dial loop for a relay met through the DHT is still wanted (a failing relay is forgotten). */
  const wanted = (addr: string, learnedId: string | undefined): boolean => !stopped && (learnedId === undefined || learned.get(learnedId) === addr);
  const ask = (relay: { conn: Connection; peers: string[] }): void => {
    requestPex(relay.conn, RELAY_PEERS_PROTOCOL).then(
      (learned) => void (relay.peers = learned.map((p) => p.peerId.toString())),
      () => void (relay.peers = []), // asked again at the next round, while the connection lasts
    );
  };
  const sampling = setInterval(() => {
    for (const relay of open.values()) ask(relay);
  }, FEDERATED_SAMPLE_MS);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  /** Dials a relay and keeps the connection: a configured one for good, one met through the DHT until it fails LEARNED_RELAY_ATTEMPTS times in a row. */
  const keep = (addr: string, attempt: number, learnedId?: string): void => {
    if (!wanted(addr, learnedId)) return;
    node.dial(multiaddr(addr)).then(
      (conn) => {
        if (!wanted(addr, learnedId)) return;
        log(`federated with ${addr}`);
        const id = conn.remotePeer.toString();
        relayIds.add(id);
        // A configured relay also met through the DHT (its address named no id) keeps its configured place only.
        const alsoLearned = learnedId === undefined ? learned.get(id) : undefined;
        if (alsoLearned !== undefined) {
          learned.delete(id);
          open.delete(alsoLearned);
        }
        const relay = { id, conn, peers: [] as string[] };
        open.set(addr, relay);
        ask(relay);
        const onClose = (): void => {
          if (conn.status !== 'open') {
            node.removeEventListener('connection:close', onClose);
            if (open.get(addr) === relay) open.delete(addr);
            schedule(addr, 0, learnedId);
          }
        };
        node.addEventListener('connection:close', onClose);
      },
      (err: Error) => {
        log(`cannot reach relay ${addr}: ${err.message}`);
        if (learnedId !== undefined && attempt + 1 >= LEARNED_RELAY_ATTEMPTS) {
          if (learned.get(learnedId) === addr) {
            learned.delete(learnedId);
            relayIds.delete(learnedId);
            dhtPeers.delete(learnedId);
            learnMore();
          }
          return;
        }
        schedule(addr, attempt + 1, learnedId);
      },
    );
  };
  const schedule = (addr: string, attempt: number, learnedId: string | undefined): void => {
    if (!wanted(addr, learnedId)) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      keep(addr, attempt, learnedId);
    }, backoffDelay(attempt, random));
    timers.add(timer);
  };
  for (const addr of peers) keep(addr, 0);

  /** Self-lookups run since start (SELF_LOOKUP_BACKOFF), and whether one is waiting or running. */
  let lookups = 0;
  let lookingUp = false;
  const lookUpAgain = (): void => {
    if (lookingUp || stopped || learned.size >= options.learnedRelays) return;
    lookingUp = true;
    const timer = setTimeout(() => {
      timers.delete(timer);
      lookups++;
      options.lookUpSelf().catch((err: Error) => log(`looking ourselves up in the relays' DHT failed: ${err.message}`)).finally(() => void (lookingUp = false));
    }, backoffDelay(lookups, random, SELF_LOOKUP_BACKOFF));
    timers.add(timer);
  };

  /** The network a relay's address is in (relay-groups.ts). */
  const groupOf = (addr: string): string | undefined => relayGroup(multiaddr(addr), options.privateAddresses);
  /** Whether a relay at `addr` may take a place: fewer than LEARNED_RELAYS_PER_GROUP of those we learned share its network. */
  const hasRoomFor = (addr: string): boolean => {
    const group = groupOf(addr);
    return group !== undefined && [...learned.values()].filter((a) => groupOf(a) === group).length < LEARNED_RELAYS_PER_GROUP;
  };
  const learn = (id: string, addr: string): void => {
    learned.set(id, addr);
    relayIds.add(id);
    log(`met relay ${addr} through the DHT`);
    keep(addr, 0, id);
  };
  /** A place freed (a relay left): the relay met most recently that we do not federate with yet, in a network with room, takes it. */
  const learnMore = (): void => {
    const next = [...dhtPeers].reverse().find(([id, addr]) => addr !== undefined && !relayIds.has(id) && hasRoomFor(addr));
    if (next !== undefined && learned.size < options.learnedRelays) learn(next[0], next[1]!);
  };
  // A peer that speaks the relays' DHT protocol is a relay: federate with it while we have room and it has an address tabs can dial.
  const onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, listenAddrs } = evt.detail;
    if (stopped || !protocols.includes(RELAY_DHT_PROTOCOL) || peerId.equals(node.peerId)) return;
    const id = peerId.toString();
    const at = relayAddress(listenAddrs, options.privateAddresses);
    const addr = at === undefined ? undefined : (idOf(at.toString()) === undefined ? at.encapsulate(`/p2p/${id}`) : at).toString();
    const met = !dhtPeers.delete(id);
    dhtPeers.set(id, addr);
    if (dhtPeers.size > DHT_PEERS_KEPT) dhtPeers.delete(dhtPeers.keys().next().value!);
    if (addr !== undefined && !relayIds.has(id) && learned.size < options.learnedRelays && hasRoomFor(addr)) learn(id, addr);
    if (met) lookUpAgain();
  };
  node.addEventListener('peer:identify', onIdentify);
  // The address our operator configured, not what the relay says of itself: identify lists every
  // interface of a relay listening on all of them, private ones too, and tabs may dial what we name.
  // A relay met through the DHT is named at the address it listens on (relay-dht.ts). Once per relay.
  const connected = (): { peerId: string; addrs: Multiaddr[]; peers: string[] }[] => {
    const seen = new Set<string>();
    return [...open].flatMap(([addr, { id, peers }]) => {
      const ma = multiaddr(addr);
      if (webSocketEndpoint(ma) === undefined || seen.has(id)) return [];
      seen.add(id);
      return [{ peerId: id, addrs: [idOf(addr) === undefined ? ma.encapsulate(`/p2p/${id}`) : ma], peers }];
    });
  };
  return {
    isRelay: (peerId) => relayIds.has(peerId) || dhtPeers.has(peerId),
    connected,
    samplePeers(count, exclude) {
      const named = connected().flatMap((relay) =>
        relay.peers.filter((p) => p !== exclude && p !== relay.peerId).map((peerId) => ({ peerId, addrs: [relay.addrs[0]!.encapsulate(`/p2p-circuit/webrtc/p2p/${peerId}`)] })));
      return randomSample(named, count, random);
    },
    stop() {
      stopped = true;
      node.removeEventListener('peer:identify', onIdentify);
      clearInterval(sampling);
      for (const t of timers) clearTimeout(t);
    },
  };
}
