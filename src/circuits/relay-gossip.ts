/**
 * Relay announcements in the tab (browser glue): signs ours, swaps what we
 * know with each new direct peer, and spreads news on the announcements'
 * GossipSub topic, which passes on only what the directory takes as new.
 * Runs over direct WebRTC connections only: relays are found through the peer
 * network itself, never through the signaling relay or a directory server.
 * Which announcement is new and valid is decided by RelayDirectory (pure).
 */
import type { Connection, Stream } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { lpStream } from '@libp2p/utils';
import { directConnectionsTo, directPeers, isDirectConnection, openDirectStream } from '../net/direct.ts';
import { offerScored, type GossipScores } from '../net/gossip-scores.ts';
import { verdictOf, type GossipChannel } from '../net/gossip-channel.ts';
import { ANNOUNCEMENT_SETTLE_MS, REANNOUNCE_MS } from './constants.ts';
import { decodeAnnouncementFrame, encodeAnnouncementFrame, MAX_ANNOUNCEMENT_FRAME_BYTES, MAX_ANNOUNCEMENTS_PER_FRAME, RELAY_ANNOUNCEMENTS_PROTOCOL, type RelayAnnouncement } from './relay-announcement-wire.ts';
import { judgeAnnouncement, type RelayDirectory } from './relay-directory.ts';

/** An exchange that takes longer than this is abandoned; the next one will catch up. */
const EXCHANGE_TIMEOUT_MS = 10_000;
/** Streams one neighbour may have open to us at once. */
const MAX_INBOUND_STREAMS = 4;

export class RelayGossip {
  /** Peers we have swapped announcements with at least once on their current connection. */
  private readonly swapped = new Set<string>();
  private readonly reannounceTimer: ReturnType<typeof setInterval>;
  private readonly waiters = new Set<() => void>();
  private own: RelayAnnouncement | undefined;
  /**
   * Our announcement as last sent to each direct neighbour, in a swap or a greeting. One signed in the
   * moment between a swap and the neighbour's joining the topic reaches it by neither (the swap had the
   * one before; the topic did not know it yet): its join sends it, once.
   */
  private readonly toldOwn = new Map<string, RelayAnnouncement>();
  private unjoin: (() => void) | undefined;

  constructor(
    private readonly libp2p: Libp2p,
    private readonly directory: RelayDirectory,
    /** Signs our current announcement (relaying or withdrawn). */
    private readonly announceSelf: () => Promise<RelayAnnouncement>,
    private readonly news: GossipChannel<RelayAnnouncement>,
    /** The node's record of forged gossip: a neighbour that swaps announcements with bad signatures is muted here and on every topic. */
    private readonly scores: GossipScores,
  ) {
    this.reannounceTimer = setInterval(() => void this.announce(), REANNOUNCE_MS);
  }

  private readonly onOpen = (e: CustomEvent<Connection>): void => {
    const c = e.detail;
    // One side starts the swap; its frame asks for the other's in reply.
    if (c.direction === 'outbound' && isDirectConnection(c)) void this.swap(c);
  };

  private readonly onClose = (e: CustomEvent<Connection>): void => {
    const peer = e.detail.remotePeer.toString();
    if (this.libp2p.getConnections(e.detail.remotePeer).some(isDirectConnection)) return;
    this.swapped.delete(peer);
    this.toldOwn.delete(peer);
  };

  private readonly onJoin = (peer: string): void => {
    const own = this.own;
    const connections = directConnectionsTo(this.libp2p, peer);
    if (own === undefined || this.toldOwn.get(peer) === own || connections.length === 0) return;
    this.toldOwn.set(peer, own);
    this.send(connections, encodeAnnouncementFrame({ replyWanted: false, announcements: [own] }), false).catch(() => this.forget(peer, own));
  };

  /** What we told a neighbour did not reach it: the next join or swap tells it again. */
  private forget(peer: string, own: RelayAnnouncement | undefined): void {
    if (own !== undefined && this.toldOwn.get(peer) === own) this.toldOwn.delete(peer);
  }

  async start(): Promise<void> {
    this.news.subscribe(async (_from, a) => verdictOf(judgeAnnouncement(this.directory.offer(a))));
    await this.renew();
    await this.libp2p.handle(RELAY_ANNOUNCEMENTS_PROTOCOL, (stream, connection) => void this.answer(stream, connection), { maxInboundStreams: MAX_INBOUND_STREAMS });
    this.libp2p.addEventListener('connection:open', this.onOpen);
    this.libp2p.addEventListener('connection:close', this.onClose);
    for (const c of this.libp2p.getConnections()) if (isDirectConnection(c)) void this.swap(c);
    this.unjoin = this.news.onJoin(this.onJoin);
  }

