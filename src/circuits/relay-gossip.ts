/**
 * Relay announcements in the tab (browser glue): signs ours, swaps what we
 * know with each new direct peer, and passes on what is new to the others.
 * Runs over direct WebRTC connections only: relays are found through the peer
 * network itself, never through the signaling relay or a directory server.
 * Which announcement is new and valid is decided by RelayDirectory (pure).
 */
import type { Connection, Stream } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { lpStream } from '@libp2p/utils';
import { directConnectionsTo, directPeers, isDirectConnection, openDirectStream } from '../net/direct.ts';
import { GossipScores, offerScored } from '../net/gossip-scores.ts';
import { ANNOUNCEMENT_FORWARD_DELAY_MS, ANNOUNCEMENT_SETTLE_MS, REANNOUNCE_MS } from './constants.ts';
import { decodeAnnouncementFrame, encodeAnnouncementFrame, MAX_ANNOUNCEMENT_FRAME_BYTES, MAX_ANNOUNCEMENTS_PER_FRAME, RELAY_ANNOUNCEMENTS_PROTOCOL, type RelayAnnouncement } from './relay-announcement-wire.ts';
import { judgeAnnouncement, type RelayDirectory } from './relay-directory.ts';

/** An exchange that takes longer than this is abandoned; the next one will catch up. */
const EXCHANGE_TIMEOUT_MS = 10_000;
/** Streams one neighbour may have open to us at once. */
const MAX_INBOUND_STREAMS = 4;

export class RelayGossip {
  /** Peers we have swapped announcements with at least once on their current connection. */
  private readonly swapped = new Set<string>();
  /** New announcements waiting to be passed on, with the peer each came from (not told again). */
  private readonly outbox = new Map<RelayAnnouncement, string | undefined>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly reannounceTimer: ReturnType<typeof setInterval>;
  private readonly waiters = new Set<() => void>();
  private own: RelayAnnouncement | undefined;
  /** A neighbour that sends announcements with bad signatures is muted: none read from it, none sent to it. */
  private readonly scores = new GossipScores(Date.now);

  constructor(
    private readonly libp2p: Libp2p,
    private readonly directory: RelayDirectory,
    /** Signs our current announcement (relaying or withdrawn). */
    private readonly announceSelf: () => Promise<RelayAnnouncement>,
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
    if (!this.libp2p.getConnections(e.detail.remotePeer).some(isDirectConnection)) this.swapped.delete(peer);
  };

  async start(): Promise<void> {
    await this.renew();
    await this.libp2p.handle(RELAY_ANNOUNCEMENTS_PROTOCOL, (stream, connection) => void this.answer(stream, connection), { maxInboundStreams: MAX_INBOUND_STREAMS });
    this.libp2p.addEventListener('connection:open', this.onOpen);
    this.libp2p.addEventListener('connection:close', this.onClose);
    for (const c of this.libp2p.getConnections()) if (isDirectConnection(c)) void this.swap(c);
  }

  /** Signs a fresh announcement of ours (after a settings change, or to renew it) and tells every neighbour. */
  async announce(): Promise<void> {
    this.queue([await this.renew()], undefined);
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
  private ourFrame(replyWanted: boolean): Uint8Array {
    const known = this.directory.forGossip();
    const ours = this.own === undefined ? known : [this.own, ...known.filter((a) => a !== this.own)];
    return encodeAnnouncementFrame({ replyWanted, announcements: ours.slice(0, MAX_ANNOUNCEMENTS_PER_FRAME) });
  }

  private take(announcements: readonly RelayAnnouncement[], from: string): void {
    const fresh = offerScored(this.scores, from, announcements, (a) => this.directory.offer(a), judgeAnnouncement);
    if (fresh.length > 0) this.queue(fresh, from);
  }

  private async swap(connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    try {
      const reply = await this.send(directConnectionsTo(this.libp2p, peer), this.ourFrame(true), true);
      if (reply !== undefined) this.take(reply, peer);
    } catch {
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
    try {
      const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
      const lp = lpStream(stream, { maxDataLength: MAX_ANNOUNCEMENT_FRAME_BYTES });
      const frame = decodeAnnouncementFrame((await lp.read({ signal })).subarray());
      if (frame.replyWanted) await lp.write(this.ourFrame(false), { signal });
      await stream.close({ signal });
      this.take(frame.announcements, peer);
      if (frame.replyWanted) this.markSwapped(peer);
    } catch (err) {
      stream.abort(err as Error);
    }
  }

  /** Passes announcements on to every direct peer but the one they came from, batched. */
  private queue(announcements: readonly RelayAnnouncement[], from: string | undefined): void {
    for (const a of announcements) this.outbox.set(a, from);
    this.flushTimer ??= setTimeout(() => this.flush(), ANNOUNCEMENT_FORWARD_DELAY_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const batch = [...this.outbox];
    this.outbox.clear();
    for (const { id } of directPeers(this.libp2p)) {
      if (this.scores.isMuted(id)) continue;
      const news = batch.filter(([, from]) => from !== id).map(([a]) => a);
      if (news.length > 0) void this.send(directConnectionsTo(this.libp2p, id), encodeAnnouncementFrame({ replyWanted: false, announcements: news.slice(0, MAX_ANNOUNCEMENTS_PER_FRAME) }), false).catch(() => undefined);
    }
  }

  stop(): void {
    clearInterval(this.reannounceTimer);
    clearTimeout(this.flushTimer);
    this.libp2p.removeEventListener('connection:open', this.onOpen);
    this.libp2p.removeEventListener('connection:close', this.onClose);
    void this.libp2p.unhandle(RELAY_ANNOUNCEMENTS_PROTOCOL);
    for (const w of [...this.waiters]) w();
  }
}
