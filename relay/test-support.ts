/**
 * Support for relay tests and the relay load bench (never imported by the relay):
 * circuit relay v2 hop messages written by hand, so one peer can repeat a
 * RESERVE as often as it likes, as an attacker would.
 */
import type { Libp2p } from 'libp2p';
import type { Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2';

/** Status codes of the circuit relay v2 spec (HopMessage.status). */
export const HOP_STATUS = { OK: 100, RESERVATION_REFUSED: 200, PERMISSION_DENIED: 202 } as const;

function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = at; i < bytes.length; i++) {
    value += (bytes[i]! & 0x7f) * 2 ** shift;
    if ((bytes[i]! & 0x80) === 0) return [value, i + 1];
    shift += 7;
  }
  throw new RangeError('truncated varint');
}

/** The status field (5) of a length-prefixed HopMessage, or undefined while it is incomplete. */
export function hopStatus(bytes: Uint8Array): number | undefined {
  try {
    const [length, start] = readVarint(bytes, 0);
    if (bytes.length < start + length) return undefined;
    for (let at = start; at < start + length;) {
      const [tag, next] = readVarint(bytes, at);
      if ((tag & 7) === 0) {
        const [value, after] = readVarint(bytes, next);
        if (tag >> 3 === 5) return value;
        at = after;
      } else {
        const [len, after] = readVarint(bytes, next);
        at = after + len;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Sends RESERVE (a HopMessage of type 0: length 2, field 1 = 0) on a fresh hop stream; resolves with the relay's status. */
export async function reserve(node: Libp2p, relayAddr: Multiaddr): Promise<number> {
  const stream: Stream = await node.dialProtocol(relayAddr, RELAY_V2_HOP_CODEC);
  stream.send(Uint8Array.from([2, 0x08, 0x00]));
  let received = new Uint8Array(0);
  for await (const chunk of stream) {
    const next = new Uint8Array(received.length + chunk.byteLength);
    next.set(received);
    next.set(chunk.subarray(), received.length);
    received = next;
    const status = hopStatus(received);
    if (status !== undefined) {
      stream.abort(new Error('status read'));
      return status;
    }
  }
  throw new Error('the relay closed the hop stream without a status');
}