  /** Signs a fresh announcement of ours (after a settings change, or to renew it) and tells everyone. */
  async announce(): Promise<void> {
    this.publish([await this.renew()]);
  }

  /** Ours is kept with the rest, so when it comes back to us through others it is not news. */
  private async renew(): Promise<RelayAnnouncement> {
    const own = await this.announceSelf();
    this.directory.offer(own);
    this.own = own;
    return own;
  }

  /**
   * Waits (at most ANNOUNCEMENT_SETTLE_MS) until we have swapped announcements
   * with every direct peer, so a circuit built right after peers connect knows
   * which of them relay.
   */
  async settled(): Promise<void> {
    const deadline = Date.now() + ANNOUNCEMENT_SETTLE_MS;
    while (directPeers(this.libp2p).some((p) => !this.swapped.has(p.id))) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  private markSwapped(peer: string): void {
    this.swapped.add(peer);
    for (const w of [...this.waiters]) w();
  }

  /** What we tell a neighbour: ours first, then what we know. */
  private ourFrame(replyWanted: boolean, to: string): Uint8Array {
    const known = this.directory.forGossip();
    const ours = this.own === undefined ? known : [this.own, ...known.filter((a) => a !== this.own)];
    if (this.own !== undefined) this.toldOwn.set(to, this.own);
    return encodeAnnouncementFrame({ replyWanted, announcements: ours.slice(0, MAX_ANNOUNCEMENTS_PER_FRAME) });
  }

  private take(announcements: readonly RelayAnnouncement[], from: string): void {
    // What a swap taught us is news to others too: it goes on the topic, where whoever knows it stops it.
    this.publish(offerScored(this.scores, from, announcements, (a) => this.directory.offer(a), judgeAnnouncement));
  }

  private async swap(connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const own = this.own;
    try {
      const reply = await this.send(directConnectionsTo(this.libp2p, peer), this.ourFrame(true, peer), true);
      if (reply !== undefined) this.take(reply, peer);
    } catch {
      this.forget(peer, own);
      // The peer left, or does not speak this protocol (a stock client, or a peer of an older
      // announcement version, which cannot check ours): nothing to learn from it.
    } finally {
      this.markSwapped(peer);
    }
  }

  /** Writes one frame over the first of a peer's direct connections that takes it; reads the reply if we asked for one. */
  private async send(connections: readonly Connection[], frame: Uint8Array, replyWanted: boolean): Promise<RelayAnnouncement[] | undefined> {
    const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
    const stream = await openDirectStream(connections, RELAY_ANNOUNCEMENTS_PROTOCOL, signal);
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_ANNOUNCEMENT_FRAME_BYTES });
      await lp.write(frame, { signal });
      const reply = replyWanted ? decodeAnnouncementFrame((await lp.read({ signal })).subarray()).announcements : undefined;
      await stream.close({ signal });
      return reply;
    } catch (err) {
      stream.abort(err as Error);
      throw err;
    }
  }

  private async answer(stream: Stream, connection: Connection): Promise<void> {
    if (!isDirectConnection(connection)) {
      stream.abort(new Error('relay announcements travel over direct connections only'));
      return;
    }
    const peer = connection.remotePeer.toString();
    if (this.scores.isMuted(peer)) {
      stream.abort(new Error('muted: this peer sent announcements with bad signatures'));
      return;
    }
    const own = this.own;
    try {
      const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
      const lp = lpStream(stream, { maxDataLength: MAX_ANNOUNCEMENT_FRAME_BYTES });
      const frame = decodeAnnouncementFrame((await lp.read({ signal })).subarray());
      if (frame.replyWanted) await lp.write(this.ourFrame(false, peer), { signal });
      await stream.close({ signal });
      this.take(frame.announcements, peer);
      if (frame.replyWanted) this.markSwapped(peer);
    } catch (err) {
      this.forget(peer, own);
      stream.abort(err as Error);
    }
  }

  private publish(announcements: readonly RelayAnnouncement[]): void {
    for (const a of announcements) void this.news.publish(a).catch(() => undefined);
  }

  stop(): void {
    clearInterval(this.reannounceTimer);
    this.unjoin?.();
    this.news.stop();
    this.libp2p.removeEventListener('connection:open', this.onOpen);
    this.libp2p.removeEventListener('connection:close', this.onClose);
    void this.libp2p.unhandle(RELAY_ANNOUNCEMENTS_PROTOCOL);
    for (const w of [...this.waiters]) w();
  }
}
