/** Which libp2p connections are direct WebRTC links between browsers (not relayed, not to the relay). */
import type { Connection } from '@libp2p/interface';
import { classifyConnection } from './peer-table.ts';

export function isDirectConnection(c: Connection): boolean {
  return c.status === 'open' && classifyConnection({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null }) === 'webrtc';
}
