/**
 * Per-hop key agreement, after Tor's ntor: the originator's ephemeral X25519
 * key meets the hop's ephemeral and its long-term key (the X25519 form of its
 * Ed25519 identity), so only the real holder of that identity can complete it,
 * and the session keys are forward secret. HMAC-SHA256 and HKDF-SHA256 from
 * @noble/hashes; the hop proves itself with `auth`.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../codec/bytes.ts';
import { x25519PublicKey } from '../crypto/x25519.ts';

const utf8Bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export const X25519_KEY_BYTES = 32;
export const AUTH_BYTES = 32;
/** AES-256-GCM key per direction plus a 4-byte nonce prefix per direction. */
const KEY_MATERIAL_BYTES = 32 + 32 + 4 + 4;

const PROTOCOL_ID = utf8Bytes('trustmesh-ntor-x25519-sha256-1');
const T_KEY = utf8Bytes('trustmesh-ntor-x25519-sha256-1:key_extract');
const T_VERIFY = utf8Bytes('trustmesh-ntor-x25519-sha256-1:verify');
const T_MAC = utf8Bytes('trustmesh-ntor-x25519-sha256-1:mac');
const M_EXPAND = utf8Bytes('trustmesh-ntor-x25519-sha256-1:key_expand');
const SERVER = utf8Bytes('Server');

export class HandshakeError extends Error {
  override name = 'HandshakeError';
}

/** Keys of one hop: forward is originator → hop, backward is hop → originator. */
export interface HopKeys {
  forwardKey: Uint8Array;
  backwardKey: Uint8Array;
  forwardNonce: Uint8Array;
  backwardNonce: Uint8Array;
}

export interface StaticKey {
  secret: Uint8Array;
  publicKey: Uint8Array;
}

/** A peer's long-term circuit key: the X25519 form of its Ed25519 identity seed. */
export function staticKeyFromSeed(seed: Uint8Array): StaticKey {
  const secret = ed25519.utils.toMontgomerySecret(seed);
  return { secret, publicKey: x25519PublicKey(secret) };
}

/** The X25519 public key a hop with this Ed25519 identity answers to. */
export function staticPublicKeyOf(ed25519PublicKey: Uint8Array): Uint8Array {
  try {
    return ed25519.utils.toMontgomery(ed25519PublicKey);
  } catch {
    throw new HandshakeError('that identity key is not a valid Ed25519 point');
  }
}

/** The originator's ephemeral key for one hop. */
export function clientStart(random: (n: number) => Uint8Array): StaticKey {
  const secret = random(X25519_KEY_BYTES);
  return { secret, publicKey: x25519PublicKey(secret) };
}

function dh(secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519.getSharedSecret(secret, publicKey);
  } catch {
    // An all-zero result: a small-order point was sent to force a known secret.
    throw new HandshakeError('the other side sent a key of small order');
  }
}

function derive(exp1: Uint8Array, exp2: Uint8Array, B: Uint8Array, X: Uint8Array, Y: Uint8Array): { keys: HopKeys; auth: Uint8Array } {
  const secretInput = concatBytes(exp1, exp2, B, X, Y, PROTOCOL_ID);
  const keySeed = hmac(sha256, T_KEY, secretInput);
  const verify = hmac(sha256, T_VERIFY, secretInput);
  const auth = hmac(sha256, T_MAC, concatBytes(verify, B, Y, X, PROTOCOL_ID, SERVER));
  const m = hkdf(sha256, keySeed, undefined, M_EXPAND, KEY_MATERIAL_BYTES);
  return {
    auth,
    keys: { forwardKey: m.slice(0, 32), backwardKey: m.slice(32, 64), forwardNonce: m.slice(64, 68), backwardNonce: m.slice(68, 72) },
  };
}

/** The hop's side: answers the originator's X with its ephemeral Y and proof of its static key. */
export function serverRespond(own: StaticKey, X: Uint8Array, random: (n: number) => Uint8Array): { Y: Uint8Array; auth: Uint8Array; keys: HopKeys } {
  if (X.length !== X25519_KEY_BYTES) throw new HandshakeError('a handshake key is 32 bytes');
  const y = clientStart(random);
  const { keys, auth } = derive(dh(y.secret, X), dh(own.secret, X), own.publicKey, X, y.publicKey);
  return { Y: y.publicKey, auth, keys };
}

/** The originator's side: checks the hop's proof and derives the same keys. */
export function clientFinish(ephemeral: StaticKey, hopStatic: Uint8Array, Y: Uint8Array, auth: Uint8Array): HopKeys {
  if (Y.length !== X25519_KEY_BYTES || auth.length !== AUTH_BYTES) throw new HandshakeError('malformed handshake answer');
  const got = derive(dh(ephemeral.secret, Y), dh(ephemeral.secret, hopStatic), hopStatic, ephemeral.publicKey, Y);
  let diff = 0;
  for (let i = 0; i < AUTH_BYTES; i++) diff |= got.auth[i]! ^ auth[i]!;
  if (diff !== 0) throw new HandshakeError('the hop could not prove it holds the identity we chose');
  return got.keys;
}
