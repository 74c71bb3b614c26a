/**
 * Circuit links over libp2p (browser glue): one long-lived stream on
 * CIRCUIT_PROTOCOL per neighbour, length-prefixed frames, on direct WebRTC
 * connections only, so the signaling relay never carries circuit traffic.
 * A link hands its frames to the CircuitNode one at a time, each once the last
 * is handled, and returns credit only for handled frames, so a slow next hop
 * slows the previous one down (back-pressure along the path). Credit is read
 * apart from that, at once: handling a frame may wait for this link's own
 * window (a `created` answering a `create`), which only that credit opens.
 * A frame that does not decode is dropped there, never fatal to the link and
 * the other circuits on it; only a frame over MAX_FRAME_BYTES (the length
 * prefix cannot be trusted after it), a neighbour sending past the window we
 * gave it, or a broken stream ends a link.
 */
import type { Connection, Stream } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { lpStream } from '@libp2p/utils';
import { DecodeError } from '../codec/binary.ts';
import { bytesEqual, toHex } from '../codec/bytes.ts';
import { directPeers, isDirectConnection, keyedPeer, openDirectStream } from '../net/direct.ts';
import type { CircuitLink } from './circuit-link.ts';
import type { CircuitNode } from './circuit-node.ts';
import { CIRCUIT_PROTOCOL, LINK_CREDIT_EVERY_BYTES, LINK_WINDOW_BYTES, MAX_FRAME_BYTES } from './constants.ts';
import { CREDIT_FRAME_TYPE, decodeFrame, encodeFrame } from './cell-wire.ts';
import { LinkWindow } from './link-window.ts';
import { TaskSlicer, yieldToMain } from '../net/task-slicer.ts';
import { CircuitError } from './errors.ts';
import type { CircuitSeams } from './seams.ts';

/** Opening a link's stream must not hang a circuit build. */
const OPEN_TIMEOUT_MS = 10_000;
/** Links one neighbour may open to us (normally one; a reload leaves a stale one for a while). */
const MAX_INBOUND_LINKS = 4;
/** Frames read and not yet handled: a sender keeps within our window, or one frame larger than it alone. */
const MAX_UNHANDLED_BYTES = LINK_WINDOW_BYTES + MAX_FRAME_BYTES;

const remoteKeyOf = (connection: Connection): Uint8Array | undefined => keyedPeer(connection.remotePeer)?.publicKey;

/** The credit of a well-formed credit frame; undefined for any other frame, malformed ones included. */
function creditOf(frame: Uint8Array): number | undefined {
  if (frame[0] !== CREDIT_FRAME_TYPE) return undefined;
  try {
    const f = decodeFrame(frame);
    return f.type === 'credit' ? f.bytes : undefined;
  } catch (err) {
    if (err instanceof DecodeError) return undefined;
    throw err;
  }
}

/** Cell work in one task stops after this and yields: well under the 50 ms of a long task, even on a busy machine. */
const SLICE_MS = 8;
/** One per tab: every link's reading and writing share the main thread. */
const slicer = new TaskSlicer(SLICE_MS, () => performance.now(), yieldToMain);

/** Exported for tests; the app makes these through Libp2pCircuitLinks. */
export class StreamLink implements CircuitLink {
  private readonly lp;
  readonly window = new LinkWindow(LINK_WINDOW_BYTES, LINK_CREDIT_EVERY_BYTES);
  private writing: Promise<void> = Promise.resolve();
  private readonly remoteKeyHex: string;
  closed = false;

