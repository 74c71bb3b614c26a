/**
 * Glue: finds connections whose peer is gone by pinging each once per interval,
 * the pings spread evenly over it. libp2p's own monitor pings every connection
 * in the same tick: with 1,000 peers a burst of 1,000 new streams each interval,
 * the relay's event loop held for it (/health waiting behind), and peers whose
 * answer queued behind the others' timed out and lost their connection and
 * reservation though they were there (BENCH=relay-load: 464 of 1,000 in bursts).
 * A ping the peer answers, or refuses because it does not speak ping, shows it
 * is there; one that fails or times out closes the connection, freeing what it held.
 */
import type { Connection } from '@libp2p/interface';
import { PING_PROTOCOL } from '@libp2p/ping';
import { byteStream } from '@libp2p/utils';

export interface SweepTiming {
  /** Each connection is pinged once per interval. */
  intervalMs: number;
  /** Pings go out every tick, an equal share of the interval's each time. */
  tickMs: number;
  /** A ping unanswered for this long takes its connection for dead. */
  timeoutMs: number;
}

/** The part of a connection the sweep uses. */
export type Swept = Pick<Connection, 'status' | 'abort'>;

export type PingConnection<C> = (conn: C, signal: AbortSignal) => Promise<void>;

/** Runs `run` every `ms` until the returned function is called. */
export type Every = (run: () => void, ms: number) => () => void;

const everyUnref: Every = (run, ms) => {
  const timer = setInterval(run, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/** The ping protocol's payload length (libp2p ping 1.0.0). */
const PING_LENGTH = 32;

/** One ping over `conn`, in a stream of its own, as libp2p's monitor sends it. */
export async function pingConnection(conn: Connection, signal: AbortSignal): Promise<void> {
  const stream = await conn.newStream(PING_PROTOCOL, { signal, runOnLimitedConnection: true });
  try {
    const bytes = byteStream(stream);
    const sent = crypto.getRandomValues(new Uint8Array(PING_LENGTH));
    await Promise.all([bytes.write(sent, { signal }), bytes.read({ bytes: PING_LENGTH, signal })]);
    await stream.close({ signal });
  } catch (err) {
    stream.abort(err as Error);
    throw err;
  }
}

export function sweepConnections<C extends Swept>(list: () => readonly C[], ping: PingConnection<C>, timing: SweepTiming, every: Every = everyUnref): { stop(): void } {
  // This round's connections, as listed when it began; newer ones wait for the next round.
  let round: C[] = [];
  let perTick = 0;
  const tick = (): void => {
    if (round.length === 0) {
      round = [...list()];
      perTick = Math.ceil((round.length * timing.tickMs) / timing.intervalMs);
    }
    for (const conn of round.splice(0, perTick)) {
      if (conn.status !== 'open') continue;
      ping(conn, AbortSignal.timeout(timing.timeoutMs)).catch((err: Error) => {
        // A peer that does not speak ping answered multistream-select: it is there.
        if (err.name !== 'UnsupportedProtocolError' && conn.status === 'open') conn.abort(err);
      });
    }
  };
  return { stop: every(tick, timing.tickMs) };
}
