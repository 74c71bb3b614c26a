/**
 * Proof that a BitTorrent peer owns the Ed25519 key it announced, bound to this
 * connection: a signature over a domain tag, the infohash, both peer ids and
 * the nonce the other side chose, so it can be neither replayed on another
 * connection nor reflected back. Pure.
 */
import { concatBytes, fromHex, utf8 } from '../codec/bytes.ts';
import { verifyEd25519 } from '../crypto/signature.ts';

const DOMAIN = utf8.encode('trustmesh/bt-identity/1\n');

/** What the prover signs. Peer ids and the infohash are the wire's hex strings. */
export function identityChallenge(infoHashHex: string, proverPeerIdHex: string, verifierPeerIdHex: string, verifierNonce: Uint8Array): Uint8Array {
  return concatBytes(DOMAIN, fromHex(infoHashHex), fromHex(proverPeerIdHex), fromHex(verifierPeerIdHex), verifierNonce);
}

export function verifyIdentityProof(signature: Uint8Array, publicKey: Uint8Array, infoHashHex: string, proverPeerIdHex: string, verifierPeerIdHex: string, verifierNonce: Uint8Array): boolean {
  try {
    return verifyEd25519(signature, identityChallenge(infoHashHex, proverPeerIdHex, verifierPeerIdHex, verifierNonce), publicKey);
  } catch {
    return false;
  }
}
