/**
 * The originator's end of exit streams (glue over one circuit; no DOM): a
 * circuit whose last hop is an exit relay carries BitTorrent wires to peers
 * of a public swarm as streams (exit-wire.ts), each one a duplex shaped like a
 * CircuitConnection so WebTorrent takes it as an ordinary peer.
 *
 * Flow control, per stream: we never send more than the window the exit
 * granted (EXIT_STREAM_WINDOW_BYTES, refilled by its sendme), and a stream
 * whose exit sends more than the window we granted is ended ('protocol').
 * Credit goes back as the reader takes the data (every EXIT_SENDME_EVERY_BYTES),
 * so a slow reader holds the exit up instead of filling our memory.
 */
import { Duplex } from 'streamx';
import { toHex } from '../codec/bytes.ts';
import { CIRCUIT_ADDRESS, nextPort, type CircuitConnection } from '../circuits/circuit-connection.ts';
import type { OriginCircuit } from '../circuits/circuit-node.ts';
import { holdWrites } from '../circuits/held-writes.ts';
import type { CoalescerTimers } from '../circuits/write-coalescer.ts';
import { EXIT_BEGIN_TIMEOUT_MS, EXIT_SENDME_EVERY_BYTES, EXIT_STREAM_WINDOW_BYTES, MAX_BEGINS_PER_CIRCUIT, MAX_STREAMS_PER_CIRCUIT } from './constants.ts';
import { decodeExitMessage, encodeExitMessage, exitDataChunk, MAX_EXIT_DATA_BYTES, type EndReason, type ExitMessage } from './exit-wire.ts';

/** How a stream ended: the exit's (or our) end reason, or its circuit went away. */
export type StreamEnd = EndReason | 'circuit-broken' | 'circuit-closed';

const DESCRIBE: Record<StreamEnd, string> = {
  done: 'the stream was closed',
  policy: "the exit refused it (its exit policy: another swarm, a tracker it will not use, or not BitTorrent)",
  protocol: 'a malformed or out-of-order message on the stream',
  limit: "the exit's limit of streams for one circuit was reached",
  'no-peer': 'the exit found no peer of this swarm (no tracker answered, or no peer accepted)',
  'peer-closed': 'the swarm peer closed its connection',
  timeout: 'the exit did not answer in time',
  'exit-off': 'the exit stopped exiting',
  'circuit-broken': 'the circuit to the exit broke (a relay or the exit left)',
  'circuit-closed': 'the circuit to the exit was closed',
};

/** Why a stream through an exit ended or could not begin; `reason` says which way. */
export class ExitStreamError extends Error {
  override name = 'ExitStreamError';
  constructor(readonly reason: StreamEnd) {
    super(`${DESCRIBE[reason]} (${reason})`);
  }
}

/** What a download guard found wrong with a peer's data (DownloadGuard's drop reasons). */
export type Misbehaviour = 'hash-failures' | 'unrequested';

