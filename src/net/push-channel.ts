/**
 * One-way messages to keyed peers over libp2p (browser glue): one long-lived
 * stream per direct connection and protocol, length-prefixed frames, on
 * direct (non-relayed) connections only, so signaling relays never carry
 * them. The ledger's gossip and the market's messages both travel this way.
 */
import type { Connection, Stream } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { lpStream } from '@libp2p/utils';
import { directConnectionsTo, isDirectConnection, keyedPeer, type KeyedPeer } from './direct.ts';

/** Opening a push stream, or one frame's write, must finish within this: a stalled peer cannot hold a sender. */
const PUSH_WRITE_TIMEOUT_MS = 15_000;
/** Push streams per connection: one, and room for a replacement while a broken one is noticed. */
const MAX_INBOUND_PUSH_STREAMS = 2;
/** Pushed messages one connection may have us handling at once. */
const MAX_PUSH_HANDLING = 8;

export class PushUnreachableError extends Error {
  override name = 'PushUnreachableError';
}

export interface PushCodec<T> {
  protocol: string;
  maxFrameBytes: number;
  encode(message: T): Uint8Array;
  /** Throws on a malformed frame: the stream is dropped. */
  decode(bytes: Uint8Array): T;
}

export interface PushChannel<T> {
  /** Sends on every direct connection to the peer id, done when one write is. */
  send(peer: KeyedPeer, message: T): Promise<void>;
  /** Installs the handler of incoming messages. */
  serve(handler: (from: KeyedPeer, message: T) => Promise<void>): void;
  stop(): void;
}

type LpStream = ReturnType<typeof lpStream>;

/** Who sent an inbound stream; undefined (and the stream aborted) unless a keyed peer on a direct connection. */
export function directSender(stream: Stream, connection: Connection, what: string): KeyedPeer | undefined {
  const from = keyedPeer(connection.remotePeer);
  if (from !== undefined && isDirectConnection(connection)) return from;
  stream.abort(new Error(`${what} are accepted on direct connections from Ed25519 peers only`));
  return undefined;
}

export function pushChannel<T>(node: Libp2p, codec: PushCodec<T>): PushChannel<T> {
  /** Our push stream on each connection (by connection id), opened on first use; writes go one at a time. */
  const pushes = new Map<string, { lp: Promise<LpStream>; writing: Promise<void> }>();

  const pushOn = async (c: Connection, peer: KeyedPeer, frame: Uint8Array): Promise<void> => {
    let p = pushes.get(c.id);
    if (p === undefined) {
      const opened = c.newStream(codec.protocol, { signal: AbortSignal.timeout(PUSH_WRITE_TIMEOUT_MS) }).then((stream) => {
        const drop = (): void => {
          if (pushes.get(c.id) === entry) pushes.delete(c.id);
        };
        stream.addEventListener('close', drop);
        return lpStream(stream, { maxDataLength: codec.maxFrameBytes });
      });
      const entry = { lp: opened, writing: Promise.resolve() };
      pushes.set(c.id, entry);
      opened.catch(() => pushes.get(c.id) === entry && pushes.delete(c.id));
      p = entry;
    }
    const entry = p;
    const done = entry.writing.then(async () => (await entry.lp).write(frame, { signal: AbortSignal.timeout(PUSH_WRITE_TIMEOUT_MS) }));
    entry.writing = done.catch(() => undefined);
    try {
      await done;
    } catch (err) {
      // A push stream that failed once is not trusted again; the next message opens a new one.
      if (pushes.get(c.id) === entry) pushes.delete(c.id);
      void entry.lp.then((lp) => lp.unwrap().abort(err as Error)).catch(() => undefined);
      throw new PushUnreachableError(`${peer.id.slice(-8)}: ${(err as Error).message}`);
    }
  };

  return {
    /** Two live connections under one id can be two devices running one identity: a message must reach both. */
    async send(peer, message) {
      const candidates = directConnectionsTo(node, peer.id);
      if (candidates.length === 0) throw new PushUnreachableError(`no direct connection to ${peer.id.slice(-8)}`);
      const frame = codec.encode(message);
      try {
        await Promise.any(candidates.map((c) => pushOn(c, peer, frame)));
      } catch (err) {
        throw (err as AggregateError).errors[0] as Error;
      }
    },
    serve(handler) {
      void node.handle(
        codec.protocol,
        async (stream, connection) => {
          const from = directSender(stream, connection, codec.protocol);
          if (from === undefined) return;
          try {
            const lp = lpStream(stream, { maxDataLength: codec.maxFrameBytes });
            // A few messages at once (handling one may send on to others, whose handling may send back to us);
            // beyond that, a sender that outpaces us waits (back-pressure): nothing queues without bound.
            const handling = new Set<Promise<unknown>>();
            for (;;) {
              const message = codec.decode((await lp.read()).subarray());
              const h = handler(from, message)
                .catch(() => undefined)
                .finally(() => handling.delete(h));
              handling.add(h);
              if (handling.size >= MAX_PUSH_HANDLING) await Promise.race(handling);
            }
          } catch (err) {
            // The stream ended, or a frame was malformed or oversized: drop this stream (the sender opens another).
            stream.abort(err as Error);
          }
        },
        { maxInboundStreams: MAX_INBOUND_PUSH_STREAMS },
      );
    },
    stop() {
      void node.unhandle(codec.protocol);
      for (const p of pushes.values()) void p.lp.then((lp) => lp.unwrap().abort(new Error('stopped'))).catch(() => undefined);
      pushes.clear();
    },
  };
}
