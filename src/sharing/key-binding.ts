/**
 * Which key a BitTorrent connection speaks for. Pure.
 *
 * The first extended handshake fixes it for the life of the connection: a key
 * (proven next with identity-proof.ts) or none (a stock client). A repeat that
 * names the same is ignored; one that names another key, or drops or adds the
 * key, would let a peer prove a poor key and then be ranked as a rich one, or
 * shed a fraud flag, so the connection is closed.
 */
import { bytesEqual } from '../codec/bytes.ts';

/** undefined: no extended handshake yet; null: one without our extension (a stock client). */
export type BoundKey = Uint8Array | null | undefined;

export type HandshakeVerdict = 'first' | 'repeat' | 'switch';

export function handshakeVerdict(bound: BoundKey, announced: Uint8Array | null): HandshakeVerdict {
  if (bound === undefined) return 'first';
  if (bound === null || announced === null) return bound === announced ? 'repeat' : 'switch';
  return bytesEqual(bound, announced) ? 'repeat' : 'switch';
}
