/**
 * The ledger protocol over libp2p streams (browser glue): one stream per
 * request and its reply, and one long-lived push stream per connection for
 * one-way messages (gossip), length-prefixed frames, on direct (non-relayed)
 * connections only, so signaling relays never carry ledger data.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { lpStream } from '@libp2p/utils';
import { directPeers, isDirectConnection, keyedPeer } from '../net/direct.ts';
import { decodeLedgerMessage, encodeLedgerMessage, LEDGER_PROTOCOL, LEDGER_PUSH_PROTOCOL, MAX_LEDGER_FRAME_BYTES, type LedgerMessage } from './ledger-wire.ts';
import { PeerUnreachableError, type LedgerHandler, type LedgerTransport, type PeerRef } from './ledger-transport.ts';

/** An incoming request must arrive whole within this; a slow sender cannot hold a stream open. */
const INBOUND_READ_TIMEOUT_MS = 15_000;
/** Handling may crawl the requester first; the requester's own timeout bounds it too. */
const HANDLER_TIMEOUT_MS = 30_000;
/** Concurrent inbound ledger streams per connection. */
const MAX_INBOUND_STREAMS = 32;
/** Push streams per connection: one, and room for a replacement while a broken one is noticed. */
const MAX_INBOUND_PUSH_STREAMS = 2;

/** Pushed messages one connection may have us handling at once. */
const MAX_PUSH_HANDLING = 8;

type LpStream = ReturnType<typeof lpStream>;

/** A ledger peer is a keyed libp2p peer. */
export const peerRef: (id: PeerId) => PeerRef | undefined = keyedPeer;

/** Who sent an inbound ledger stream; undefined (and the stream aborted) unless a keyed peer on a direct connection. */
function directSender(stream: Stream, connection: Connection): PeerRef | undefined {
  const from = peerRef(connection.remotePeer);
  if (from !== undefined && isDirectConnection(connection)) return from;
  stream.abort(new Error('ledger messages are accepted on direct connections from Ed25519 peers only'));
  return undefined;
}

