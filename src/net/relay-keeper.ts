/**
 * Keeps this peer connected to its relays: dials each valid relay, watches the
 * connection, and redials with backoff when it drops or cannot be reached.
 */
import type { Connection } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { backoffDelay } from './backoff.ts';
import type { RelayAddress } from './net-config.ts';

/** A relay that has not answered within this is treated as unreachable for this attempt. */
export const RELAY_DIAL_TIMEOUT_MS = 10_000;

export type RelayStatus =
  | { state: 'invalid'; address: string; error: string }
  | { state: 'connecting'; address: string; attempt: number }
  | { state: 'connected'; address: string; peerId: string; since: number }
  | { state: 'retrying'; address: string; attempt: number; retryAt: number; error: string };

export interface RelayKeeper {
  statuses(): RelayStatus[];
  relayPeerIds(): Set<string>;
  /** Retry every waiting relay now (e.g. when the browser comes back online). */
  retryNow(): void;
  stop(): void;
}

export function keepRelays(node: Libp2p, relays: readonly RelayAddress[], onChange: () => void, now: () => number, random: () => number): RelayKeeper {
  let stopped = false;
  const statuses: RelayStatus[] = relays.map((r) =>
    r.ok ? { state: 'connecting', address: r.text, attempt: 0 } : { state: 'invalid', address: r.text, error: r.error });
  const timers = new Map<number, ReturnType<typeof setTimeout>>();

  const set = (i: number, s: RelayStatus): void => {
    statuses[i] = s;
    onChange();
  };

  const scheduleRetry = (i: number, address: string, attempt: number, error: string): void => {
    const delay = backoffDelay(attempt, random);
    set(i, { state: 'retrying', address, attempt: attempt + 1, retryAt: now() + delay, error });
    timers.set(i, setTimeout(() => {
      timers.delete(i);
      connect(i, attempt + 1);
    }, delay));
  };

  const watch = (i: number, address: string, conn: Connection): void => {
    const onClose = (evt: CustomEvent<Connection>): void => {
      if (evt.detail.id !== conn.id) return;
      node.removeEventListener('connection:close', onClose);
      if (!stopped) scheduleRetry(i, address, 0, 'connection to the relay was lost');
    };
    node.addEventListener('connection:close', onClose);
  };

  const connect = (i: number, attempt: number): void => {
    const relay = relays[i];
    if (stopped || relay === undefined || !relay.ok) return;
    set(i, { state: 'connecting', address: relay.text, attempt });
    node.dial(relay.multiaddr, { signal: AbortSignal.timeout(RELAY_DIAL_TIMEOUT_MS) }).then(
      (conn) => {
        if (stopped) return;
        set(i, { state: 'connected', address: relay.text, peerId: conn.remotePeer.toString(), since: now() });
        watch(i, relay.text, conn);
      },
      (err: Error) => {
        if (!stopped) scheduleRetry(i, relay.text, attempt, describeDialError(err));
      },
    );
  };

  relays.forEach((_, i) => connect(i, 0));

  return {
    statuses: () => statuses.map((s) => ({ ...s })),
    relayPeerIds: () => new Set(statuses.flatMap((s) => (s.state === 'connected' ? [s.peerId] : []))),
    retryNow() {
      for (const [i, timer] of timers) {
        clearTimeout(timer);
        timers.delete(i);
        connect(i, 0);
      }
    },
    stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}

/** Turns libp2p's dial errors into something a user can act on. */
export function describeDialError(err: Error): string {
  const text = `${err.name}: ${err.message}`;
  if (/timeout|aborted/i.test(text)) return 'the relay did not answer in time';
  if (/DialDenied/i.test(text)) return 'this address is not allowed as a relay';
  if (/ECONNREFUSED|failed|closed|NoValidAddresses|error/i.test(text)) return 'the relay is unreachable';
  return err.message;
}
