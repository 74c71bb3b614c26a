/**
 * The running peer: libp2p node, relay keeper, WebRTC dialer, peer exchange and
 * the throughput probe, with a snapshot for the UI. One per tab that holds the
 * profile's lock.
 */
import type { Connection } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Identity } from '../identity/identity.ts';
import { identityFingerprint } from '../identity/identity.ts';
import { createPeerNode, type PeerNode } from './node.ts';
import { errorText } from './direct.ts';
import { watchLiveness } from './liveness.ts';
import { keepGossipLinks } from './gossip-links.ts';
import { isDialAllowed } from './dial-gater.ts';
import { parseRelayAddress, type NetConfig } from './net-config.ts';
import { keepRelays, type RelayKeeper, type RelayStatus } from './relay-keeper.ts';
import { startPeerDialer, isWebRtcCircuitAddr, pexDialAddrs, withPeerId, type PeerDialer, type PendingPeer } from './peer-dialer.ts';
import { buildPeerTable, classifyConnection, type PeerRow } from './peer-table.ts';
import { PERF_PROTOCOL, PEX_PROTOCOL, RELAYS_PROTOCOL } from './protocols.ts';
import { answerPex, requestPex } from './pex/pex.ts';
import { MAX_PEX_PEERS } from './pex/pex-wire.ts';
import { WALK } from './walk.ts';
import { handlePerfStream, runPerf, type PerfResult } from './perf/perf.ts';
import { RecentPeerBook, type PeerStorage } from './recent-peer-book.ts';

/** The snapshot is refreshed on events, and at least this often for RTT figures. */
const SNAPSHOT_REFRESH_MS = 2_000;
/** Liveness cuts remembered for diagnostics: enough to see a burst, bounded however long the tab runs. */
const MAX_RECORDED_CUTS = 16;
/**
 * A relay connection without a reservation this long is stale state on the
 * relay (seen when an identity reconnects right after its previous tab closed):
 * we hang up and reconnect, which gives a fresh reservation and subscriptions.
 */
const RESERVATION_GRACE_MS = 10_000;
/** How often the reservation watchdog looks. */
const WATCHDOG_INTERVAL_MS = 5_000;
/** A probe may upload/download hundreds of MiB; two at once is plenty for diagnostics. */
const MAX_INBOUND_PERF_STREAMS = 2;

export interface PeerSnapshot {
  peerId: string;
  fingerprint: string;
  relays: RelayStatus[];
  peers: PeerRow[];
  /** Peers we know of and are trying to reach directly. */
  pending: PendingPeer[];
  /** Our dialable addresses (circuit/WebRTC), once a relay reservation exists. */
  addresses: string[];
  /** True when a relay or at least one peer is reachable. */
  online: boolean;
}

export class PeerNotConnectedError extends Error {
  override name = 'PeerNotConnectedError';
}

export interface PeerServiceDeps {
  now: () => number;
  random: () => number;
  /** GossipSub topics the node carries (what spreads to everyone). */
  gossipTopics: readonly string[];
  /** Where the last direct peers are kept for the next start (recent-peers.ts); none: each start asks the relay. */
  storage?: PeerStorage;
}

export class PeerService {
  private readonly listeners = new Set<(s: PeerSnapshot) => void>();
  private current: PeerSnapshot;
  private refreshQueued = false;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  /** The last connections cut for an unanswered ping, newest last (diagnostics, tests). */
  readonly livenessCuts: { peer: string; at: number; reason: string }[] = [];

  private constructor(
    readonly node: PeerNode,
    private readonly identity: Identity,
    private readonly relays: RelayKeeper,
    private readonly dialer: PeerDialer,
    private readonly deps: PeerServiceDeps,
    private readonly blockedPeers: Set<string>,
    /** WebSocket endpoints we may dial (the gater reads this set): configured relays, then relays they name. */
    private readonly relayEndpoints: Set<string>,
  ) {
    this.recentPeers = new RecentPeerBook(deps.storage, node.peerId.toString(), deps.now);
    this.current = this.compute();
  }

  /** Our direct peers of the last visits, dialled as soon as the relay they were reserved at is connected. */
  private readonly recentPeers: RecentPeerBook;

