/**
 * Circuit links over libp2p (browser glue): one long-lived stream on
 * CIRCUIT_PROTOCOL per neighbour, length-prefixed frames, on direct WebRTC
 * connections only, so the signaling relay never carries circuit traffic.
 * A link's reader hands each frame to the CircuitNode and waits for it, so a
 * slow next hop slows the previous one down (back-pressure along the path).
 */
import type { Connection, Stream } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { lpStream } from '@libp2p/utils';
import { bytesEqual } from '../codec/bytes.ts';
import { directPeers, isDirectConnection, keyedPeer } from '../net/direct.ts';
import type { CircuitLink } from './circuit-link.ts';
import type { CircuitNode } from './circuit-node.ts';
import { CIRCUIT_PROTOCOL, LINK_CREDIT_EVERY_BYTES, LINK_WINDOW_BYTES, MAX_FRAME_BYTES } from './constants.ts';
import { CREDIT_FRAME_TYPE, decodeFrame, encodeFrame } from './cell-wire.ts';
import { LinkWindow } from './link-window.ts';
import { CircuitError } from './errors.ts';

/** Opening a link's stream must not hang a circuit build. */
const OPEN_TIMEOUT_MS = 10_000;
/** Links one neighbour may open to us (normally one; a reload leaves a stale one for a while). */
const MAX_INBOUND_LINKS = 4;

const remoteKeyOf = (connection: Connection): Uint8Array | undefined => keyedPeer(connection.remotePeer)?.publicKey;

class StreamLink implements CircuitLink {
  private readonly lp;
  readonly window = new LinkWindow(LINK_WINDOW_BYTES, LINK_CREDIT_EVERY_BYTES);
  private writing: Promise<void> = Promise.resolve();
  closed = false;

  constructor(
    readonly remoteKey: Uint8Array,
    private readonly stream: Stream,
  ) {
    this.lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES });
  }

  /** Waits for window, then writes; writes go out one at a time, in call order. */
  async send(frame: Uint8Array): Promise<void> {
    if (this.closed) throw new CircuitError('closed', 'the link is closed');
    await this.window.reserve(frame.length);
    await this.write(frame);
  }

  /** Credit is control traffic: it never waits for window, or the two sides could wait on each other. */
  sendCredit(bytes: number): void {
    void this.write(encodeFrame({ type: 'credit', circuitId: 0, bytes })).catch(() => undefined);
  }

  private write(frame: Uint8Array): Promise<void> {
    const done = this.writing.then(() => this.lp.write(frame));
    this.writing = done.catch(() => undefined);
    return done;
  }

  read() {
    return this.lp.read();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.window.close(new CircuitError('closed', 'the link is closed'));
    this.stream.abort(new Error('circuit link closed'));
  }
}

export class Libp2pCircuitLinks {
  private readonly links = new Set<StreamLink>();

  constructor(
    private readonly node: Libp2p,
    private readonly circuits: () => CircuitNode,
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
        this.attach(new StreamLink(key, stream));
      },
      { maxInboundStreams: MAX_INBOUND_LINKS },
    );
  }

  /** Keys of the peers we hold direct WebRTC connections to: the relays we can build through. */
  directPeerKeys(): Uint8Array[] {
    return directPeers(this.node).map((p) => p.publicKey);
  }

  /** A link to the peer with this key: an open one, or a new stream on our newest direct connection to it. */
  async connect(peerKey: Uint8Array): Promise<CircuitLink> {
    for (const l of this.links) if (!l.closed && bytesEqual(l.remoteKey, peerKey)) return l;
    const connections = this.node
      .getConnections()
      .filter((c) => isDirectConnection(c) && bytesEqual(remoteKeyOf(c) ?? new Uint8Array(), peerKey))
      .sort((a, b) => b.timeline.open - a.timeline.open);
    if (connections.length === 0) throw new CircuitError('no-relays', 'that peer is not directly connected; circuits use direct connections only');
    try {
      const stream = await connections[0]!.newStream(CIRCUIT_PROTOCOL, { signal: AbortSignal.timeout(OPEN_TIMEOUT_MS) });
      return this.attach(new StreamLink(peerKey, stream));
    } catch (err) {
      // The connection is closing (the peer left) or too slow: to a circuit, the hop is lost.
      throw new CircuitError('broken', `could not open a link to that peer: ${(err as Error).message}`);
    }
  }

  private attach(link: StreamLink): StreamLink {
    this.links.add(link);
    void (async () => {
      try {
        for (;;) {
          const frame = (await link.read()).subarray();
          if (frame[0] === CREDIT_FRAME_TYPE) {
            const f = decodeFrame(frame);
            if (f.type === 'credit') link.window.credit(f.bytes);
            continue;
          }
          await this.circuits().receive(link, frame);
          const credit = link.window.consumed(frame.length);
          if (credit !== undefined) link.sendCredit(credit);
        }
      } catch {
        // The stream ended or broke, or a frame was oversized: the link is gone.
      } finally {
        link.close();
        this.links.delete(link);
        this.circuits().linkClosed(link);
      }
    })();
    return link;
  }

  stop(): void {
    void this.node.unhandle(CIRCUIT_PROTOCOL);
    for (const l of this.links) l.close();
  }
}
