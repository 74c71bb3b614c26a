/**
 * The one Ed25519 signature rule of Trustmesh, used for every signed byte:
 * strict RFC 8032, cofactorless.
 *
 *   - the signature is 64 bytes and its scalar S is canonical (S < L);
 *   - the public key A is a canonical encoding (y < p) of a point that is not of small order;
 *   - R must equal, byte for byte, the canonical encoding of [S]B - [k]A, k = SHA-512(R || A || M) mod L.
 *
 * This is what BoringSSL (Chromium's native WebCrypto Ed25519) computes, once
 * the key checks above are applied first; @noble/ed25519's own strict mode is
 * cofactored and would accept R with a small-order component that WebCrypto
 * rejects. Every engine goes through `checkSignatureInputs` + an equivalent
 * equation, so a block is valid or invalid the same way on every peer.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { binaryKey, bytesEqual, concatBytes } from '../codec/bytes.ts';
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from './ed25519.ts';

ed.hashes.sha512 = sha512;

/** Order of the Ed25519 prime-order subgroup. */
export const CURVE_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

function scalarFromLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0);
  return n;
}

/** Public keys repeat (chain owners), so their decoding and small-order check are cached. */
const KEY_CACHE_LIMIT = 4096;
const keyCache = new Map<string, ed.Point | null>();

function keyCacheId(publicKey: Uint8Array): string {
  return binaryKey(publicKey);
}

/** The strictly decoded public key, or null when the rule forbids it. */
export function decodePublicKeyStrict(publicKey: Uint8Array): ed.Point | null {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) return null;
  const id = keyCacheId(publicKey);
  const cached = keyCache.get(id);
  if (cached !== undefined) return cached;
  let point: ed.Point | null;
  try {
    const p = ed.Point.fromBytes(publicKey, false);
    point = p.isSmallOrder() ? null : p;
  } catch {
    point = null;
  }
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(id, point);
  return point;
}

/** L in little-endian bytes, for a BigInt-free S < L check on the hot path. */
const ORDER_LE = Uint8Array.from({ length: 32 }, (_, i) => Number((CURVE_ORDER >> BigInt(8 * i)) & 0xffn));

/** S (32 bytes, little-endian) < L. */
export function scalarIsCanonical(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! !== ORDER_LE[i]!) return s[i]! < ORDER_LE[i]!;
  }
  return false;
}

/**
 * The checks every engine applies before its equation: lengths, S < L, and
 * a canonical public key that is not of small order.
 */
export function checkSignatureInputs(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  if (!scalarIsCanonical(signature.subarray(32))) return false;
  return decodePublicKeyStrict(publicKey) !== null;
}

/** Verifies under the Trustmesh rule with @noble/ed25519 (synchronous; Node, tabs and workers). */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!checkSignatureInputs(signature, publicKey)) return false;
  const A = decodePublicKeyStrict(publicKey)!;
  const r = signature.subarray(0, 32);
  const s = scalarFromLE(signature.subarray(32));
  const k = scalarFromLE(sha512(concatBytes(r, publicKey, message))) % CURVE_ORDER;
  const sB = s === 0n ? ed.Point.ZERO : ed.Point.BASE.multiply(s, false);
  const kA = k === 0n ? ed.Point.ZERO : A.multiply(k, false);
  return bytesEqual(sB.subtract(kA).toBytes(), r);
}

/** Signs with a 32-byte seed (RFC 8032 deterministic signatures always satisfy the rule). */
export function signEd25519(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}
