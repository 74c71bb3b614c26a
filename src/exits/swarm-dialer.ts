/**
 * The exit's way into public swarms (browser glue): a WebTorrent client of
 * its own, with a peer id of its own (never the one our own downloads use),
 * announces each swarm an exit circuit names on that circuit's trackers. The
 * WebRTC connections its tracker client makes are taken before WebTorrent
 * runs a wire over them (`addPeer` is taken over per torrent): each becomes a
 * raw byte pipe for one exit stream.
 */
import WebTorrent, { type Torrent } from 'webtorrent';
import type { Duplex } from 'streamx';
import { fromHex } from '../codec/bytes.ts';
import { EXIT_DIAL_TIMEOUT_MS } from './constants.ts';

/** No peer of the swarm could be reached for a stream. */
export class ExitDialError extends Error {
  override name = 'ExitDialError';
}

/** A connected peer of a swarm, not yet carrying a stream. */
export interface SwarmPeer {
  /** Its BitTorrent peer id (hex), as the tracker gave it. */
  id: string;
  conn: Duplex & { destroy(err?: Error): void; destroyed?: boolean };
}

interface Swarm {
  torrent: Torrent;
  idle: SwarmPeer[];
  /** Peers carrying a stream (by id): a swarm peer takes one connection from us at a time. */
  busy: Set<string>;
  waiters: ((p: SwarmPeer) => void)[];
  users: number;
}

type RawPeer = SwarmPeer['conn'] & { id?: string; connected?: boolean; once(e: string, l: (...a: unknown[]) => void): void };

export class SwarmDialer {
  private client: WebTorrent | undefined;
  private readonly swarms = new Map<string, Swarm>();

  constructor(private readonly o: { iceServers?: readonly string[] | undefined }) {}

  /** The peer id swarms see from this exit (20 bytes). */
  get peerId(): Uint8Array {
    return fromHex(this.clientNow().peerId);
  }

  private clientNow(): WebTorrent {
    this.client ??= new WebTorrent({
      dht: false,
      lsd: false,
      utp: false,
      natUpnp: false,
      natPmp: false,
      tracker: {
        // The exit holds none of a swarm's data (and may not know its size): it announces as a leecher, never a seeder.
        getAnnounceOpts: () => ({ left: Number.MAX_SAFE_INTEGER }),
        ...(this.o.iceServers === undefined ? {} : { rtcConfig: { iceServers: this.o.iceServers.map((urls) => ({ urls })) } }),
      },
    });
    return this.client;
  }

  /** Announces on `trackers` for `infoHash` (hex) until release(); one join per user. */
  join(infoHash: string, trackers: readonly string[]): void {
    const known = this.swarms.get(infoHash);
    // A swarm already joined keeps the trackers it was joined on: they reach the same peers.
    if (known !== undefined) return void known.users++;
    const torrent = this.clientNow().add(`magnet:?xt=urn:btih:${infoHash}`, { announce: [...trackers] });
    const swarm: Swarm = { torrent, idle: [], busy: new Set(), waiters: [], users: 1 };
    // Tracker peers come here instead of becoming WebTorrent wires.
    (torrent as unknown as { addPeer(p: unknown): boolean }).addPeer = (p: unknown) => {
      if (typeof p === 'object' && p !== null) this.onPeer(swarm, p as RawPeer);
      return true;
    };
    torrent.on('error', () => undefined);
    this.swarms.set(infoHash, swarm);
  }

  private onPeer(swarm: Swarm, peer: RawPeer): void {
    const ready = (): void => {
      if (peer.destroyed === true || peer.id === undefined) return;
      const p: SwarmPeer = { id: peer.id, conn: peer };
      if (swarm.busy.has(p.id) || swarm.idle.some((q) => q.id === p.id)) return peer.destroy();
      const waiter = swarm.waiters.shift();
      if (waiter !== undefined) return waiter(p);
      swarm.idle.push(p);
      peer.once('close', () => {
        const i = swarm.idle.indexOf(p);
        if (i >= 0) swarm.idle.splice(i, 1);
      });
    };
    peer.once('error', () => undefined);
    if (peer.connected === true) ready();
    else peer.once('connect', ready);
  }

  /**
   * A connected swarm peer for one stream, within EXIT_DIAL_TIMEOUT_MS; it is
   * ours until `done(peer)`. Rejects with ExitDialError when none answers.
   */
  take(infoHash: string): Promise<SwarmPeer> {
    const swarm = this.swarms.get(infoHash);
    if (swarm === undefined) return Promise.reject(new ExitDialError('join the swarm before taking its peers'));
    const idle = swarm.idle.shift();
    const claim = (p: SwarmPeer): SwarmPeer => {
      swarm.busy.add(p.id);
      p.conn.once('close', () => swarm.busy.delete(p.id));
      return p;
    };
    if (idle !== undefined) return Promise.resolve(claim(idle));
    return new Promise((resolve, reject) => {
      const waiter = (p: SwarmPeer): void => {
        clearTimeout(timer);
        resolve(claim(p));
      };
      const timer = setTimeout(() => {
        swarm.waiters.splice(swarm.waiters.indexOf(waiter), 1);
        reject(new ExitDialError('no peer of this swarm answered the exit in time'));
      }, EXIT_DIAL_TIMEOUT_MS);
      swarm.waiters.push(waiter);
    });
  }

  /** A stream is over: its peer's connection carried one BitTorrent wire and cannot carry another. */
  done(infoHash: string, peer: SwarmPeer): void {
    this.swarms.get(infoHash)?.busy.delete(peer.id);
    peer.conn.destroy();
  }

  /** One user of the swarm left; the last one takes the exit out of it. */
  release(infoHash: string): void {
    const swarm = this.swarms.get(infoHash);
    if (swarm === undefined || --swarm.users > 0) return;
    this.swarms.delete(infoHash);
    for (const p of swarm.idle) p.conn.destroy();
    swarm.torrent.destroy();
  }

  stop(): void {
    for (const infoHash of [...this.swarms.keys()]) {
      const s = this.swarms.get(infoHash)!;
      s.users = 1;
      this.release(infoHash);
    }
    this.client?.destroy();
    this.client = undefined;
  }
}
