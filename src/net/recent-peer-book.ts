/**
 * Browser glue for recent-peers.ts: the list of a tab's last direct peers, read from and written to the
 * browser's storage under the tab's own peer id (another identity in the profile has its own list, so a
 * restored identity does not dial the peers of the one it replaced), and recalled as dial addresses.
 */
import type { PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { decodeRecentPeers, encodeRecentPeers, noteConnected, recall, shouldStore, type RecentPeer } from './recent-peers.ts';
import { isWebRtcCircuitAddr, relayGroup } from './peer-dialer.ts';

export type PeerStorage = Pick<Storage, 'getItem' | 'setItem'>;

const KEY_PREFIX = 'trustmesh.recent-peers.';

export class RecentPeerBook {
  private list: RecentPeer[];
  private readonly key: string;

  constructor(
    private readonly storage: PeerStorage | undefined,
    self: string,
    private readonly now: () => number,
  ) {
    this.key = KEY_PREFIX + self;
    let stored: string | null = null;
    try {
      stored = storage?.getItem(this.key) ?? null;
    } catch {
      // Storage refused (a privacy mode): the tab starts as a new one does, from the relay's answer.
    }
    this.list = decodeRecentPeers(stored);
  }

  /**
   * The recalled peers last reached through the relay `relayId`, with those addresses, parsed and checked: a
   * WebRTC address through that relay, ending at the peer, at a relay endpoint `mayDial` allows.
   */
  reachedThrough(relayId: string, mayDial: (ma: Multiaddr) => boolean): { peerId: PeerId; addrs: Multiaddr[] }[] {
    const found: { peerId: PeerId; addrs: Multiaddr[] }[] = [];
    for (const p of recall(this.list, this.now())) {
      let peerId: PeerId;
      try {
        peerId = peerIdFromString(p.id);
      } catch {
        continue;
      }
      const addrs = p.addrs.flatMap((text) => {
        try {
          return [multiaddr(text)];
        } catch {
          return [];
        }
      }).filter((a) => isWebRtcCircuitAddr(a) && a.getComponents().at(-1)?.value === p.id && relayGroup([a]) === relayId && mayDial(a));
      if (addrs.length > 0) found.push({ peerId, addrs });
    }
    return found;
  }

  /** Our direct peers now, each with the WebRTC addresses we know for it; written when the list changed. */
  note(connected: readonly { id: string; addrs: readonly string[] }[]): void {
    if (this.storage === undefined || connected.length === 0) return;
    const next = noteConnected(this.list, connected, this.now());
    if (!shouldStore(this.list, next)) return;
    this.list = next;
    try {
      this.storage.setItem(this.key, encodeRecentPeers(next));
    } catch {
      // Full or refused storage: the next start asks the relay, as a new tab does.
    }
  }
}