  static async start(identity: Identity, config: NetConfig, deps: PeerServiceDeps): Promise<PeerService> {
    const endpoints = new Set(config.relays.flatMap((r) => (r.ok ? [r.endpoint] : [])));
    const blockedPeers = new Set<string>();
    const node = await createPeerNode(identity, { relayEndpoints: endpoints, iceServers: config.iceServers, blockedPeers, gossipTopics: deps.gossipTopics });
    await node.handle(PERF_PROTOCOL, (stream) => handlePerfStream(stream), { maxInboundStreams: MAX_INBOUND_PERF_STREAMS });
    await node.start();
    // The service is assembled after start so the keeper and dialer see a running node.
    let service: PeerService | undefined;
    const changed = (): void => service?.refresh();
    const relays = keepRelays(node, config.relays, changed, deps.now, deps.random);
    const dialer = startPeerDialer(node, changed, deps.now, deps.random);
    service = new PeerService(node, identity, relays, dialer, deps, blockedPeers, endpoints);
    await service.wire();
    return service;
  }

  private answered: () => void = () => undefined;
  /** Settles once a relay first answered who is here (or could not), the peers it named offered to the dialer. */
  readonly relayAnswered: Promise<void> = new Promise((resolve) => (this.answered = resolve));

  /** Dials under way (diagnostics: a settled network has none). */
  dialsInFlight(): number {
    return this.dialer.dialsInFlight();
  }

  /** What a capability uses neighbours for that their streams do not show: the neighbourhood keeps the most used (peer-dialer.ts). */
  countUse(usedFor: (peerId: string) => number): () => void {
    return this.dialer.countUse(usedFor);
  }

  /** Never connects to this peer again, and hangs up on it now (tests of anonymity, where two ends must not meet). */
  block(peerId: string): void {
    this.blockedPeers.add(peerId);
    void this.node.hangUp(peerIdFromString(peerId)).catch(() => undefined);
  }

  private async wire(): Promise<void> {
    const node = this.node;
    await node.handle(PEX_PROTOCOL, (stream, connection) => answerPex(stream, this.pexEntries(connection.remotePeer.toString())), { maxInboundStreams: 4 });
    for (const event of ['connection:open', 'connection:close', 'peer:identify', 'self:peer:update', 'transport:listening'] as const) {
      node.addEventListener(event, () => this.refresh());
    }
    // Once we are reserved, our relays are asked again: a tab that asked before us, and was told nobody,
    // is now named to whoever asks, but those who asked before both of us were reserved know neither.
    // A reservation is a transport listening; libp2p reports the address a second later (self:peer:update).
    for (const event of ['transport:listening', 'self:peer:update'] as const) node.addEventListener(event, () => this.onAddresses());
    node.addEventListener('connection:open', (evt) => {
      // A relay is asked for its relays and its peers at once; its peers are dialled once its relays are known,
      // since it may name peers reserved at them.
      if (this.isRelay(evt.detail)) {
        // Peers of the last visits reserved at this relay are dialled now, without waiting a round for its answer.
        for (const p of this.recentPeers.reachedThrough(evt.detail.remotePeer.toString(), this.mayDialThrough)) this.dialer.offer(p.peerId, p.addrs);
        void this.exchangePeers(evt.detail, this.learnRelays(evt.detail));
      }
      else if (this.isDirect(evt.detail)) void this.exchangePeers(evt.detail);
    });
    this.stopLiveness = watchLiveness(node, {
      onCut: (c, err) => {
        this.livenessCuts.push({ peer: c.remotePeer.toString(), at: this.deps.now(), reason: errorText(err) });
        if (this.livenessCuts.length > MAX_RECORDED_CUTS) this.livenessCuts.shift();
      },
    });
    // GossipSub loses its streams to a neighbour when the one link it used closes and another stays.
    this.stopGossipLinks = keepGossipLinks(node, node.services.pubsub);
    this.timers.push(setInterval(() => this.refresh(), SNAPSHOT_REFRESH_MS));
    this.timers.push(setInterval(() => this.askRelayIfShort(), WALK.askRelayWhileShortEveryMs));
    this.timers.push(setInterval(() => this.exchangeWithRandomPeer(), WALK.askNeighbourEveryMs));
    this.timers.push(setInterval(() => this.checkReservation(), WATCHDOG_INTERVAL_MS));
    if (typeof window !== 'undefined') window.addEventListener('online', this.onOnline);
  }

