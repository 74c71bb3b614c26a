/**
 * X25519 public keys by the Montgomery ladder. @noble/curves makes them from
 * the Edwards base point instead, whose table of multiples it builds at the
 * first call: 70–100 ms of a tab's main thread, and its garbage, during
 * start-up (the relay's Noise handshake, the circuit key). The ladder takes a
 * few ms a key and builds nothing; keys are made a few times a minute.
 */
import { x25519 } from '@noble/curves/ed25519.js';

/** The public key of an X25519 secret (clamped as RFC 7748 says), from the base point's u-coordinate. */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return x25519.scalarMult(secretKey, x25519.GuBytes);
}
