/**
 * Peer exchange wire format (/trustmesh/pex/1.0.0). The dialer opens a stream;
 * the listener writes one frame and closes:
 *
 *   count u8 (<= MAX_PEX_PEERS)
 *   count x { peerId: u8 length + UTF-8 (<= 128), addrCount u8 (<= MAX_PEX_ADDRS),
 *             addrCount x { u8 length + multiaddr bytes (<= 255) } }
 */
import { BinaryReader, BinaryWriter } from '../../codec/binary.ts';

/** Enough to reach the whole neighbourhood in one hop; small enough to bound work per frame. */
export const MAX_PEX_PEERS = 32;
/** A browser peer has one circuit/webrtc address per relay it holds a reservation on. */
export const MAX_PEX_ADDRS = 8;
/** A base58 PeerId is 52 characters; 128 leaves room for other key types. */
export const MAX_PEER_ID_BYTES = 128;
/** Binary circuit multiaddrs are ~100 bytes. */
export const MAX_ADDR_BYTES = 255;
/** Upper bound of a well-formed frame, enforced by the stream reader before decoding. */
export const MAX_PEX_FRAME_BYTES = 1 + MAX_PEX_PEERS * (1 + MAX_PEER_ID_BYTES + 1 + MAX_PEX_ADDRS * (1 + MAX_ADDR_BYTES));

export interface PexEntry {
  peerId: string;
  addrs: Uint8Array[];
}

export function encodePexResponse(entries: readonly PexEntry[]): Uint8Array {
  const w = new BinaryWriter();
  const list = entries.slice(0, MAX_PEX_PEERS);
  w.count(list.length, MAX_PEX_PEERS);
  for (const e of list) {
    w.string(e.peerId, MAX_PEER_ID_BYTES);
    const addrs = e.addrs.filter((a) => a.length <= MAX_ADDR_BYTES).slice(0, MAX_PEX_ADDRS);
    w.count(addrs.length, MAX_PEX_ADDRS);
    for (const a of addrs) w.bytes(a, MAX_ADDR_BYTES);
  }
  return w.finish();
}

export function decodePexResponse(bytes: Uint8Array): PexEntry[] {
  const r = new BinaryReader(bytes);
  const count = r.count(MAX_PEX_PEERS, 'pex peers');
  const entries: PexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const peerId = r.string(MAX_PEER_ID_BYTES, 'peer id');
    const addrCount = r.count(MAX_PEX_ADDRS, 'pex addresses');
    const addrs: Uint8Array[] = [];
    for (let j = 0; j < addrCount; j++) addrs.push(r.bytes(MAX_ADDR_BYTES, 'multiaddr'));
    entries.push({ peerId, addrs });
  }
  r.end('pex response');
  return entries;
}
