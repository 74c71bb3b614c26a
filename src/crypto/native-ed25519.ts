/**
 * Native Ed25519 (WebCrypto) for our own key: deriving its public key and signing. A JavaScript
 * derivation costs its first use a table of base-point multiples (@noble/ed25519 builds it lazily:
 * 200-300 ms of main thread and garbage on a start-up measured on this machine), and a tab needs its
 * public key before it can start anything. The engine is trusted only once it gives RFC 8032's known
 * answer, byte for byte; otherwise callers use @noble/ed25519.
 */
import { bytesEqual, concatBytes, fromBase64Url, fromHex } from '../codec/bytes.ts';
import { PUBLIC_KEY_LENGTH, publicKeyFromSeed } from './ed25519.ts';

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = fromHex('302e020100300506032b657004220420');

/** RFC 8032 §7.1, TEST 1: the secret key, its public key and the signature of the empty message. */
const KNOWN_ANSWER = {
  seed: fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
  publicKey: fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
  signature: fromHex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
};

export interface NativeKey {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** The seed's key in `subtle`, or null when the engine lacks Ed25519 or misbehaves. */
async function importSeed(subtle: SubtleCrypto, seed: Uint8Array): Promise<NativeKey | null> {
  try {
    const pkcs8 = concatBytes(PKCS8_ED25519_PREFIX, seed) as BufferSource;
    // Extractable only to read the public key out (JWK `x`); the signing key is not.
    const readable = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
    const jwk = await subtle.exportKey('jwk', readable);
    const publicKey = fromBase64Url(jwk.x ?? '');
    if (publicKey.length !== PUBLIC_KEY_LENGTH) return null;
    const key = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
    return { publicKey, sign: async (m) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, m as BufferSource)) };
  } catch {
    return null;
  }
}

const verdicts = new WeakMap<SubtleCrypto, Promise<boolean>>();

/** Whether `subtle` derives and signs exactly as RFC 8032 says (asked once per engine). */
export function nativeEd25519Agrees(subtle: SubtleCrypto): Promise<boolean> {
  let verdict = verdicts.get(subtle);
  if (verdict === undefined) {
    verdict = (async () => {
      const key = await importSeed(subtle, KNOWN_ANSWER.seed);
      if (key === null || !bytesEqual(key.publicKey, KNOWN_ANSWER.publicKey)) return false;
      try {
        return bytesEqual(await key.sign(new Uint8Array(0)), KNOWN_ANSWER.signature);
      } catch {
        return false;
      }
    })();
    verdicts.set(subtle, verdict);
  }
  return verdict;
}

/** Our key in a native engine that passed the known answer, or null (use @noble/ed25519 then). */
export async function nativeKey(seed: Uint8Array, subtle: SubtleCrypto | null = globalThis.crypto?.subtle ?? null): Promise<NativeKey | null> {
  if (subtle === null || !(await nativeEd25519Agrees(subtle))) return null;
  return importSeed(subtle, seed);
}

/** The public key of a seed: natively when the engine agrees, else in JavaScript. */
export async function derivePublicKey(seed: Uint8Array, subtle: SubtleCrypto | null = globalThis.crypto?.subtle ?? null): Promise<Uint8Array> {
  return (await nativeKey(seed, subtle))?.publicKey ?? publicKeyFromSeed(seed);
}
