/**
 * Content discovery in the tab (browser glue): announces our public torrents
 * as signed swarm records on the records' GossipSub topic (which passes on
 * only what the catalogue takes as new), greets each new neighbour with our
 * freshest records, keeps the catalogue across reloads, and searches it
 * locally and through neighbours. What is valid, kept and combined is decided
 * by Catalogue (pure); messages travel over direct connections only
 * (push-channel.ts, GossipSub), never through the signaling relay.
 */
import type { Libp2p } from 'libp2p';
import { verdictOf, type GossipChannel, type GossipVerdict } from '../net/gossip-channel.ts';
import { topicChannel, type GossipServices } from '../net/gossipsub-channel.ts';
import { fromHex, toHex, utf8 } from '../codec/bytes.ts';
import type { MessageSigner } from '../crypto/signers.ts';
import { verifyEd25519 } from '../crypto/signature.ts';
import { directPeers, type KeyedPeer } from '../net/direct.ts';
import { pushChannel, type PushChannel } from '../net/push-channel.ts';
import type { SharingService, TorrentView } from '../sharing/sharing-service.ts';
import { aggregate, Catalogue, judgeRecord, type SwarmInfo } from './catalogue.ts';
import { CatalogueStore } from './catalogue-store.ts';
import {
  ANNOUNCE_INTERVAL_MS,
  DEMAND_SAMPLE_MS,
  MAX_ANSWER_RECORDS,
  MAX_ANSWER_SWARMS,
  MAX_NAME_BYTES,
  MAX_QUERY_BYTES,
  MAX_RECORDS_PER_MESSAGE,
  MAX_SEARCH_PEERS,
  RECORD_LIFETIME_MS,
  RECORDS_PER_ANSWERED_SWARM,
  SEARCH_BURST,
  SEARCH_TIMEOUT_MS,
  SEARCHES_PER_MINUTE,
  SENDER_RECORDS_BURST,
  SENDER_RECORDS_PER_MINUTE,
} from './constants.ts';
import { DemandWindow } from './demand-window.ts';
import { decodeDiscoveryMessage, DISCOVERY_PROTOCOL, encodeDiscoveryMessage, MAX_DISCOVERY_FRAME_BYTES, SWARM_RECORD_TOPIC, type DiscoveryMessage } from './discovery-wire.ts';
import { KeyedRate } from './rate.ts';
import { offerScored, type GossipScores } from '../net/gossip-scores.ts';
import { SwarmSearch, type SearchHit, type SearchSort } from './search.ts';
import type { DiscoverySeams } from './seams.ts';
import { decodeRecord, encodeRecord, MAX_RECORD_BYTES, recordSigningBytes, signRecord, type SwarmRecord } from './swarm-record-wire.ts';
import { randomSample } from '../net/random-sample.ts';

/** Catalogue changes reach listeners (the Discover page) at most this often. */
const NOTIFY_MS = 250;
/** Expired records are dropped (and leave the search index) this often. */
const PRUNE_MS = 60_000;
/** Neighbours whose rates we track. */
const MAX_TRACKED_PEERS = 1_000;

export interface DiscoveryOptions {
  node: Libp2p<GossipServices>;
  sharing: SharingService;
  signer: MessageSigner;
  /** The app's trackers, named in the magnet links of found swarms. */
  trackers: readonly string[];
  seams?: DiscoverySeams | undefined;
  now?: () => number;
  random?: () => number;
}

/** What one neighbour answered to a remote search. */
export interface RemoteAnswer {
  peer: string;
  swarms: SwarmInfo[];
  /** Peers that answered so far, of those asked. */
  answered: number;
  asked: number;
}

export interface RemoteSearch {
  /** Neighbours asked (0: no direct peers now). */
  asked: number;
  stop(): void;
}

interface PendingSearch {
  asked: Set<string>;
  answered: Set<string>;
  onAnswer: (a: RemoteAnswer) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The longest prefix of `name` that fits MAX_NAME_BYTES of UTF-8, cut between characters. */
function boundedName(name: string): string {
  let out = name;
  while (utf8.encode(out).length > MAX_NAME_BYTES) out = Array.from(out).slice(0, -1).join('');
  return out;
}

export class DiscoveryService {
  readonly catalogue: Catalogue;
  private readonly index: SwarmSearch;
  private readonly channel: PushChannel<DiscoveryMessage>;
  /** New records, ours and others', spread on their topic. */
  private readonly news: GossipChannel<SwarmRecord>;
  private readonly demand = new DemandWindow();
  /** Records each neighbour may push us, and searches it may have answered. */
  private readonly senderRate: KeyedRate;
  /** The node's record of forged gossip: a neighbour that greets or answers us with forged records is muted here and on every topic. */
  private readonly scores: GossipScores;
  private readonly searchRate: KeyedRate;
  /** Neighbours sent our freshest records on their current connection. */
  private readonly greeted = new Set<string>();
  private readonly searches = new Map<number, PendingSearch>();
  /** Torrents we have announced, by infohash: the issuedAt of our latest record. */
  private readonly announced = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private notifyTimer: ReturnType<typeof setTimeout> | undefined;
  private announcing: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly unsubscribers: (() => void)[] = [];
  /** Gossip messages dropped over a sender's rate (diagnostics). */
  droppedMessages = 0;

