/**
 * When a tab starts the services that wait for the network (sharing, circuits, discovery, mining):
 * once its first direct peer is up, or once it is plain there is nobody to reach. Started beside the
 * first dial, their start-up work (0.4–0.6 s of main thread here) held every step of that dial (a dozen
 * round trips through the relay) behind it; the peer list, identity and ledger show meanwhile.
 */
import type { PeerSnapshot } from '../net/peer-service.ts';

/**
 * The longest the services wait for the network: a relay that never answers, or a dial that hangs,
 * must not keep a tab from sharing (the first dial takes 0.8–1.2 s on this 2-core machine).
 */
export const SERVICES_HELD_MAX_MS = 3_000;

export interface NetworkStartFacts {
  /** Peers connected over a direct WebRTC link. */
  directPeers: number;
  /** Peers we know of and are dialling, or have yet to try once (one that failed waits for a retry: not worth waiting for). */
  pendingDials: number;
  /** Whether a relay has answered who is here (or could not be asked). */
  relayAnswered: boolean;
}

/** Whether the services may start: a direct peer is up, or the relay answered and nobody is left to dial. */
export function servicesMayStart(f: NetworkStartFacts): boolean {
  return f.directPeers > 0 || (f.relayAnswered && f.pendingDials === 0);
}

function startFacts(s: PeerSnapshot, relayAnswered: boolean): NetworkStartFacts {
  return { directPeers: s.peers.filter((p) => p.role === 'peer' && p.transport === 'webrtc').length, pendingDials: s.pending.filter((p) => p.dialing || p.failures === 0).length, relayAnswered };
}

export interface SettlingNetwork {
  snapshot(): PeerSnapshot;
  subscribe(listener: (s: PeerSnapshot) => void): () => void;
  readonly relayAnswered: Promise<void>;
}

/** Resolves when the services may start (servicesMayStart), or after SERVICES_HELD_MAX_MS at the latest. */
export function networkSettled(network: SettlingNetwork, maxWaitMs = SERVICES_HELD_MAX_MS): Promise<void> {
  return new Promise((resolve) => {
    let answered = false;
    let done = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe?.();
      resolve();
    };
    const check = (s: PeerSnapshot): void => {
      if (servicesMayStart(startFacts(s, answered))) finish();
    };
    const timer = setTimeout(finish, maxWaitMs);
    unsubscribe = network.subscribe(check);
    if (done) unsubscribe();
    void network.relayAnswered.then(() => {
      answered = true;
      check(network.snapshot());
    });
  });
}
