/**
 * The exit policy (pure): what an exit relay lets one circuit's streams do.
 * An exit's address is the one the swarm and the tracker see, so it opens
 * connections only for the BitTorrent wire, only to peers of the swarm the
 * circuit named, and only within its limits. The exit puts each event of a
 * circuit's streams to that circuit's ExitCircuitPolicy, which allows it or
 * refuses it with a reason (and the end reason to send); a refused stream is
 * forgotten, so the exit ends it. The rules:
 *
 *  1. One swarm per circuit: every begin names the infohash of the first.
 *  2. Trackers: at most MAX_EXIT_TRACKERS, ws: or wss: only, and none on a
 *     loopback, private or link-local address unless the exit itself uses
 *     that tracker (an exit must not be steered into its own network).
 *  3. At most MAX_STREAMS_PER_CIRCUIT streams open or opening, and
 *     MAX_BEGINS_PER_CIRCUIT begun over the circuit's life; a stream id in
 *     use is not begun again.
 *  4. Nothing reaches a swarm peer before the originator's first bytes on
 *     the stream prove a BitTorrent handshake for the circuit's infohash;
 *     the swarm peer's first bytes must be one too. Data only on a connected stream.
 *  5. Each swarm peer carries at most one stream of a circuit.
 *  6. Per stream, the originator sends no more than the window the exit
 *     granted, and returns no more credit than the exit sent it.
 *  7. Per circuit, bytes sent to the swarm stay within the exit's upload
 *     share (EXIT_UPLOAD_SHARE_MS of its exit upload cap).
 *  8. The originator reports no more hash-checked bytes on a stream than
 *     the exit passed on to it from the stream's peer.
 *  9. When the circuit closes, its streams close with it; every later event is refused.
 */
import { bytesEqual, utf8 } from '../codec/bytes.ts';
import { EXIT_SENDME_EVERY_BYTES, EXIT_STREAM_WINDOW_BYTES, EXIT_UPLOAD_SHARE_MS, MAX_BEGINS_PER_CIRCUIT, MAX_CIRCUIT_BYTES, MAX_EXIT_TRACKERS, MAX_STREAMS_PER_CIRCUIT } from './constants.ts';
import { isTrackerUrl, type EndReason, type ExitBegin } from './exit-wire.ts';

/** A BitTorrent handshake opens with this (BEP 3): length 19, the protocol name. */
const BT_PROTOCOL = utf8.encode('\x13BitTorrent protocol');
/** Then 8 reserved bytes, then the infohash: the prefix a handshake is checked on (the peer id after it is free). */
const BT_INFOHASH_AT = BT_PROTOCOL.length + 8;
const BT_PREFIX_BYTES = BT_INFOHASH_AT + 20;

export type ExitRefusal =
  | 'circuit-closed'
  | 'other-swarm'
  | 'tracker'
  | 'too-many-trackers'
  | 'too-many-streams'
  | 'too-many-begins'
  | 'stream-in-use'
  | 'unknown-stream'
  | 'not-connected'
  | 'duplicate-peer'
  | 'not-bittorrent'
  | 'wrong-infohash'
  | 'window'
  | 'bad-sendme'
  | 'upload-share'
  | 'over-verified';

/** The end reason an exit sends for each refusal (none for a closed circuit: there is no one to tell). */
const END_FOR: Record<ExitRefusal, EndReason> = {
  'circuit-closed': 'protocol',
  'other-swarm': 'policy',
  tracker: 'policy',
  'too-many-trackers': 'policy',
  'too-many-streams': 'limit',
  'too-many-begins': 'limit',
  'stream-in-use': 'protocol',
  'unknown-stream': 'protocol',
  'not-connected': 'protocol',
  'duplicate-peer': 'no-peer',
  'not-bittorrent': 'policy',
  'wrong-infohash': 'policy',
  window: 'protocol',
  'bad-sendme': 'protocol',
  'upload-share': 'limit',
  'over-verified': 'protocol',
};

export type Refused = { ok: false; reason: ExitRefusal; end: EndReason };
export type Verdict = { ok: true } | Refused;
/** For data: what may be passed on now (held bytes of a handshake still being checked come out once it is proven). */
export type DataVerdict = { ok: true; forward: Uint8Array } | Refused;

export interface ExitPolicyConfig {
  /** The exit's upload cap for what it sends to swarm peers, KiB/s; 0 for none. */
  exitCapKiBps: number;
  /** Trackers the exit itself announces on: these may be on its own network (a LAN or test tracker). */
  ownTrackers: readonly string[];
}

