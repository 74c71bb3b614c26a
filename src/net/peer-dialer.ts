/**
 * Dials discovered peers over WebRTC (signaled through a relay circuit), using
 * the pure dial policy, and tracks failures for backoff.
 */
import type { Libp2p } from 'libp2p';
import type { Connection, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import { decideDial } from './dial-policy.ts';
import { NEIGHBOURHOOD, planNeighbourhood, type Neighbour } from './neighbours.ts';
import { classifyConnection } from './peer-table.ts';
import { duplicateLinks } from './duplicate-links.ts';
import { isDirectConnection } from './direct.ts';
import { pingConnection } from './liveness.ts';

/** Re-evaluation period for peers waiting on a tie-break or backoff. */
const DIAL_TICK_MS = 1_000;
/** Forget candidates not heard of for this long (closed tabs). */
const CANDIDATE_TTL_MS = 10 * 60_000;
/** A neighbour we dropped is not dialled again for this long: the round that dropped it would otherwise undo itself. */
const DROPPED_REST_MS = 5 * NEIGHBOURHOOD.refreshEveryMs;
/** @libp2p/webrtc's signaling protocol: a peer dialing us holds such a stream open on a relayed connection until its dial ends. */
export const WEBRTC_SIGNALING_PROTOCOL = '/webrtc-signaling/0.0.1';

interface Candidate {
  peerId: PeerId;
  addrs: Multiaddr[];
  firstSeenAt: number;
  lastSeenAt: number;
  failures: number;
  lastFailureAt?: number;
  dialing: boolean;
  lastError?: string;
  /** The last progress event of the current dial, e.g. "webrtc:read-sdp-answer". */
  stage?: string;
  /** When the neighbourhood last dropped it. */
  droppedAt?: number;
}

/**
 * The group a peer counts in for diversity: the relay its WebRTC address is
 * signaled through (the id before `/p2p-circuit`), so many keys reserved at
 * one relay weigh as one; peers with no such address share one group.
 */
export function relayGroup(addrs: readonly Multiaddr[]): string {
  for (const a of addrs) {
    const parts = a.getComponents();
    const circuit = parts.findIndex((c) => c.name === 'p2p-circuit');
    const relay = circuit > 0 ? parts[circuit - 1] : undefined;
    if (relay?.name === 'p2p' && relay.value !== undefined) return relay.value;
  }
  return 'unknown';
}

/**
 * Our direct peers as neighbours: since the oldest open connection, and as
 * useful as the streams we opened to them and still use (wires, requests),
 * plus what `usedFor` knows we use them for that the streams do not show (our
 * own circuits through them, whose link either side may have opened). Streams
 * the peer opened do not count: a peer cannot make itself look useful to keep
 * its place.
 */
export function neighboursOf(connections: readonly Pick<Connection, 'remotePeer' | 'remoteAddr' | 'limits' | 'streams' | 'timeline'>[], groupOf: (peerId: string) => string, usedFor: (peerId: string) => number = () => 0): Neighbour[] {
  const byPeer = new Map<string, Neighbour>();
  for (const c of connections) {
    if (classifyConnection({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null }) !== 'webrtc') continue;
    const id = c.remotePeer.toString();
    const ours = c.streams.filter((s) => s.direction === 'outbound').length;
    const n = byPeer.get(id);
    if (n === undefined) {
      const used = usedFor(id);
      byPeer.set(id, { id, since: c.timeline.open, group: groupOf(id), usefulness: ours + used, ...(used > 0 ? { inUse: true as const } : {}) });
    } else {
      n.since = Math.min(n.since, c.timeline.open);
      n.usefulness += ours;
    }
  }
  return [...byPeer.values()];
}

export function isWebRtcCircuitAddr(ma: Multiaddr): boolean {
  const names = ma.getComponents().map((c) => c.name);
  return names.includes('webrtc') && names.includes('p2p-circuit');
}

/**
 * The address with `/p2p/<peerId>` as its last component. Addresses learned
 * through identify or PEX may end at `/webrtc`; libp2p would then read the
 * relay's id from them as the target.
 */
export function withPeerId(ma: Multiaddr, peerId: string): Multiaddr {
  const last = ma.getComponents().at(-1);
  if (last?.name === 'p2p') return last.value === peerId ? ma : ma.decapsulateCode(last.code).encapsulate(`/p2p/${peerId}`);
  return ma.encapsulate(`/p2p/${peerId}`);
}

/** The WebRTC address of a peer that holds a reservation at the relay we reach at `relayAddr`. */
export function webRtcViaRelay(relayAddr: Multiaddr, relayId: string, peerId: string): Multiaddr {
  return withPeerId(relayAddr, relayId).encapsulate(`/p2p-circuit/webrtc/p2p/${peerId}`);
}

/**
 * The dial addresses a PEX answer gives for one peer. A relay names peers reserved with it, reached
 * through that relay, and peers reserved at relays it federates with, reached through those: an
 * address through another relay is kept only if that relay's endpoint is one we may dial (configured,
 * or named by a relay: `mayDialRelay`), else the peer is tried through the relay that answered. A
 * peer's answer gives WebRTC circuit addresses, the only kind a tab dials.
 */
export function pexDialAddrs(answered: readonly Multiaddr[], peerId: string, fromRelay: { addr: Multiaddr; id: string } | undefined, mayDialRelay: (ma: Multiaddr) => boolean = () => false): Multiaddr[] {
  if (fromRelay === undefined) return answered.filter(isWebRtcCircuitAddr);
  const elsewhere = answered.filter((a) => isWebRtcCircuitAddr(a) && a.getComponents().at(-1)?.value === peerId && mayDialRelay(a));
  return elsewhere.length > 0 ? elsewhere : [webRtcViaRelay(fromRelay.addr, fromRelay.id, peerId)];
}

export interface ConnectedPeers {
  direct: Set<string>;
  relayed: Set<string>;
  /** Peers signaling a WebRTC dial to us over a relayed connection now. */
  dialingUs: Set<string>;
}

/** Peers by the kind of connection we have with them: direct WebRTC, or relayed (and, of those, dialing us now). */
export function peersByConnection(connections: readonly Pick<Connection, 'remotePeer' | 'remoteAddr' | 'limits' | 'streams'>[]): ConnectedPeers {
  const peers: ConnectedPeers = { direct: new Set(), relayed: new Set(), dialingUs: new Set() };
  for (const c of connections) {
    const id = c.remotePeer.toString();
    const transport = classifyConnection({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null });
    if (transport === 'webrtc') peers.direct.add(id);
    else if (transport === 'relayed') {
      peers.relayed.add(id);
      if (c.streams.some((s) => s.direction === 'inbound' && s.protocol === WEBRTC_SIGNALING_PROTOCOL)) peers.dialingUs.add(id);
    }
  }
  return peers;
}

/** A peer we know of but have no direct connection to (yet). */
export interface PendingPeer {
  peerId: string;
  dialing: boolean;
  failures: number;
  lastError?: string | undefined;
  stage?: string | undefined;
}

export interface PeerDialer {
  offer(peerId: PeerId, addrs: readonly Multiaddr[]): void;
  /** Fewer neighbours (and dials in flight) than the neighbourhood's target: worth asking a relay who is there. */
  wantsPeers(): boolean;
  /** Dials under way, to peers we are or are not yet connected to. */
  dialsInFlight(): number;
  /**
   * Adds a measure of what we use neighbours for that their streams do not show (a capability's own
   * judgement, such as our circuits through them); the neighbourhood keeps the most used. Returns its removal.
   */
  countUse(usedFor: (peerId: string) => number): () => void;
  pending(): PendingPeer[];
  stop(): void;
}

export function startPeerDialer(node: Libp2p, onChange: () => void, now: () => number, random: () => number): PeerDialer {
  const self = node.peerId.toString();
  const candidates = new Map<string, Candidate>();
  const uses = new Set<(peerId: string) => number>();
  const usedFor = (peerId: string): number => {
    let n = 0;
    for (const use of uses) n += use(peerId);
    return n;
  };

  const connectedPeers = (): ConnectedPeers => peersByConnection(node.getConnections());
  const directPeers = (): Set<string> => connectedPeers().direct;

  let lastRefreshAt = Number.NEGATIVE_INFINITY;
  /** Dials in flight to peers we hold no direct connection to: each will be a neighbour, so each counts as one. */
  const dialsToNewPeers = (direct: ReadonlySet<string>): Candidate[] => [...candidates.values()].filter((c) => c.dialing && !direct.has(c.peerId.toString()));
  /** Each candidate's relay group, from the addresses it was offered with (ours to know; the peer cannot rename it). */
  const groupOf = (peerId: string): string => relayGroup(candidates.get(peerId)?.addrs ?? []);

  /**
   * One round: the dial policy says whom we may dial now (tie-breaks,
   * backoff), and the neighbourhood (neighbours.ts) which of those we do dial,
   * and which neighbours we let go. Dials in flight count as neighbours, so a
   * burst of offers cannot start more dials than the target.
   */
  const evaluate = (): void => {
    const connections = node.getConnections();
    const { direct, relayed, dialingUs } = peersByConnection(connections);
    const selfDialable = node.getMultiaddrs().some(isWebRtcCircuitAddr);
    const t = now();
    const dialable: Candidate[] = [];
    for (const [key, c] of candidates) {
      if (t - c.lastSeenAt > CANDIDATE_TTL_MS && !direct.has(key)) {
        candidates.delete(key);
        continue;
      }
      if (c.droppedAt !== undefined && t - c.droppedAt < DROPPED_REST_MS) continue;
      const decision = decideDial({
        self,
        peer: key,
        now: t,
        firstSeenAt: c.firstSeenAt,
        hasDirectConnection: direct.has(key),
        dialInProgress: c.dialing,
        directPeerCount: direct.size,
        hasWebRtcAddress: c.addrs.length > 0,
        selfDialable,
        peerSignaling: relayed.has(key),
        peerDialing: dialingUs.has(key),
        lastFailureAt: c.lastFailureAt,
        failures: c.failures,
        random,
      });
      if (decision.action === 'dial') dialable.push(c);
    }
    const neighbours = neighboursOf(connections, groupOf, usedFor);
    // A dial in flight holds its place and is never the one dropped.
    for (const c of dialsToNewPeers(direct)) neighbours.push({ id: c.peerId.toString(), since: t, group: groupOf(c.peerId.toString()), usefulness: Number.POSITIVE_INFINITY });
    const plan = planNeighbourhood({ now: t, neighbours, candidates: dialable.map((c) => ({ id: c.peerId.toString(), group: groupOf(c.peerId.toString()) })), lastRefreshAt, random });
    if (plan.refreshed) lastRefreshAt = t;
    for (const id of plan.dial) dial(candidates.get(id)!);
    for (const id of plan.drop) {
      const c = candidates.get(id);
      if (c !== undefined) c.droppedAt = t;
      void node.hangUp(peerIdFromString(id)).catch(() => undefined);
    }
    if (plan.drop.length > 0) onChange();
  };

  const dial = (c: Candidate): void => {
    c.dialing = true;
    node.dial(c.addrs, { onProgress: (evt: { type: string }) => (c.stage = evt.type) }).then(
      () => {
        c.dialing = false;
        c.failures = 0;
        delete c.lastFailureAt;
        delete c.lastError;
        onChange();
      },
      (err: Error) => {
        c.dialing = false;
        c.failures += 1;
        c.lastFailureAt = now();
        c.lastError = err.message;
        onChange();
      },
    );
  };

  const onDiscovery = (evt: CustomEvent<{ id: PeerId; multiaddrs: Multiaddr[] }>): void => {
    offer(evt.detail.id, evt.detail.multiaddrs);
  };

  const offer = (peerId: PeerId, addrs: readonly Multiaddr[]): void => {
    const key = peerId.toString();
    if (key === self) return;
    const webrtc = addrs.filter(isWebRtcCircuitAddr).map((a) => withPeerId(a, key));
    const t = now();
    const existing = candidates.get(key);
    if (existing === undefined) {
      candidates.set(key, { peerId, addrs: webrtc, firstSeenAt: t, lastSeenAt: t, failures: 0, dialing: false });
    } else {
      existing.lastSeenAt = t;
      if (webrtc.length > 0) existing.addrs = webrtc;
    }
    evaluate();
    // A new peer is pending (or being dialled) now: the snapshot shows it, and a tab's start waits for it (service-start.ts).
    if (existing === undefined) onChange();
  };

  // Both ends dialled at once (the tie-break has a window): both close the same one of the two links. But the
  // link to keep may be one the other end left behind when it reloaded, dead until liveness cuts it: the
  // extra goes only once the kept link answers a ping (else it would be the peer's only live link).
  const onOpen = (evt: CustomEvent<Connection>): void => {
    const peer = evt.detail.remotePeer;
    if (!isDirectConnection(evt.detail)) return;
    const links = node.getConnections(peer).filter(isDirectConnection);
    const extras = duplicateLinks(self, peer.toString(), links);
    if (extras.length === 0) return;
    const kept = links.filter((l) => !extras.includes(l));
    Promise.any(kept.map((l) => pingConnection(l))).then(
      () => {
        for (const extra of extras) if (isDirectConnection(extra)) extra.abort(new Error('a second direct link to this peer: the one the tie-break makes is kept'));
      },
      () => undefined, // the kept link is dead: liveness cuts it, and the new one stays
    );
  };

  node.addEventListener('peer:discovery', onDiscovery);
  node.addEventListener('connection:open', onOpen);
  const timer = setInterval(evaluate, DIAL_TICK_MS);

  return {
    offer,
    wantsPeers() {
      const direct = directPeers();
      return direct.size + dialsToNewPeers(direct).length < NEIGHBOURHOOD.target;
    },
    dialsInFlight: () => [...candidates.values()].filter((c) => c.dialing).length,
    countUse(use) {
      uses.add(use);
      return () => void uses.delete(use);
    },
    pending() {
      const direct = directPeers();
      return [...candidates.values()]
        .filter((c) => !direct.has(c.peerId.toString()) && c.addrs.length > 0)
        .map((c) => ({ peerId: c.peerId.toString(), dialing: c.dialing, failures: c.failures, lastError: c.lastError, stage: c.stage }));
    },
    stop() {
      clearInterval(timer);
      node.removeEventListener('peer:discovery', onDiscovery);
      node.removeEventListener('connection:open', onOpen);
    },
  };
}
