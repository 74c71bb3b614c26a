/**
 * One direct link per pair of peers. The dial policy's tie-break (dial-policy.ts)
 * keeps both ends from dialling at once in most cases, but not all: a peer can
 * learn of the other, and dial it, while the other's dial is still on its way
 * through the relay, before its signaling shows. Both dials then land, and each
 * pair holds two WebRTC connections, twice the sockets and keepalives. Both ends
 * then close the same one, the link dialled by the larger id, as each can tell
 * from its own side (its direction): never the link the tie-break would have
 * made, and never both. The caller closes them only once the link it keeps
 * answers a ping: that one may be a dead link the other end left behind when it
 * reloaded. Pure.
 */
import type { Connection } from '@libp2p/interface';

type Link = Pick<Connection, 'direction' | 'status'>;

/**
 * Of our open direct links to one peer, those to close: the ones the larger id dialled, once one the
 * smaller id dialled is open too. Links all dialled the same way are left alone (a redial after a drop
 * leaves the dead link to liveness, which knows which one is dead).
 */
export function duplicateLinks<L extends Link>(self: string, peer: string, links: readonly L[]): L[] {
  const open = links.filter((l) => l.status === 'open');
  // From our side: the smaller id's dial is outbound if we are the smaller, inbound if the peer is.
  const kept: Link['direction'] = self < peer ? 'outbound' : 'inbound';
  if (!open.some((l) => l.direction === kept)) return [];
  return open.filter((l) => l.direction !== kept);
}