  private readonly onOnline = (): void => this.relays.retryNow();
  /** Stops pinging connections (liveness.ts). */
  private stopLiveness: () => void = () => undefined;
  private stopGossipLinks: () => void = () => undefined;

  private isDirect(c: Connection): boolean {
    return classifyConnection({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null }) === 'webrtc';
  }

  /** Whether a WebRTC address's relay is one we may dial (configured, or named by a relay; dial-gater.ts). */
  private readonly mayDialThrough = (a: Multiaddr): boolean => isDialAllowed(a.decapsulate('/p2p-circuit'), this.relayEndpoints);

  /** Keeps our direct peers, with the addresses we know them at, for the next start (recent-peers.ts). */
  private rememberDirectPeers(): void {
    const ids = new Set(this.directConnections().map((c) => c.remotePeer.toString()));
    this.recentPeers.note([...ids].map((id) => ({ id, addrs: (this.knownAddrs.get(id) ?? []).map((a) => withPeerId(a, id).toString()) })));
  }

  /** A tab dials WebSockets only to relays (dial-gater.ts), and nobody dials a tab over them. */
  private isRelay(c: Connection): boolean {
    return classifyConnection({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null }) === 'websocket';
  }

  private directConnections(): Connection[] {
    return this.node.getConnections().filter((c) => this.isDirect(c));
  }

  /** Directly connected peers and their WebRTC addresses, for PEX answers. */
  private pexEntries(exclude: string): { peerId: string; addrs: Uint8Array[] }[] {
    const seen = new Set<string>([exclude]);
    const entries: { peerId: string; addrs: Uint8Array[] }[] = [];
    for (const c of this.directConnections()) {
      const id = c.remotePeer.toString();
      if (seen.has(id)) continue;
      seen.add(id);
      const addrs = this.knownAddrs.get(id) ?? [];
      if (addrs.length > 0) entries.push({ peerId: id, addrs: addrs.map((a) => a.bytes) });
      if (entries.length >= MAX_PEX_PEERS) break;
    }
    return entries;
  }

  /** WebRTC addresses we have learned per peer (from discovery, identify and PEX). */
  private readonly knownAddrs = new Map<string, Multiaddr[]>();

  /**
   * Asks a peer which peers it is connected to, or a relay which peers hold a reservation with it.
   * A new tab asks its relay at once and dials those peers through it, before its own reservation lands.
   */
  private async exchangePeers(connection: Connection, relaysKnown: Promise<void> = Promise.resolve()): Promise<void> {
    try {
      const fromRelay = this.isRelay(connection) ? { addr: connection.remoteAddr, id: connection.remotePeer.toString() } : undefined;
      const learned = await requestPex(connection);
      await relaysKnown;
      for (const p of learned) {
        const addrs = pexDialAddrs(p.addrs, p.peerId.toString(), fromRelay, this.mayDialThrough);
        if (addrs.length === 0) continue;
        this.knownAddrs.set(p.peerId.toString(), addrs);
        this.dialer.offer(p.peerId, addrs);
      }
    } catch {
      // The peer may not speak PEX or may have left; discovery still works.
    }
    if (this.isRelay(connection)) this.answered();
  }

  /**
   * Asks a relay which relays it federates with: their WebSocket endpoints may
   * then be dialled (peers reserved there, dial-gater.ts), and the keeper falls
   * back to them when none of ours is connected. Only a relay is asked, and we
   * reach a relay only at an endpoint that was configured or named by a relay.
   */
  private async learnRelays(connection: Connection): Promise<void> {
    try {
      const named = (await requestPex(connection, RELAYS_PROTOCOL)).flatMap((r) => r.addrs.map((a) => parseRelayAddress(a.toString())));
      // Only what the keeper took (at most MAX_RELAYS in all) widens the gater: a relay that names new hosts
      // at every connection cannot grow the set of hosts this tab may dial.
      for (const r of this.relays.learn(named)) this.relayEndpoints.add(r.endpoint);
    } catch {
      // An older relay, or one that left: our configured relays still serve.
    }
  }

