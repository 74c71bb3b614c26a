/**
 * Noticing a connection whose far end vanished without closing it: each is
 * pinged (libp2p's ping protocol) and cut when a ping fails. This replaces
 * libp2p's connection monitor, which pings every connection at one rate: a tab
 * pings its peer tabs as often as before, and its signaling relays far less.
 * The schedule is pure (pingDue); watchLiveness is the glue.
 */
import { byteStream } from '@libp2p/utils';
import type { Connection } from '@libp2p/interface';
import { bytesEqual } from '../codec/bytes.ts';
import { classifyConnection } from './peer-table.ts';

export const LIVENESS = {
  /** How often connections are looked over. */
  tickMs: 5_000,
  /** A peer tab that vanished without closing (a crash, a phone gone to sleep) is noticed within about this long. */
  peerPingIntervalMs: 5_000,
  /**
   * A relay's WebSocket closes when it stops or restarts, and the relay pings each tab every
   * 30 s itself: this only finds a path that died silently. At the peers' 5 s, a thousand
   * tabs' pings took a third of a relay's CPU (bench/relay-load.ts).
   */
  relayPingIntervalMs: 30_000,
  /** A ping unanswered this long cuts its connection (a busy phone may be slow, not gone). */
  pingTimeoutMs: 10_000,
} as const;

export const PING_PROTOCOL = '/ipfs/ping/1.0.0';
/** libp2p's ping payload: 32 random bytes, echoed. */
const PING_BYTES = 32;

/**
 * Whether a connection is to a signaling relay: a WebSocket one (peer-table.ts's own
 * classification). A tab dials WebSockets to its configured relays only (dial-gater.ts);
 * peers come over WebRTC or through a relay (/p2p-circuit, limited).
 */
export function isRelayConnection(remoteAddr: string, limited = false): boolean {
  return classifyConnection({ remoteAddr, limited }) === 'websocket';
}

/**
 * Whether a connection opened at `openedAt` and last pinged at `lastPingAt` is due a ping at
 * `now`, looked at every tickMs: half a tick early counts, so a timer firing a little early
 * does not push a ping a whole tick late.
 */
export function pingDue(relay: boolean, openedAt: number, lastPingAt: number | undefined, now: number): boolean {
  const interval = relay ? LIVENESS.relayPingIntervalMs : LIVENESS.peerPingIntervalMs;
  return now - (lastPingAt ?? openedAt) >= interval - LIVENESS.tickMs / 2;
}

export class PingFailedError extends Error {
  override name = 'PingFailedError';
}

/** One ping over `conn`: resolves when the echo came back, and records the round trip on it. */
export async function pingConnection(conn: Connection, timeoutMs: number = LIVENESS.pingTimeoutMs): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  let stream;
  try {
    stream = await conn.newStream(PING_PROTOCOL, { signal, runOnLimitedConnection: true });
  } catch (err) {
    // The far end answered the protocol negotiation: it is there.
    if ((err as Error).name === 'UnsupportedProtocolError') return;
    throw err;
  }
  try {
    const bytes = byteStream(stream);
    const sent = crypto.getRandomValues(new Uint8Array(PING_BYTES));
    const start = performance.now();
    const [, echo] = await Promise.all([bytes.write(sent, { signal }), bytes.read({ bytes: PING_BYTES, signal })]);
    if (!bytesEqual(echo.subarray(), sent)) throw new PingFailedError('the ping came back changed');
    // The peer list shows it (libp2p's own monitor set it too).
    conn.rtt = performance.now() - start;
    await stream.close({ signal });
  } catch (err) {
    stream.abort(err as Error);
    throw err;
  }
}

export interface LivenessNode {
  getConnections(): Connection[];
}

/**
 * Pings each open connection of `node` when it is due, and cuts one whose ping fails (telling
 * `onCut` first); returns a stop function. `ping` and `now` are seams for tests.
 */
export function watchLiveness(
  node: LivenessNode,
  options: { now?: () => number; ping?: (c: Connection) => Promise<void>; tickMs?: number; onCut?: (c: Connection, err: Error) => void } = {},
): () => void {
  const now = options.now ?? Date.now;
  const ping = options.ping ?? ((c: Connection) => pingConnection(c));
  const lastPing = new WeakMap<Connection, number>();
  const pinging = new WeakSet<Connection>();
  const timer = setInterval(() => {
    const t = now();
    for (const conn of node.getConnections()) {
      if (conn.status !== 'open' || pinging.has(conn) || !pingDue(isRelayConnection(conn.remoteAddr.toString(), conn.limits != null), conn.timeline.open, lastPing.get(conn), t)) continue;
      lastPing.set(conn, t);
      pinging.add(conn);
      ping(conn)
        .catch((err: Error) => {
          options.onCut?.(conn, err);
          conn.abort(err);
        })
        .finally(() => pinging.delete(conn));
    }
  }, options.tickMs ?? LIVENESS.tickMs);
  return () => clearInterval(timer);
}