export function libp2pLedgerTransport(node: Libp2p): LedgerTransport {
  /** Newest first: after the other tab reloads, its old connection lingers until WebRTC notices it is dead. */
  const connectionsTo = (peer: PeerRef): Connection[] =>
    node.getConnections().filter((x) => x.remotePeer.toString() === peer.id && isDirectConnection(x)).sort((a, b) => b.timeline.open - a.timeline.open);

  const openStream = async (peer: PeerRef, signal: AbortSignal): Promise<Stream> => {
    const candidates = connectionsTo(peer);
    if (candidates.length === 0) throw new PeerUnreachableError(`no direct connection to ${peer.id.slice(-8)}`);
    const failures: string[] = [];
    for (const c of candidates) {
      try {
        return await c.newStream(LEDGER_PROTOCOL, { signal });
      } catch (err) {
        const e = err as Error | undefined;
        failures.push(`${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`);
        if (signal.aborted) break;
        // A connection that cannot open a stream is dead: drop it so nothing else tries it.
        await c.close().catch(() => c.abort(new Error('unusable connection')));
      }
    }
    throw new PeerUnreachableError(`cannot reach ${peer.id.slice(-8)}: ${failures.join('; ')}`);
  };

  const exchange = async (peer: PeerRef, message: LedgerMessage, timeoutMs: number, expectReply: boolean): Promise<LedgerMessage | undefined> => {
    const signal = AbortSignal.timeout(timeoutMs);
    const stream = await openStream(peer, signal);
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
      await lp.write(encodeLedgerMessage(message), { signal });
      if (!expectReply) {
        await stream.close({ signal });
        return undefined;
      }
      const reply = decodeLedgerMessage((await lp.read({ signal })).subarray());
      await stream.close({ signal }).catch(() => undefined);
      return reply;
    } catch (err) {
      stream.abort(err as Error);
      throw err instanceof PeerUnreachableError ? err : new PeerUnreachableError(`${peer.id.slice(-8)}: ${(err as Error).message}`);
    }
  };

  /** Our push stream on each connection (by connection id), opened on first use; writes go one at a time. */
  const pushes = new Map<string, { lp: Promise<LpStream>; writing: Promise<void> }>();

  /**
   * Pushes on every direct connection to the peer id, done when one write is:
   * two live connections under one id can be two devices running one identity
   * (a restored backup), and a fraud proof against it must reach both.
   */
  const push = async (peer: PeerRef, message: LedgerMessage): Promise<void> => {
    const candidates = connectionsTo(peer);
    if (candidates.length === 0) throw new PeerUnreachableError(`no direct connection to ${peer.id.slice(-8)}`);
    try {
      await Promise.any(candidates.map((c) => pushOn(c, peer, message)));
    } catch (err) {
      throw (err as AggregateError).errors[0] as Error;
    }
  };

  const pushOn = async (c: Connection, peer: PeerRef, message: LedgerMessage): Promise<void> => {
    let p = pushes.get(c.id);
    if (p === undefined) {
      const opened = c.newStream(LEDGER_PUSH_PROTOCOL, { signal: AbortSignal.timeout(INBOUND_READ_TIMEOUT_MS) }).then((stream) => {
        const drop = (): void => {
          if (pushes.get(c.id) === entry) pushes.delete(c.id);
        };
        stream.addEventListener('close', drop);
        return lpStream(stream, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
      });
      const entry = { lp: opened, writing: Promise.resolve() };
      pushes.set(c.id, entry);
      opened.catch(() => pushes.get(c.id) === entry && pushes.delete(c.id));
      p = entry;
    }
    const entry = p;
    const frame = encodeLedgerMessage(message);
    const done = entry.writing.then(async () => (await entry.lp).write(frame, { signal: AbortSignal.timeout(INBOUND_READ_TIMEOUT_MS) }));
    entry.writing = done.catch(() => undefined);
    try {
      await done;
    } catch (err) {
      // A push stream that failed once is not trusted again; the next message opens a new one.
      if (pushes.get(c.id) === entry) pushes.delete(c.id);
      void entry.lp.then((lp) => lp.unwrap().abort(err as Error)).catch(() => undefined);
      throw new PeerUnreachableError(`${peer.id.slice(-8)}: ${(err as Error).message}`);
    }
  };

  return {
    async request(peer, message, timeoutMs) {
      return (await exchange(peer, message, timeoutMs, true))!;
    },
    send: push,
    peers: () => directPeers(node),
    serve(handler: LedgerHandler) {
      void node.handle(
        LEDGER_PROTOCOL,
        async (stream, connection) => {
          const from = directSender(stream, connection);
          if (from === undefined) return;
          try {
            const lp = lpStream(stream, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
            const message = decodeLedgerMessage((await lp.read({ signal: AbortSignal.timeout(INBOUND_READ_TIMEOUT_MS) })).subarray());
            const reply = await handler(from, message);
            if (reply !== undefined) await lp.write(encodeLedgerMessage(reply), { signal: AbortSignal.timeout(HANDLER_TIMEOUT_MS) });
            await stream.close();
          } catch (err) {
            // Malformed, oversized or slow input: drop this stream only.
            stream.abort(err as Error);
          }
        },
        { maxInboundStreams: MAX_INBOUND_STREAMS },
      );
      void node.handle(
        LEDGER_PUSH_PROTOCOL,
        async (stream, connection) => {
          const from = directSender(stream, connection);
          if (from === undefined) return;
          try {
            const lp = lpStream(stream, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
            // A few messages at once (handling one may send on to others, whose handling may send back to us);
            // beyond that, a sender that outpaces us waits (back-pressure): nothing queues without bound.
            const handling = new Set<Promise<unknown>>();
            for (;;) {
              const message = decodeLedgerMessage((await lp.read()).subarray());
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
      void node.unhandle(LEDGER_PROTOCOL);
      void node.unhandle(LEDGER_PUSH_PROTOCOL);
      for (const p of pushes.values()) void p.lp.then((lp) => lp.unwrap().abort(new Error('ledger stopped'))).catch(() => undefined);
      pushes.clear();
    },
  };
}