  private constructor(
    private readonly o: DiscoveryOptions,
    private readonly store: CatalogueStore,
  ) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.catalogue = new Catalogue({ now: this.now, verify: verifyEd25519, ownKey: o.signer.publicKey });
    this.index = new SwarmSearch(this.catalogue);
    this.senderRate = new KeyedRate({ burst: SENDER_RECORDS_BURST, perMinute: SENDER_RECORDS_PER_MINUTE, maxKeys: MAX_TRACKED_PEERS }, this.now);
    this.scores = o.node.services.gossipScores;
    this.searchRate = new KeyedRate({ burst: SEARCH_BURST, perMinute: SEARCHES_PER_MINUTE, maxKeys: MAX_TRACKED_PEERS }, this.now);
    this.channel = pushChannel<DiscoveryMessage>(o.node, { protocol: DISCOVERY_PROTOCOL, maxFrameBytes: MAX_DISCOVERY_FRAME_BYTES, encode: encodeDiscoveryMessage, decode: decodeDiscoveryMessage });
    this.news = topicChannel(o.node, { topic: SWARM_RECORD_TOPIC, maxBytes: MAX_RECORD_BYTES, encode: encodeRecord, decode: decodeRecord });
  }

  static async start(o: DiscoveryOptions): Promise<DiscoveryService> {
    const store = await CatalogueStore.open();
    const d = new DiscoveryService(o, store);
    d.catalogue.restore(await store.records());
    store.follow(d.catalogue);
    d.begin();
    return d;
  }

  private begin(): void {
    this.channel.serve((from, m) => this.receive(from, m));
    this.news.subscribe(async (from, record) => this.judgeNews(from, record));
    this.unsubscribers.push(
      this.news.onJoin(this.greet),
      this.catalogue.onChange(() => this.changed()),
      // A newly shared torrent is announced within a view refresh, not at the next round.
      this.o.sharing.subscribe(() => {
        if (this.eligible().some((v) => !this.announced.has(v.infoHash))) void this.announceNow();
      }),
    );
    this.o.node.addEventListener('connection:open', this.onConnectionsChanged);
    this.o.node.addEventListener('connection:close', this.onConnectionsChanged);
    this.timers.push(
      setInterval(() => void this.announceNow(), ANNOUNCE_INTERVAL_MS),
      setInterval(() => this.sampleDemand(), DEMAND_SAMPLE_MS),
      setInterval(() => this.catalogue.prune(), PRUNE_MS),
    );
    this.onConnectionsChanged();
    void this.announceNow();
  }

  // --- the API of the Discover page and the miner ---

  swarms(): SwarmInfo[] {
    return this.catalogue.swarms();
  }

  search(query: string, sort: SearchSort = 'relevance', limit?: number): SearchHit[] {
    return this.index.search(query, sort, limit);
  }

