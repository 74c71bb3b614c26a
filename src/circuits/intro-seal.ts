/**
 * The sealed introduction (pure): what a downloader tells a hidden seeder
 * through an introduction point, readable only by the seeder. The
 * introduction point sees the service key (to route it) and the downloader's
 * ephemeral X; the rendezvous point and the cookie are sealed to the
 * service's X25519 key, so the introduction point cannot go to the
 * rendezvous point, or join it first.
 *
 *   K = HKDF-SHA256(X25519(x, B), salt = X | B, info = INTRO_DOMAIN), 32 bytes
 *   sealed = AES-256-GCM(K, nonce = 0, cookie | rendezvous point)
 *
 * K is fresh for each X (one key, one message, so the fixed nonce is never
 * reused under one key), and X is the ephemeral the seeder's ntor answer uses
 * too: a replayed introduction carries a known X, which the seeder's replay
 * cache refuses (intro-guard.ts).
 *
 * AES-GCM is WebCrypto's: a JavaScript AES builds its tables when its module loads, 50-70 ms of
 * every tab's start-up on this machine, for a message or two per hidden download.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../codec/bytes.ts';
import { COOKIE_BYTES, SEALED_INTRO_BYTES } from './cell-wire.ts';
import type { StaticKey } from './handshake.ts';

const INTRO_DOMAIN = new TextEncoder().encode('trustmesh introduction v1');
const NONCE = new Uint8Array(12);

function keyFor(shared: Uint8Array, X: Uint8Array, B: Uint8Array): Uint8Array {
  return hkdf(sha256, shared, concatBytes(X, B), INTRO_DOMAIN, 32);
}

async function aesGcm(subtle: SubtleCrypto, K: Uint8Array, direction: 'encrypt' | 'decrypt', data: Uint8Array): Promise<Uint8Array> {
  const key = await subtle.importKey('raw', K as BufferSource, { name: 'AES-GCM' }, false, [direction]);
  return new Uint8Array(await subtle[direction]({ name: 'AES-GCM', iv: NONCE }, key, data as BufferSource));
}

/** The downloader's side: seals the offer to the service's X25519 key `B` with its ephemeral `x`. */
export function sealIntroduction(ephemeral: StaticKey, B: Uint8Array, offer: { cookie: Uint8Array; rendezvous: Uint8Array }, subtle: SubtleCrypto = globalThis.crypto.subtle): Promise<Uint8Array> {
  const K = keyFor(x25519.getSharedSecret(ephemeral.secret, B), ephemeral.publicKey, B);
  return aesGcm(subtle, K, 'encrypt', concatBytes(offer.cookie, offer.rendezvous));
}

/** The seeder's side: the offer, or undefined when it was not sealed to this key or was altered. */
export async function openIntroduction(service: StaticKey, X: Uint8Array, sealed: Uint8Array, subtle: SubtleCrypto = globalThis.crypto.subtle): Promise<{ cookie: Uint8Array; rendezvous: Uint8Array } | undefined> {
  if (sealed.length !== SEALED_INTRO_BYTES) return undefined;
  try {
    const K = keyFor(x25519.getSharedSecret(service.secret, X), X, service.publicKey);
    const plain = await aesGcm(subtle, K, 'decrypt', sealed);
    return { cookie: plain.slice(0, COOKIE_BYTES), rendezvous: plain.slice(COOKIE_BYTES) };
  } catch {
    // A small-order X or a failed tag: not an introduction for us.
    return undefined;
  }
}
