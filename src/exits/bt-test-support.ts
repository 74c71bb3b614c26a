/** BitTorrent wire bytes for tests (test support, used only by *.test.ts). */
import { concatBytes, utf8 } from '../codec/bytes.ts';

/** A BEP 3 handshake announcing BEP 10 (as WebTorrent sends it). */
export function btHandshake(peerId: Uint8Array, infoHash = new Uint8Array(20).fill(7)): Uint8Array {
  const reserved = new Uint8Array(8);
  reserved[5] = 0x10;
  return concatBytes(utf8.encode('\x13BitTorrent protocol'), reserved, infoHash, peerId);
}
export function btMessage(id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(0, 1 + payload.length);
  out[4] = id;
  out.set(payload, 5);
  return out;
}
export const KEEP_ALIVE = new Uint8Array(4);

/** Cuts `bytes` at the given offsets (taken modulo its length). */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let last = 0;
  for (const c of [...at, bytes.length]) {
    parts.push(bytes.subarray(last, c));
    last = c;
  }
  return parts;
}