  constructor(
    readonly remoteKey: Uint8Array,
    private readonly stream: Stream,
    private readonly seams?: CircuitSeams,
  ) {
    this.lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES });
    this.remoteKeyHex = toHex(remoteKey);
  }

  /** Waits for window, then writes; writes go out one at a time, in call order. */
  async send(frame: Uint8Array): Promise<void> {
    if (this.closed) throw new CircuitError('closed', 'the link is closed');
    const tap = this.seams?.linkTap?.(this.remoteKeyHex);
    if (tap !== undefined) await tap(frame, this, (f) => this.transmit(f));
    await this.transmit(frame);
  }

  private async transmit(frame: Uint8Array): Promise<void> {
    await this.window.reserve(frame.length);
    await this.write(frame);
  }

  /** Credit is control traffic: it never waits for window, or the two sides could wait on each other. */
  sendCredit(bytes: number): void {
    void this.write(encodeFrame({ type: 'credit', circuitId: 0, bytes })).catch(() => undefined);
  }

  private write(frame: Uint8Array): Promise<void> {
    // A credit frame can release a window's worth of queued cells at once: their copies and sends are spread over tasks.
    const done = this.writing.then(async () => {
      await slicer.maybeYield();
      await this.lp.write(frame);
    });
    this.writing = done.catch(() => undefined);
    return done;
  }

  /**
   * Reads frames until the stream ends or breaks, one is over MAX_FRAME_BYTES,
   * or the neighbour sends past its window; then closes the link once every
   * frame read is handled. Credit feeds the window as it is read; every other
   * frame goes to the circuits in order (handleFrames), which drop what does
   * not decode (a malformed credit frame too): one bad frame must not cut
   * every circuit on the link.
   */
  async readFrames(circuits: () => Pick<CircuitNode, 'receive'>): Promise<void> {
    const inbox = new FrameInbox();
    const handled = this.handleFrames(inbox, circuits);
    try {
      for (;;) {
        const frame = (await this.lp.read()).subarray();
        const gate = this.seams?.readGate?.(this.remoteKeyHex);
        if (gate !== undefined) await gate;
        const credit = creditOf(frame);
        if (credit !== undefined) {
          this.window.credit(credit);
          continue;
        }
        if (inbox.bytes + frame.length > MAX_UNHANDLED_BYTES) break;
        inbox.push(frame);
      }
    } catch {
      // The stream ended or broke, or a frame was oversized: the link is gone.
    } finally {
      // Closed first: a frame's handling that waits for this link's window fails now instead of waiting for credit that cannot come.
      this.close();
      inbox.end();
    }
    await handled;
  }

  /** Hands the frames read to the circuits, one at a time, and returns credit for them. */
  private async handleFrames(inbox: FrameInbox, circuits: () => Pick<CircuitNode, 'receive'>): Promise<void> {
    for (let frame = await inbox.next(); frame !== undefined; frame = await inbox.next()) {
      try {
        await circuits().receive(this, frame);
      } catch {
        // The circuits drop what they cannot use; anything else thrown is a fault on this link: it ends.
        this.close();
      }
      inbox.handled(frame);
      const back = this.window.consumed(frame.length);
      if (back !== undefined && !this.closed) this.sendCredit(back);
      await slicer.maybeYield();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.window.close(new CircuitError('closed', 'the link is closed'));
    this.stream.abort(new Error('circuit link closed'));
  }
}

/** Frames read and waiting for their handling, in order; `bytes` counts them until handled. */
class FrameInbox {
  private readonly frames: Uint8Array[] = [];
  private waiting: ((frame: Uint8Array | undefined) => void) | undefined;
  private ended = false;
  bytes = 0;

  push(frame: Uint8Array): void {
    this.bytes += frame.length;
    if (this.waiting === undefined) this.frames.push(frame);
    else this.take()(frame);
  }

  /** The next frame; undefined once the reading ended and every frame was taken. */
  next(): Promise<Uint8Array | undefined> {
    if (this.frames.length > 0 || this.ended) return Promise.resolve(this.frames.shift());
    return new Promise((resolve) => (this.waiting = resolve));
  }

  handled(frame: Uint8Array): void {
    this.bytes -= frame.length;
  }

  end(): void {
    this.ended = true;
    if (this.waiting !== undefined) this.take()(undefined);
  }

  private take(): (frame: Uint8Array | undefined) => void {
    const w = this.waiting!;
    this.waiting = undefined;
    return w;
  }
}

export class Libp2pCircuitLinks {
  private readonly links = new Set<StreamLink>();

  constructor(
    private readonly node: Libp2p,
    private readonly circuits: () => CircuitNode,
    /** Test builds only: taps on links (a hostile neighbour). */
    private readonly seams?: CircuitSeams,
  ) {}

  async start(): Promise<void> {
    await this.node.handle(
      CIRCUIT_PROTOCOL,
      (stream, connection) => {
        const key = remoteKeyOf(connection);
        if (key === undefined || !isDirectConnection(connection)) {
          stream.abort(new Error('circuits run over direct connections between Ed25519 peers only'));
          return;
        }
        this.attach(new StreamLink(key, stream, this.seams));
      },
      { maxInboundStreams: MAX_INBOUND_LINKS },
    );
  }

  /** Keys of the peers we hold direct WebRTC connections to: the relays we can build through. */
  directPeerKeys(): Uint8Array[] {
    return directPeers(this.node).map((p) => p.publicKey);
  }

  /** A link to the peer with this key: an open one, or a new stream on whichever direct connection to it opens one first. */
  async connect(peerKey: Uint8Array): Promise<CircuitLink> {
    for (const l of this.links) if (!l.closed && bytesEqual(l.remoteKey, peerKey)) return l;
    const connections = this.node.getConnections().filter((c) => isDirectConnection(c) && bytesEqual(remoteKeyOf(c) ?? new Uint8Array(), peerKey));
    if (connections.length === 0) throw new CircuitError('no-relays', 'that peer is not directly connected; circuits use direct connections only');
    try {
      const stream = await openDirectStream(connections, CIRCUIT_PROTOCOL, AbortSignal.timeout(OPEN_TIMEOUT_MS));
      return this.attach(new StreamLink(peerKey, stream, this.seams));
    } catch (err) {
      // Every connection is closing (the peer left) or too slow: to a circuit, the hop is lost.
      throw new CircuitError('broken', `could not open a link to that peer: ${(err as Error).message}`);
    }
  }

  private attach(link: StreamLink): StreamLink {
    this.links.add(link);
    void link.readFrames(this.circuits).finally(() => {
      this.links.delete(link);
      this.circuits().linkClosed(link);
    });
    return link;
  }

  stop(): void {
    void this.node.unhandle(CIRCUIT_PROTOCOL);
    for (const l of this.links) l.close();
  }
}
