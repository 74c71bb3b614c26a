/**
 * Signing with a profile's key: native WebCrypto Ed25519 where available
 * (several times faster than JavaScript), @noble/ed25519 otherwise. Ed25519
 * signatures are deterministic, so both produce identical bytes; the native
 * engine is used only once it gives RFC 8032's known answer (native-ed25519.ts).
 */
import { publicKeyFromSeed } from './ed25519.ts';
import { nativeKey } from './native-ed25519.ts';
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

export async function bestSigner(seed: Uint8Array, subtle: SubtleCrypto | null = globalThis.crypto?.subtle ?? null): Promise<MessageSigner> {
  const native = await nativeKey(seed, subtle);
  if (native === null) return nobleSigner(seed);
  return { publicKey: native.publicKey, engine: 'webcrypto', sign: native.sign };
}