/** Bytes one circuit may send to its swarm through an exit with this upload cap. */
export function exitUploadShareBytes(exitCapKiBps: number): number {
  if (exitCapKiBps === 0) return MAX_CIRCUIT_BYTES;
  return Math.min(MAX_CIRCUIT_BYTES, Math.floor((exitCapKiBps * 1024 * EXIT_UPLOAD_SHARE_MS) / 1000));
}

/** One direction's handshake check: holds bytes until the prefix is proven. */
class HandshakeCheck {
  private held: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  proven = false;

  constructor(private readonly infoHash: Uint8Array) {}

  /** Bytes to pass on, or the refusal; held bytes come out with the ones that prove the prefix. */
  take(data: Uint8Array): { forward: Uint8Array } | { refusal: ExitRefusal } {
    if (this.proven) return { forward: data };
    const all = new Uint8Array(this.held.length + data.length);
    all.set(this.held);
    all.set(data, this.held.length);
    // Refused at the first wrong byte: a non-BitTorrent payload is never held waiting for more.
    const name = Math.min(all.length, BT_PROTOCOL.length);
    if (!bytesEqual(all.subarray(0, name), BT_PROTOCOL.subarray(0, name))) return { refusal: 'not-bittorrent' };
    const hash = Math.min(all.length, BT_PREFIX_BYTES);
    if (hash > BT_INFOHASH_AT && !bytesEqual(all.subarray(BT_INFOHASH_AT, hash), this.infoHash.subarray(0, hash - BT_INFOHASH_AT))) return { refusal: 'wrong-infohash' };
    if (all.length < BT_PREFIX_BYTES) {
      this.held = all;
      return { forward: new Uint8Array(0) };
    }
    this.proven = true;
    this.held = new Uint8Array(0);
    return { forward: all };
  }
}

interface ExitStream {
  peerTag: Uint8Array | undefined;
  toSwarm: HandshakeCheck;
  fromSwarm: HandshakeCheck;
  /** Originator → exit: bytes received, and credit the exit has returned. */
  received: number;
  granted: number;
  /** Delivered to the swarm peer and not yet returned as credit. */
  undelivered: number;
  /** Exit → originator: bytes sent, and credit the originator has returned. */
  sent: number;
  acked: number;
  /** Of `sent`, what the originator reported as passing its hash checks. */
  verified: number;
}

/** Whether a host is loopback, private, link-local or otherwise on the exit's own network (hostnames as URL gives them). */
export function isLocalHost(hostname: string): boolean {
  // URL has already turned 0x7f.1, 2130706433 and the like into dotted IPv4; a name may still end in a dot.
  const h = hostname.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal')) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (v4 !== null) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168);
  }
  if (h.startsWith('[')) {
    const v6 = h.slice(1, -1);
    // Loopback, unspecified, unique-local (fc00::/7), link-local (fe80::/10), and IPv4-mapped (::ffff:…), which may hide any of the above.
    return v6 === '::1' || v6 === '::' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || v6.startsWith('::ffff:');
  }
  return false;
}

export class ExitCircuitPolicy {
  private readonly streams = new Map<number, ExitStream>();
  private infoHash: Uint8Array | undefined;
  private begun = 0;
  private toSwarmBytes = 0;
  private closed = false;
  private readonly uploadShare: number;
  private readonly ownOrigins: Set<string>;

  constructor(config: ExitPolicyConfig) {
    this.uploadShare = exitUploadShareBytes(config.exitCapKiBps);
    this.ownOrigins = new Set(config.ownTrackers.filter(isTrackerUrl).map((t) => new URL(t).origin));
  }

  /** The originator asks to join the swarm and dial one of its peers on a new stream. */
  begin(b: ExitBegin): Verdict {
    if (this.closed) return refuse('circuit-closed');
    if (this.infoHash !== undefined && !bytesEqual(this.infoHash, b.infoHash)) return refuse('other-swarm');
    if (b.trackers.length > MAX_EXIT_TRACKERS) return refuse('too-many-trackers');
    if (!b.trackers.every((t) => this.trackerAllowed(t))) return refuse('tracker');
    if (this.streams.has(b.streamId)) return refuse('stream-in-use');
    if (this.streams.size >= MAX_STREAMS_PER_CIRCUIT) return refuse('too-many-streams');
    if (this.begun >= MAX_BEGINS_PER_CIRCUIT) return refuse('too-many-begins');
    this.infoHash ??= b.infoHash.slice();
    this.begun++;
    this.streams.set(b.streamId, {
      peerTag: undefined,
      toSwarm: new HandshakeCheck(this.infoHash),
      fromSwarm: new HandshakeCheck(this.infoHash),
      received: 0,
      granted: EXIT_STREAM_WINDOW_BYTES,
      undelivered: 0,
      sent: 0,
      acked: EXIT_STREAM_WINDOW_BYTES,
      verified: 0,
    });
    return { ok: true };
  }