/** A stream through an exit, as WebTorrent takes a peer connection (see CircuitConnection). */
export type ExitConnection = CircuitConnection & {
  /** That many more bytes from this stream's peer passed our hash checks: the exit acknowledges (and pays) them for us. */
  verified(bytes: number): void;
  /** Our download guard dropped this peer for junk: the exit that carried it is to be avoided. */
  misbehaved(reason: Misbehaviour): void;
  readonly exitKey: Uint8Array;
  /** The swarm peer's tag (hex): two streams with one tag reach one peer. */
  readonly peerTag: string;
  /** Why the stream ended, once it has. */
  readonly endReason: StreamEnd | undefined;
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Stream {
  readonly id: number;
  opening: { resolve(c: ExitConnection): void; reject(e: ExitStreamError): void; timer: ReturnType<typeof setTimeout> } | undefined;
  connection: Mutable<ExitConnection> | undefined;
  /** Bytes we may still send: the exit's window less what we sent, plus the credit it returned. */
  credit: number;
  /** A write waiting for credit: resolved at the next sendme, rejected when the stream ends. */
  creditWaiter: { resolve(): void; reject(e: Error): void } | undefined;
  /** Bytes the exit may still send us: our window less what it sent, plus the credit we returned. */
  allowance: number;
  /** Taken by the reader and not yet returned as credit. */
  taken: number;
  /** Pushed while the reader's buffer was full: taken when it asks for more. */
  backlog: number;
  /** Bytes received, and how many of them we reported as verified. */
  received: number;
  reported: number;
  ended: boolean;
}

const MAX_U32 = 0xffff_ffff;
const ignore = (): void => undefined;

export class ExitCircuitClient {
  private readonly streams = new Map<number, Stream>();
  private begun = 0;
  private state: 'open' | 'broken' | 'closed' = 'open';
  /** The circuit broke (every stream's connection is destroyed first). */
  onBroken: (reason: string) => void = ignore;
  /** A stream's connection was reported for junk (ExitConnection.misbehaved). */
  onMisbehaved: (reason: Misbehaviour) => void = ignore;
  readonly exitKey: Uint8Array;

  private constructor(
    private readonly circuit: OriginCircuit,
    /** The clock that holds a stream's writes into full cells (held-writes.ts); the page's when undefined. */
    private readonly timers: CoalescerTimers | undefined,
  ) {
    this.exitKey = circuit.path[circuit.path.length - 1]!;
    circuit.onBroken = (reason) => this.broke(reason);
    // Broken between its build and now: no stream can begin on it.
    if (circuit.state !== 'ready') this.state = 'broken';
  }

  /** Builds a circuit through `path` (its last key is the exit) and returns its client; `timers` are the page's unless a test sets them. */
  static async open(
    build: (path: Uint8Array[], onData: (data: Uint8Array) => void) => Promise<OriginCircuit>,
    path: Uint8Array[],
    timers?: CoalescerTimers,
  ): Promise<ExitCircuitClient> {
    let client: ExitCircuitClient | undefined;
    // Nothing comes from an exit before we begin a stream, so nothing is lost before the client exists.
    const circuit = await build(path, (data) => client?.onMessage(data));
    client = new ExitCircuitClient(circuit, timers);
    return client;
  }

  /** Streams open or opening. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Begins the exit still takes on this circuit (MAX_BEGINS_PER_CIRCUIT over its life). */
  get beginsLeft(): number {
    return this.state === 'open' ? MAX_BEGINS_PER_CIRCUIT - this.begun : 0;
  }

  /** The relays and the exit, in order. */
  get path(): Uint8Array[] {
    return this.circuit.path;
  }

  /**
   * Asks the exit to join the swarm of `infoHash` (announcing on `trackers`)
   * and dial one of its peers. Resolves at `connected`; rejects with
   * ExitStreamError at `end`, at EXIT_BEGIN_TIMEOUT_MS, or when the circuit goes.
   * The stream is counted in openStreams from the call on.
   */
  begin(infoHash: Uint8Array, trackers: string[]): Promise<ExitConnection> {
    if (this.state !== 'open') return Promise.reject(new ExitStreamError(this.state === 'broken' ? 'circuit-broken' : 'circuit-closed'));
    // The exit would refuse these; asking would only spend a begin.
    if (this.streams.size >= MAX_STREAMS_PER_CIRCUIT || this.begun >= MAX_BEGINS_PER_CIRCUIT) return Promise.reject(new ExitStreamError('limit'));
    // Stream ids are never reused on a circuit: a late message of an ended stream cannot reach a new one.
    const id = this.begun + 1;
    let message: Uint8Array;
    try {
      message = encodeExitMessage({ command: 'begin', streamId: id, infoHash, trackers });
    } catch (err) {
      return Promise.reject(err as Error); // a tracker that is not ws:/wss:, too many of them: the caller's mistake
    }
    this.begun = id;
    return new Promise((resolve, reject) => {
      const s: Stream = {
        id,
        opening: { resolve, reject, timer: setTimeout(() => this.fail(s, 'timeout'), EXIT_BEGIN_TIMEOUT_MS) },
        connection: undefined,
        credit: EXIT_STREAM_WINDOW_BYTES,
        creditWaiter: undefined,
        allowance: EXIT_STREAM_WINDOW_BYTES,
        taken: 0,
        backlog: 0,
        received: 0,
        reported: 0,
        ended: false,
      };
      this.streams.set(id, s);
      this.sendBytes(message);
    });
  }

  /** Closes the circuit; the exit closes its streams with it. */
  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closed';
    this.finishAll('circuit-closed');
    await this.circuit.close().catch(ignore);
  }

  private broke(reason: string): void {
    if (this.state !== 'open') return;
    this.state = 'broken';
    this.finishAll('circuit-broken');
    this.onBroken(reason);
  }

  private finishAll(reason: StreamEnd): void {
    for (const s of [...this.streams.values()]) this.finish(s, reason);
  }

  private onMessage(bytes: Uint8Array): void {
    let m: ExitMessage;
    try {
      m = decodeExitMessage(bytes);
    } catch {
      return; // not an exit message: only the exit can put it here, and no stream is the worse for it
    }
    const s = this.streams.get(m.streamId);
    // A stream we ended or never began: its last messages may still have been on their way.
    if (s === undefined) return;
    switch (m.command) {
      case 'connected':
        return s.opening === undefined ? this.fail(s, 'protocol') : this.connected(s, m.peerTag);
      case 'data':
        return s.connection === undefined ? this.fail(s, 'protocol') : this.receive(s, s.connection, m.data);
      case 'sendme':
        if (s.connection === undefined) return this.fail(s, 'protocol');
        s.credit += m.bytes;
        s.creditWaiter?.resolve();
        s.creditWaiter = undefined;
        return;
      case 'end':
        return this.finish(s, m.reason);
      case 'begin':
      case 'verified':
        return this.fail(s, 'protocol'); // the originator's messages, not the exit's
    }
  }

  private connected(s: Stream, peerTag: Uint8Array): void {
    const opening = s.opening!;
    clearTimeout(opening.timer);
    s.opening = undefined;
    const circuit = this.circuit;
    // Writes go out in full cells where they can, as on a CircuitConnection (held-writes.ts).
    const held = holdWrites(
      MAX_EXIT_DATA_BYTES,
      (data) => this.write(s, data),
      (err) => d.destroy(err),
      this.timers,
    );
    const d = new Duplex({
      writev: (batch: unknown[], cb: (err: Error | null) => void) => {
        held.write(...(batch as Uint8Array[])).then(
          () => cb(null),
          (err: Error) => cb(err),
        );
      },
      final: (cb: (err: Error | null) => void) => {
        held.flush().then(
          () => cb(null),
          (err: Error) => cb(err),
        );
      },
      // The reader wants more: what it could not take at once is taken now.
      read: (cb: (err: Error | null) => void) => {
        const n = s.backlog;
        s.backlog = 0;
        this.take(s, n);
        cb(null);
      },
      destroy: (cb: (err: Error | null) => void) => {
        held.dispose();
        if (!s.ended) {
          this.finish(s, 'done');
          this.send({ command: 'end', streamId: s.id, reason: 'done' });
        }
        cb(null);
      },
    });
    const connection: Mutable<ExitConnection> = Object.assign(d, {
      id: `exit:${toHex(crypto.getRandomValues(new Uint8Array(8)))}`,
      connected: true as const,
      remoteAddress: CIRCUIT_ADDRESS,
      remotePort: nextPort(),
      pathLength: circuit.path.length,
      payThrough: (amount: bigint) => circuit.payThrough(amount),
      // An exit pays swarm peers itself; nothing comes back to us through the circuit.
      onPaid: ignore,
      verified: (bytes: number) => this.verified(s, bytes),
      misbehaved: (reason: Misbehaviour) => this.onMisbehaved(reason),
      exitKey: this.exitKey,
      peerTag: toHex(peerTag),
      endReason: undefined,
    });
    s.connection = connection;
    opening.resolve(connection);
  }

  private receive(s: Stream, connection: Duplex, data: Uint8Array): void {
    if (data.length > s.allowance) return this.fail(s, 'protocol');
    s.allowance -= data.length;
    s.received += data.length;
    if (connection.push(data)) this.take(s, data.length);
    else s.backlog += data.length;
  }

  /** The reader took `n` bytes: return credit once enough has gathered. */
  private take(s: Stream, n: number): void {
    s.taken += n;
    if (s.ended || s.taken < EXIT_SENDME_EVERY_BYTES) return;
    const credit = s.taken;
    s.taken = 0;
    s.allowance += credit;
    this.send({ command: 'sendme', streamId: s.id, bytes: credit });
  }

  /** Sends `bytes` as data messages, never past the exit's window; resolves once the circuit took the last. */
  private async write(s: Stream, bytes: Uint8Array): Promise<void> {
    let last: Promise<void> = Promise.resolve();
    for (let at = 0; at < bytes.length; ) {
      if (s.ended) throw new ExitStreamError(s.connection?.endReason ?? 'done');
      if (s.credit === 0) {
        await last;
        await new Promise<void>((resolve, reject) => (s.creditWaiter = { resolve, reject }));
        continue;
      }
      const n = exitDataChunk(Math.min(MAX_EXIT_DATA_BYTES, s.credit, bytes.length - at));
      s.credit -= n;
      last = this.circuit.send(encodeExitMessage({ command: 'data', streamId: s.id, data: bytes.subarray(at, at + n) }));
      // Cells go out in order: if one fails, so do the ones after it, and the last one says so.
      last.catch(ignore);
      at += n;
    }
    await last;
  }

  /**
   * Reports verified bytes, never more than the exit sent us (it would end
   * the stream): each byte of a piece came in its wire's bytes.
   */
  private verified(s: Stream, bytes: number): void {
    if (s.ended || !(bytes > 0)) return;
    let n = Math.min(Math.floor(bytes), s.received - s.reported);
    s.reported += n;
    while (n > 0) {
      const chunk = Math.min(n, MAX_U32);
      this.send({ command: 'verified', streamId: s.id, bytes: chunk });
      n -= chunk;
    }
  }

  /** Ends a stream the exit got wrong, telling it why. */
  private fail(s: Stream, reason: EndReason): void {
    this.send({ command: 'end', streamId: s.id, reason });
    this.finish(s, reason);
  }

  /** Forgets a stream and settles its begin or destroys its connection with the reason. */
  private finish(s: Stream, reason: StreamEnd): void {
    if (s.ended) return;
    s.ended = true;
    this.streams.delete(s.id);
    const error = new ExitStreamError(reason);
    s.creditWaiter?.reject(error);
    s.creditWaiter = undefined;
    if (s.opening !== undefined) {
      clearTimeout(s.opening.timer);
      s.opening.reject(error);
      s.opening = undefined;
    }
    const c = s.connection;
    if (c !== undefined) {
      c.endReason = reason;
      if (!c.destroying) c.destroy(reason === 'done' ? undefined : error);
    }
  }

  /** A control message; a circuit gone meanwhile is reported by onBroken, not here. */
  private send(m: ExitMessage): void {
    this.sendBytes(encodeExitMessage(m));
  }

  private sendBytes(message: Uint8Array): void {
    if (this.state !== 'open') return;
    this.circuit.send(message).catch(ignore);
  }
}
