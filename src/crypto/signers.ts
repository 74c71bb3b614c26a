/**
 * Signing with a profile's key: native WebCrypto Ed25519 where available
 * (several times faster than JavaScript), @noble/ed25519 otherwise. Ed25519
 * signatures are deterministic, so both produce identical bytes; the native
 * signer is checked against noble once before use.
 */
import { bytesEqual, concatBytes, fromHex } from '../codec/bytes.ts';
import { publicKeyFromSeed } from './ed25519.ts';
import { signEd25519 } from './signature.ts';

export interface MessageSigner {
  readonly publicKey: Uint8Array;
  readonly engine: 'webcrypto' | 'noble';
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export function nobleSigner(seed: Uint8Array): MessageSigner {
  const publicKey = publicKeyFromSeed(seed);
  return { publicKey, engine: 'noble', sign: async (m) => signEd25519(seed, m) };
}

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = fromHex('302e020100300506032b657004220420');

export async function bestSigner(seed: Uint8Array, subtle: SubtleCrypto | null = globalThis.crypto?.subtle ?? null): Promise<MessageSigner> {
  const fallback = nobleSigner(seed);
  if (subtle === null) return fallback;
  try {
    const key = await subtle.importKey('pkcs8', concatBytes(PKCS8_ED25519_PREFIX, seed) as BufferSource, { name: 'Ed25519' }, false, ['sign']);
    const sign = async (m: Uint8Array): Promise<Uint8Array> => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, m as BufferSource));
    const probe = new Uint8Array([0x74, 0x6d]);
    if (!bytesEqual(await sign(probe), await fallback.sign(probe))) return fallback;
    return { publicKey: fallback.publicKey, engine: 'webcrypto', sign };
  } catch {
    return fallback;
  }
}
