/**
 * Dials discovered peers over WebRTC (signaled through a relay circuit), using
 * the pure dial policy, and tracks failures for backoff.
 */
import type { Libp2p } from 'libp2p';
import type { PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { decideDial } from './dial-policy.ts';
import { classifyConnection } from './peer-table.ts';

/** Re-evaluation period for peers waiting on a tie-break or backoff. */
const DIAL_TICK_MS = 1_000;
/** Forget candidates not heard of for this long (closed tabs). */
const CANDIDATE_TTL_MS = 10 * 60_000;

interface Candidate {
  peerId: PeerId;
  addrs: Multiaddr[];
  firstSeenAt: number;
  lastSeenAt: number;
  failures: number;
  lastFailureAt?: number;
  dialing: boolean;
  lastError?: string;
  /** The last progress event of the current dial, e.g. "webrtc:read-sdp-answer". */
  stage?: string;
}

export function isWebRtcCircuitAddr(ma: Multiaddr): boolean {
  const names = ma.getComponents().map((c) => c.name);
  return names.includes('webrtc') && names.includes('p2p-circuit');
}

/**
 * The address with `/p2p/<peerId>` as its last component. Addresses learned
 * through identify or PEX may end at `/webrtc`; libp2p would then read the
 * relay's id from them as the target.
 */
export function withPeerId(ma: Multiaddr, peerId: string): Multiaddr {
  const last = ma.getComponents().at(-1);
  if (last?.name === 'p2p') return last.value === peerId ? ma : ma.decapsulateCode(last.code).encapsulate(`/p2p/${peerId}`);
  return ma.encapsulate(`/p2p/${peerId}`);
}

/** A peer we know of but have no direct connection to (yet). */
export interface PendingPeer {
  peerId: string;
  dialing: boolean;
  failures: number;
  lastError?: string | undefined;
  stage?: string | undefined;
}

export interface PeerDialer {
  offer(peerId: PeerId, addrs: readonly Multiaddr[]): void;
  pending(): PendingPeer[];
  stop(): void;
}

export function startPeerDialer(node: Libp2p, onChange: () => void, now: () => number, random: () => number): PeerDialer {
  const self = node.peerId.toString();
  const candidates = new Map<string, Candidate>();

  const directPeers = (): Set<string> => {
    const out = new Set<string>();
    for (const c of node.getConnections()) {
      if (classifyConnection({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null }) === 'webrtc') out.add(c.remotePeer.toString());
    }
    return out;
  };

  const evaluate = (): void => {
    const direct = directPeers();
    const t = now();
    for (const [key, c] of candidates) {
      if (t - c.lastSeenAt > CANDIDATE_TTL_MS && !direct.has(key)) {
        candidates.delete(key);
        continue;
      }
      const decision = decideDial({
        self,
        peer: key,
        now: t,
        firstSeenAt: c.firstSeenAt,
        hasDirectConnection: direct.has(key),
        dialInProgress: c.dialing,
        directPeerCount: direct.size,
        hasWebRtcAddress: c.addrs.length > 0,
        lastFailureAt: c.lastFailureAt,
        failures: c.failures,
        random,
      });
      if (decision.action === 'dial') dial(c);
    }
  };

  const dial = (c: Candidate): void => {
    c.dialing = true;
    node.dial(c.addrs, { onProgress: (evt: { type: string }) => (c.stage = evt.type) }).then(
      () => {
        c.dialing = false;
        c.failures = 0;
        delete c.lastFailureAt;
        delete c.lastError;
        onChange();
      },
      (err: Error) => {
        c.dialing = false;
        c.failures += 1;
        c.lastFailureAt = now();
        c.lastError = err.message;
        onChange();
      },
    );
  };

  const onDiscovery = (evt: CustomEvent<{ id: PeerId; multiaddrs: Multiaddr[] }>): void => {
    offer(evt.detail.id, evt.detail.multiaddrs);
  };

  const offer = (peerId: PeerId, addrs: readonly Multiaddr[]): void => {
    const key = peerId.toString();
    if (key === self) return;
    const webrtc = addrs.filter(isWebRtcCircuitAddr).map((a) => withPeerId(a, key));
    const t = now();
    const existing = candidates.get(key);
    if (existing === undefined) {
      candidates.set(key, { peerId, addrs: webrtc, firstSeenAt: t, lastSeenAt: t, failures: 0, dialing: false });
    } else {
      existing.lastSeenAt = t;
      if (webrtc.length > 0) existing.addrs = webrtc;
    }
    evaluate();
  };

  node.addEventListener('peer:discovery', onDiscovery);
  const timer = setInterval(evaluate, DIAL_TICK_MS);

  return {
    offer,
    pending() {
      const direct = directPeers();
      return [...candidates.values()]
        .filter((c) => !direct.has(c.peerId.toString()) && c.addrs.length > 0)
        .map((c) => ({ peerId: c.peerId.toString(), dialing: c.dialing, failures: c.failures, lastError: c.lastError, stage: c.stage }));
    },
    stop() {
      clearInterval(timer);
      node.removeEventListener('peer:discovery', onDiscovery);
    },
  };
}