  /** The exit reached a swarm peer for this stream (before it tells the originator). */
  connected(streamId: number, peerTag: Uint8Array): Verdict {
    const s = this.stream(streamId);
    if ('ok' in s) return s;
    if (s.peerTag !== undefined) return this.drop(streamId, 'stream-in-use');
    for (const other of this.streams.values()) if (other.peerTag !== undefined && bytesEqual(other.peerTag, peerTag)) return this.drop(streamId, 'duplicate-peer');
    s.peerTag = peerTag.slice();
    return { ok: true };
  }

  /** Data from the originator, for the swarm peer. */
  fromOriginator(streamId: number, data: Uint8Array): DataVerdict {
    const s = this.stream(streamId);
    if ('ok' in s) return s;
    if (s.peerTag === undefined) return this.drop(streamId, 'not-connected');
    if (s.received + data.length > s.granted) return this.drop(streamId, 'window');
    if (this.toSwarmBytes + data.length > this.uploadShare) return this.drop(streamId, 'upload-share');
    const checked = s.toSwarm.take(data);
    if ('refusal' in checked) return this.drop(streamId, checked.refusal);
    s.received += data.length;
    this.toSwarmBytes += data.length;
    return { ok: true, forward: checked.forward };
  }

  /**
   * The exit delivered `bytes` of the originator's data to the swarm peer;
   * returns the credit to send back in a sendme now (0: not yet).
   */
  delivered(streamId: number, bytes: number): number {
    const s = this.streams.get(streamId);
    if (s === undefined || this.closed) return 0;
    s.undelivered += bytes;
    if (s.undelivered < EXIT_SENDME_EVERY_BYTES) return 0;
    const credit = s.undelivered;
    s.undelivered = 0;
    s.granted += credit;
    return credit;
  }

  /** What the exit may still send the originator on this stream before it returns credit. */
  sendCredit(streamId: number): number {
    const s = this.streams.get(streamId);
    return s === undefined || this.closed ? 0 : s.acked - s.sent;
  }

  /** Data from the swarm peer, for the originator (the exit reads no more than sendCredit). */
  fromSwarm(streamId: number, data: Uint8Array): DataVerdict {
    const s = this.stream(streamId);
    if ('ok' in s) return s;
    if (s.peerTag === undefined) return this.drop(streamId, 'not-connected');
    if (s.sent + data.length > s.acked) return this.drop(streamId, 'window');
    const checked = s.fromSwarm.take(data);
    if ('refusal' in checked) return this.drop(streamId, checked.refusal);
    s.sent += data.length;
    return { ok: true, forward: checked.forward };
  }

  /** The originator returned credit: it cannot acknowledge bytes it was never sent. */
  sendme(streamId: number, bytes: number): Verdict {
    const s = this.stream(streamId);
    if ('ok' in s) return s;
    if (s.acked + bytes > s.sent + EXIT_STREAM_WINDOW_BYTES) return this.drop(streamId, 'bad-sendme');
    s.acked += bytes;
    return { ok: true };
  }

  /** The originator reports `bytes` more of what we passed on from the stream's peer as hash-checked; returns the stream's total. */
  verified(streamId: number, bytes: number): { ok: true; total: number } | Refused {
    const s = this.stream(streamId);
    if ('ok' in s) return s;
    if (s.verified + bytes > s.sent) return this.drop(streamId, 'over-verified');
    s.verified += bytes;
    return { ok: true, total: s.verified };
  }

  /** Either end closed the stream. */
  end(streamId: number): void {
    this.streams.delete(streamId);
  }

  /** The circuit closed: returns the streams to close with it; every later event is refused. */
  closeCircuit(): number[] {
    this.closed = true;
    const open = [...this.streams.keys()];
    this.streams.clear();
    return open;
  }

  /** Streams open or opening. */
  get openStreams(): number {
    return this.streams.size;
  }

  private trackerAllowed(url: string): boolean {
    if (!isTrackerUrl(url)) return false;
    const u = new URL(url);
    return !isLocalHost(u.hostname) || this.ownOrigins.has(u.origin);
  }

  private stream(streamId: number): ExitStream | Refused {
    if (this.closed) return refuse('circuit-closed');
    return this.streams.get(streamId) ?? refuse('unknown-stream');
  }

  private drop(streamId: number, reason: ExitRefusal): Refused {
    this.streams.delete(streamId);
    return refuse(reason);
  }
}

function refuse(reason: ExitRefusal): Refused {
  return { ok: false, reason, end: END_FOR[reason] };
}