  /** Asks direct neighbours; `onAnswer` is called once per neighbour that answers within SEARCH_TIMEOUT_MS. */
  remoteSearch(query: string, onAnswer: (a: RemoteAnswer) => void): RemoteSearch {
    const text = query.trim();
    if (text === '' || utf8.encode(text).length > MAX_QUERY_BYTES) return { asked: 0, stop: () => undefined };
    const id = Math.floor(this.random() * 2 ** 32) >>> 0;
    // A muted neighbour (it sent forged records) is not asked: its answer would not be read.
    const peers = randomSample(directPeers(this.o.node).filter((p) => !this.scores.isMuted(p.id)), MAX_SEARCH_PEERS, this.random);
    const pending: PendingSearch = { asked: new Set(peers.map((p) => p.id)), answered: new Set(), onAnswer, timer: setTimeout(() => this.searches.delete(id), SEARCH_TIMEOUT_MS) };
    this.searches.set(id, pending);
    for (const p of peers) void this.channel.send(p, { type: 'search', id, query: text, limit: MAX_ANSWER_SWARMS }).catch(() => pending.asked.delete(p.id));
    return {
      asked: peers.length,
      stop: () => {
        clearTimeout(pending.timer);
        this.searches.delete(id);
      },
    };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether this torrent is announced when shared publicly (on unless switched off). */
  announceSwitch(infoHash: string): boolean {
    return this.store.announces(infoHash);
  }

  async setAnnounce(infoHash: string, on: boolean): Promise<void> {
    await this.store.setAnnounces(infoHash, on);
    if (on) {
      void this.announceNow();
    } else {
      // Peers that have our record keep it until it expires (RECORD_LIFETIME_MS); we stop renewing it.
      this.announced.delete(infoHash);
      this.catalogue.forget(infoHash, this.o.signer.publicKey);
    }
    this.changed();
  }

  /** The magnet link of a found swarm, with the app's trackers. */
  magnetFor(infoHash: string, name?: string): string {
    const parts = [`xt=urn:btih:${infoHash}`];
    if (name !== undefined && name !== '') parts.push(`dn=${encodeURIComponent(name)}`);
    for (const t of this.o.trackers) parts.push(`tr=${encodeURIComponent(t)}`);
    return `magnet:?${parts.join('&')}`;
  }

  /** Signs fresh records of every torrent we announce and passes them to every neighbour. */
  announceNow(): Promise<void> {
    this.announcing ??= this.announceAll().finally(() => (this.announcing = undefined));
    return this.announcing;
  }

  /** Writes pending catalogue changes (tests, shutdown). */
  flushStore(): Promise<void> {
    return this.store.flush();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.news.stop();
    clearTimeout(this.notifyTimer);
    for (const s of this.searches.values()) clearTimeout(s.timer);
    this.searches.clear();
    for (const u of this.unsubscribers) u();
    this.o.node.removeEventListener('connection:open', this.onConnectionsChanged);
    this.o.node.removeEventListener('connection:close', this.onConnectionsChanged);
    this.index.stop();
    this.channel.stop();
    this.listeners.clear();
    void this.store.close();
  }

  // --- announcing ---

  /** Our torrents that may be announced: public, with metadata, switch on. */
  private eligible(): TorrentView[] {
    return this.o.sharing.views().filter((v) => !v.hidden && (v.state === 'seeding' || v.state === 'downloading') && v.name !== '' && v.files.length > 0 && this.store.announces(v.infoHash));
  }

  private sampleDemand(): void {
    const now = this.now();
    const views = this.o.sharing.views();
    for (const v of views) if (!v.hidden) this.demand.observe(v.infoHash, this.o.sharing.swarmPeers(v.infoHash).filter((p) => p.downloader).map((p) => p.peerId), now);
    this.demand.retain(new Set(views.map((v) => v.infoHash)));
  }

  private async announceAll(): Promise<void> {
    this.sampleDemand();
    const fresh: SwarmRecord[] = [];
    for (const v of this.eligible()) {
      const peers = this.o.sharing.swarmPeers(v.infoHash);
      const seeders = peers.filter((p) => p.seeder).length;
      // Counts include ourselves: a lone seeder announces one seeder.
      const issuedAt = Math.max(this.now(), (this.announced.get(v.infoHash) ?? 0) + 1);
      const record = await signRecord(
        {
          announcer: this.o.signer.publicKey,
          infoHash: fromHex(v.infoHash),
          name: boundedName(v.name),
          size: v.length,
          files: Math.max(1, v.files.length),
          seeders: Math.min(0xffff, seeders + (v.state === 'seeding' ? 1 : 0)),
          leechers: Math.min(0xffff, peers.length - seeders + (v.state === 'downloading' ? 1 : 0)),
          demand: this.demand.demand(v.infoHash, this.now()),
          issuedAt,
          expiresAt: issuedAt + RECORD_LIFETIME_MS,
        },
        (m) => this.o.signer.sign(m),
      );
      if (this.catalogue.offer(record) !== 'new') continue;
      this.announced.set(v.infoHash, issuedAt);
      fresh.push(record);
    }
    this.publish(fresh);
  }

  // --- gossip ---

  /** A neighbour that leaves is greeted again when it comes back. */
  private readonly onConnectionsChanged = (): void => {
    const now = new Set(directPeers(this.o.node).map((p) => p.id));
    for (const id of [...this.greeted]) if (!now.has(id)) this.greeted.delete(id);
  };

  /**
   * A neighbour joined the records' topic: our freshest records, so its catalogue fills without waiting for
   * announcements, and it has what we published before it joined (the topic gave it none of that).
   */
  private readonly greet = (id: string): void => {
    const p = directPeers(this.o.node).find((d) => d.id === id);
    if (p === undefined || this.greeted.has(id)) return;
    this.greeted.add(id);
    const batch = this.catalogue.freshest(MAX_RECORDS_PER_MESSAGE);
    if (batch.length > 0) void this.channel.send(p, { type: 'records', records: batch }).catch(() => this.greeted.delete(id));
  };

  private async receive(from: KeyedPeer, m: DiscoveryMessage): Promise<void> {
    switch (m.type) {
      case 'records':
        return this.takeGossip(from, m.records);
      case 'search':
        return this.answer(from, m.id, m.query, m.limit);
      case 'answer':
        return this.takeAnswer(from, m.id, m.records);
    }
  }

  /** Records a neighbour greeted us with: what is news to us goes on the topic, where whoever knows it stops it. */
  private takeGossip(from: KeyedPeer, records: readonly SwarmRecord[]): void {
    if (this.o.seams?.takeGossip?.(from.id) === false) return;
    // Per sender, before any signature check: a neighbour that floods us is read no further.
    if (!this.senderRate.take(from.id, records.length)) {
      this.droppedMessages++;
      return;
    }
    // A bad signature is invalid whatever we hold: three mute the sender (src/net/gossip-scores.ts).
    this.publish(offerScored(this.scores, from.id, records, (r) => this.catalogue.offer(r), judgeRecord));
  }

  /** A record passed on by a neighbour on the topic: kept and passed on if new; a forged one counts against the neighbour. */
  private judgeNews(from: string, record: SwarmRecord): GossipVerdict {
    if (this.o.seams?.takeGossip?.(from) === false) return 'ignore';
    if (!this.senderRate.take(from, 1)) {
      this.droppedMessages++;
      return 'ignore';
    }
    return verdictOf(judgeRecord(this.catalogue.offer(record)));
  }

  private publish(records: readonly SwarmRecord[]): void {
    for (const r of records) void this.news.publish(r).catch(() => undefined);
  }

  // --- remote search ---

  private async answer(from: KeyedPeer, id: number, query: string, limit: number): Promise<void> {
    // Over its rate a neighbour gets no answer: searching costs us an index walk and a frame.
    if (!this.searchRate.take(from.id)) return;
    const hits = this.index.search(query, 'relevance', Math.min(limit, MAX_ANSWER_SWARMS));
    const records = hits.flatMap((h) => this.catalogue.recordsOf(h.infoHash).slice(0, RECORDS_PER_ANSWERED_SWARM)).slice(0, MAX_ANSWER_RECORDS);
    await this.channel.send(from, { type: 'answer', id, records });
  }

  private takeAnswer(from: KeyedPeer, id: number, records: readonly SwarmRecord[]): void {
    const pending = this.searches.get(id);
    // Unasked, repeated or late answers are dropped unread, and so are a muted neighbour's.
    if (pending === undefined || !pending.asked.has(from.id) || pending.answered.has(from.id) || this.scores.isMuted(from.id)) return;
    pending.answered.add(from.id);
    const found = new Map<string, SwarmInfo>();
    const unkept = new Map<string, SwarmRecord[]>();
    for (const r of records) {
      const ih = toHex(r.infoHash);
      const outcome = this.catalogue.offer(r);
      // A forged record in an answer counts against the neighbour as it would in gossip.
      if (judgeRecord(outcome) === 'invalid') this.scores.penalise(from.id);
      if (outcome === 'new' || outcome === 'known' || outcome === 'stale') {
        const s = this.catalogue.swarm(ih);
        if (s !== undefined) found.set(ih, s);
      } else if ((outcome === 'rate' || outcome === 'full') && verifyEd25519(r.signature, recordSigningBytes(r), r.announcer)) {
        // Valid but not kept here (limits): still shown as an answer.
        unkept.set(ih, [...(unkept.get(ih) ?? []), r]);
      }
    }
    for (const [ih, rs] of unkept) if (!found.has(ih)) found.set(ih, aggregate(rs)!);
    pending.onAnswer({ peer: from.id, swarms: [...found.values()], answered: pending.answered.size, asked: pending.asked.size });
  }

  // --- helpers ---

  private changed(): void {
    this.notifyTimer ??= setTimeout(() => {
      this.notifyTimer = undefined;
      for (const l of this.listeners) l();
    }, NOTIFY_MS);
  }
}
