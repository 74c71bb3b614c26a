/**
 * Ed25519 keys with @noble/ed25519 (synchronous SHA-512 from @noble/hashes), so
 * key derivation works the same in Node tests, tabs and workers.
 */
import * as ed from '@noble/ed25519';
import { sha512, sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/bytes.ts';

ed.hashes.sha512 = sha512;

export const SEED_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  if (seed.length !== SEED_LENGTH) throw new RangeError(`an Ed25519 seed is ${SEED_LENGTH} bytes`);
  return ed.getPublicKey(seed);
}

/**
 * A short, human-comparable name for a public key: 16 hex digits of its
 * SHA-256 in four groups. Not a security boundary; the full key is.
 */
export function fingerprint(publicKey: Uint8Array): string {
  const hex = toHex(sha256(publicKey).subarray(0, 8));
  return hex.match(/.{4}/g)!.join('-');
}
