/**
 * When to dial a discovered peer over WebRTC. Pure: the dialer feeds it facts.
 *
 * Both sides usually discover each other at once; if both dialed there would be
 * two WebRTC connections. The peer with the smaller id dials first; the other
 * waits a grace period and dials only if still not connected. Two exceptions:
 * a tab that nobody can dial yet (its relay reservation is still on the way)
 * dials at once, since the dial it would wait for cannot come; and while a
 * relayed connection with the peer is open, one of the two may be signaling
 * over it, so neither starts another before the grace is over; and while the
 * peer is signaling a dial to us, we never start one of our own, however long
 * its dial takes (seconds on a busy machine: a grace alone gave two links).
 */
import { backoffDelay, type BackoffPolicy } from './backoff.ts';

export const DIAL_POLICY = {
  /** Browsers handle a few dozen PeerConnections well; beyond that each costs CPU and sockets. */
  maxDirectPeers: 32,
  /** Time for the smaller-id side's dial (0.4-0.7 s on loopback, seconds over the internet) to land. */
  tieBreakGraceMs: 4_000,
  /** Failed dials back off like relay reconnects, but start slower: the peer may be gone. */
  backoff: { initialMs: 2_000, maxMs: 60_000, factor: 2, jitter: 0.2 } satisfies BackoffPolicy,
} as const;

export interface DialFacts {
  self: string;
  peer: string;
  now: number;
  firstSeenAt: number;
  hasDirectConnection: boolean;
  dialInProgress: boolean;
  directPeerCount: number;
  hasWebRtcAddress: boolean;
  /** We hold a relay reservation: the peer could dial us. */
  selfDialable: boolean;
  /** A relayed connection with the peer is open: one of us may be signaling a WebRTC dial over it. */
  peerSignaling: boolean;
  /** The peer is signaling a WebRTC dial to us right now (its signaling stream is open). */
  peerDialing: boolean;
  lastFailureAt?: number | undefined;
  failures: number;
  /** Fixed per decision so tests are deterministic. */
  random: () => number;
}

export type DialDecision = { action: 'dial' } | { action: 'skip'; reason: string } | { action: 'wait'; untilMs: number };

export function decideDial(f: DialFacts): DialDecision {
  if (f.peer === f.self) return { action: 'skip', reason: 'self' };
  if (f.hasDirectConnection) return { action: 'skip', reason: 'connected' };
  if (f.dialInProgress) return { action: 'skip', reason: 'dialing' };
  if (f.peerDialing) return { action: 'skip', reason: 'peer-dialing' };
  if (!f.hasWebRtcAddress) return { action: 'skip', reason: 'no-address' };
  if (f.directPeerCount >= DIAL_POLICY.maxDirectPeers) return { action: 'skip', reason: 'full' };
  if (f.lastFailureAt !== undefined) {
    const retryAt = f.lastFailureAt + backoffDelay(f.failures - 1, f.random, DIAL_POLICY.backoff);
    if (f.now < retryAt) return { action: 'wait', untilMs: retryAt };
  }
  const graceEnds = f.firstSeenAt + DIAL_POLICY.tieBreakGraceMs;
  const afterGrace: DialDecision = f.now >= graceEnds ? { action: 'dial' } : { action: 'wait', untilMs: graceEnds };
  if (f.peerSignaling) return afterGrace;
  if (!f.selfDialable || f.self < f.peer) return { action: 'dial' };
  return afterGrace;
}