  private checkReservation(): void {
    if (this.node.getMultiaddrs().some(isWebRtcCircuitAddr)) return;
    const now = this.deps.now();
    for (const r of this.relays.statuses()) {
      if (r.state === 'connected' && now - r.since > RESERVATION_GRACE_MS) {
        void this.node.hangUp(peerIdFromString(r.peerId)).catch(() => undefined);
      }
    }
  }

  /** Whether we held a dialable (reserved) address at the last look. */
  private reserved = false;

  private onAddresses(): void {
    const reserved = this.node.getMultiaddrs().some(isWebRtcCircuitAddr);
    if (reserved && !this.reserved) for (const c of this.relayConnections()) void this.exchangePeers(c);
    this.reserved = reserved;
  }

  /** The walk's relay step: below our target of neighbours, one relay names a few of its peers. */
  private askRelayIfShort(): void {
    if (!this.dialer.wantsPeers()) return;
    const relays = this.relayConnections();
    const pick = relays[Math.floor(this.deps.random() * relays.length)];
    if (pick !== undefined) void this.exchangePeers(pick);
  }

  private relayConnections(): Connection[] {
    return this.node.getConnections().filter((c) => this.isRelay(c));
  }

  private exchangeWithRandomPeer(): void {
    const direct = this.directConnections();
    const pick = direct[Math.floor(this.deps.random() * direct.length)];
    if (pick !== undefined) void this.exchangePeers(pick);
  }

  private compute(): PeerSnapshot {
    const node = this.node;
    const connections = node.getConnections().map((c) => ({
      remotePeer: c.remotePeer.toString(),
      remoteAddr: c.remoteAddr.toString(),
      limited: c.limits != null,
      openedAt: c.timeline.open,
      rttMs: c.rtt,
    }));
    const relays = this.relays.statuses();
    const peers = buildPeerTable(connections, this.relays.relayPeerIds(), new Map());
    return {
      peerId: node.peerId.toString(),
      fingerprint: identityFingerprint(this.identity),
      relays,
      peers,
      pending: this.dialer.pending(),
      addresses: node.getMultiaddrs().filter(isWebRtcCircuitAddr).map((ma) => ma.toString()),
      online: relays.some((r) => r.state === 'connected') || peers.some((p) => p.role === 'peer'),
    };
  }

  private refresh(): void {
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    queueMicrotask(() => {
      this.refreshQueued = false;
      this.recordAddrs();
      this.rememberDirectPeers();
      this.current = this.compute();
      for (const l of this.listeners) l(this.current);
    });
  }

  /** Keeps the WebRTC addresses of connected peers, learned through identify. */
  private recordAddrs(): void {
    for (const c of this.directConnections()) {
      const id = c.remotePeer.toString();
      void this.node.peerStore.get(c.remotePeer).then(
        (peer) => {
          const addrs = peer.addresses.map((a) => a.multiaddr).filter(isWebRtcCircuitAddr);
          if (addrs.length > 0) this.knownAddrs.set(id, addrs);
        },
        () => undefined,
      );
    }
  }

  snapshot(): PeerSnapshot {
    return this.current;
  }

  subscribe(listener: (s: PeerSnapshot) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  /** Measures throughput to a directly connected peer. */
  async speedTest(peerId: string, uploadBytes: number, downloadBytes: number): Promise<PerfResult> {
    const id = peerIdFromString(peerId);
    const conn = this.directConnections().find((c) => c.remotePeer.equals(id));
    if (conn === undefined) throw new PeerNotConnectedError(`No direct connection to ${peerId.slice(-8)}; wait until it shows as direct WebRTC.`);
    return runPerf(conn, uploadBytes, downloadBytes, () => performance.now());
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.stopLiveness();
    this.stopGossipLinks();
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onOnline);
    this.relays.stop();
    this.dialer.stop();
    this.listeners.clear();
    await this.node.stop();
  }
}
