/**
 * Keeps this peer connected to its relays: dials each valid relay, watches the
 * connection, and redials with backoff when it drops or cannot be reached.
 *
 * Relays named by our relays (the ones they federate with) are learned as
 * fallbacks: none is dialled while one of ours is connected (each relay holds
 * one connection per tab, not one per tab per relay), and when none is, the
 * learned ones are kept like our own from then on.
 */
import type { Connection } from '@libp2p/interface';
import type { Libp2p } from 'libp2p';
import { backoffDelay } from './backoff.ts';
import { MAX_RELAYS, type RelayAddress } from './net-config.ts';

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
  /** Relays our relays named: fallbacks (at most MAX_RELAYS in all; known endpoints are ignored). Returns those taken. */
  learn(relays: readonly RelayAddress[]): (RelayAddress & { ok: true })[];
  /** Retry every waiting relay now (e.g. when the browser comes back online). */
  retryNow(): void;
  stop(): void;
}

export function keepRelays(node: Libp2p, configured: readonly RelayAddress[], onChange: () => void, now: () => number, random: () => number): RelayKeeper {
  let stopped = false;
  const relays: RelayAddress[] = [...configured];
  const statuses: RelayStatus[] = relays.map((r) =>
    r.ok ? { state: 'connecting', address: r.text, attempt: 0 } : { state: 'invalid', address: r.text, error: r.error });
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  /** Learned relays not yet dialled, in the order they were named. */
  const fallbacks: (RelayAddress & { ok: true })[] = [];

  const set = (i: number, s: RelayStatus): void => {
    statuses[i] = s;
    onChange();
    if (s.state !== 'connected') fallBack();
  };

  /** With no relay connected, every learned relay is dialled and kept from then on. */
  const fallBack = (): void => {
    if (stopped || fallbacks.length === 0 || statuses.some((st) => st.state === 'connected')) return;
    for (const r of fallbacks.splice(0)) {
      relays.push(r);
      statuses.push({ state: 'connecting', address: r.text, attempt: 0 });
      connect(relays.length - 1, 0);
    }
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
    learn(named) {
      const known = new Set([...relays, ...fallbacks].flatMap((r) => (r.ok ? [r.endpoint] : [])));
      const taken: (RelayAddress & { ok: true })[] = [];
      for (const r of named) {
        if (!r.ok || known.has(r.endpoint) || relays.length + fallbacks.length >= MAX_RELAYS) continue;
        known.add(r.endpoint);
        fallbacks.push(r);
        taken.push(r);
      }
      fallBack();
      return taken;
    },
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
