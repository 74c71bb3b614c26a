/**
 * Keeps GossipSub's streams on a live link to every neighbour. GossipSub opens
 * its streams on one connection per peer, and opens them again only when
 * libp2p reports the peer anew. Two links to one peer are normal here for a
 * moment: both ends dialled at once (duplicate-links.ts closes one), or a
 * redial came before liveness cut the dead link. When the link that carries
 * the streams closes and the other stays, the pair is still connected but no
 * stream runs either way, and every message between them is lost without an
 * error (js-libp2p#3531 leaves this case open). The keeper re-attaches
 * GossipSub to an open direct link: after each connection close, and in a slow
 * sweep for streams reset without one. What to re-attach is pure (linkToReattach).
 */
import type { Connection, PeerId } from '@libp2p/interface';
import type { GossipSub } from '@libp2p/gossipsub';
import type { Libp2p } from 'libp2p';

export const GOSSIP_LINKS = {
  /**
   * How often every neighbour's streams are looked over (a reset stream closes no connection):
   * a map lookup per neighbour, and a lost stream costs at most this much silence.
   */
  sweepMs: 5_000,
  /**
   * Re-attachments tried on one link. A link whose far end is gone looks open until liveness cuts it,
   * and each try there waits out a stream timeout in GossipSub's one queue, delaying other peers' streams.
   */
  triesPerLink: 3,
} as const;

type Link = Pick<Connection, 'status' | 'limits'>;

/**
 * The link to open GossipSub's streams on, or none: only for a neighbour that speaks GossipSub and
 * has no stream from us, on an open link that is not limited (relayed links carry no gossip) and was
 * not tried too often.
 */
export function linkToReattach<L extends Link>(links: readonly L[], speaksGossip: boolean, hasStream: boolean, triedOn: (link: L) => number): L | undefined {
  if (hasStream || !speaksGossip) return undefined;
  return links.find((l) => l.status === 'open' && l.limits == null && triedOn(l) < GOSSIP_LINKS.triesPerLink);
}

/** What the keeper needs of GossipSub beyond its interface: its outbound streams, and its "peer connected" entry. */
interface GossipSubInternals {
  streamsOutbound: Map<string, unknown>;
  onPeerConnected(peer: PeerId, connection: Connection): void;
}

function internalsOf(pubsub: GossipSub): GossipSubInternals | undefined {
  const p = pubsub as unknown as Partial<GossipSubInternals>;
  return p.streamsOutbound instanceof Map && typeof p.onPeerConnected === 'function' ? (p as GossipSubInternals) : undefined;
}

/** Starts the keeper; returns its stop. Without the internals it needs (another GossipSub), it does nothing. */
export function keepGossipLinks(node: Libp2p, pubsub: GossipSub, sweepMs: number = GOSSIP_LINKS.sweepMs): () => void {
  const internals = internalsOf(pubsub);
  if (internals === undefined) return () => undefined;
  let stopped = false;
  const tries = new WeakMap<Connection, number>();

  const check = async (peer: PeerId): Promise<void> => {
    const id = peer.toString();
    if (stopped || internals.streamsOutbound.has(id)) return;
    const links = node.getConnections(peer);
    if (!links.some((l) => l.status === 'open' && l.limits == null)) return;
    const protocols = await node.peerStore.get(peer).then((p) => p.protocols, (): string[] => []);
    const link = linkToReattach(links, protocols.some((p) => pubsub.protocols.includes(p)), internals.streamsOutbound.has(id), (l) => tries.get(l) ?? 0);
    if (stopped || link === undefined) return;
    tries.set(link, (tries.get(link) ?? 0) + 1);
    internals.onPeerConnected(peer, link);
  };
  const sweep = (): void => {
    for (const peer of node.getPeers()) void check(peer);
  };
  // The closed link's streams close with it, in the same turn or the next: look once they have.
  const onClose = (evt: CustomEvent<Connection>): void => {
    const peer = evt.detail.remotePeer;
    setTimeout(() => void check(peer), 0);
  };

  node.addEventListener('connection:close', onClose);
  const timer = setInterval(sweep, sweepMs);
  return () => {
    stopped = true;
    clearInterval(timer);
    node.removeEventListener('connection:close', onClose);
  };
}
