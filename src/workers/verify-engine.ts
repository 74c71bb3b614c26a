/**
 * Signature verification engines for batches, both under the Trustmesh rule
 * (src/crypto/signature.ts): native WebCrypto Ed25519 where the platform has
 * it (Chromium, Node), @noble/ed25519 otherwise. Runs in workers, tabs and Node.
 */
import { binaryKey, fromHex } from '../codec/bytes.ts';
import { checkSignatureInputs, verifyEd25519 } from '../crypto/signature.ts';

export interface VerifyItem {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

export interface VerifyEngine {
  readonly name: 'webcrypto' | 'noble';
  verifyMany(items: readonly VerifyItem[]): Promise<boolean[]>;
}

export const nobleEngine: VerifyEngine = {
  name: 'noble',
  async verifyMany(items) {
    return items.map((i) => verifyEd25519(i.signature, i.message, i.publicKey));
  },
};

/** Native verifications in flight per engine: enough to keep the browser's crypto thread busy. */
const IN_FLIGHT = 256;

/** Imported keys are reused: a batch usually holds few distinct owners. */
const KEY_CACHE_LIMIT = 2048;

export function webCryptoEngine(subtle: SubtleCrypto): VerifyEngine {
  const keys = new Map<string, Promise<CryptoKey>>();
  const importKey = (pk: Uint8Array): Promise<CryptoKey> => {
    const id = binaryKey(pk);
    let k = keys.get(id);
    if (k === undefined) {
      if (keys.size >= KEY_CACHE_LIMIT) keys.clear();
      k = subtle.importKey('raw', pk as BufferSource, { name: 'Ed25519' }, false, ['verify']);
      keys.set(id, k);
    }
    return k;
  };
  const verifyOne = async (i: VerifyItem): Promise<boolean> => {
    // The rule's key and scalar checks come first; the native equation is the cofactorless one.
    if (!checkSignatureInputs(i.signature, i.publicKey)) return false;
    try {
      return await subtle.verify({ name: 'Ed25519' }, await importKey(i.publicKey), i.signature as BufferSource, i.message as BufferSource);
    } catch {
      return false;
    }
  };
  return {
    name: 'webcrypto',
    async verifyMany(items) {
      // A bounded number in flight keeps the native queue busy without piling up promises.
      const results = new Array<boolean>(items.length);
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < items.length) {
          const i = next++;
          results[i] = await verifyOne(items[i]!);
        }
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, lane));
      return results;
    },
  };
}

// RFC 8032, section 7.1, TEST 2: a known-good signature to probe native support.
const PROBE = {
  publicKey: fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'),
  message: fromHex('72'),
  signature: fromHex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'),
};

/** Native WebCrypto Ed25519 if it works here, else noble. */
export async function bestEngine(subtle: SubtleCrypto | null = globalThis.crypto?.subtle ?? null): Promise<VerifyEngine> {
  if (subtle === null) return nobleEngine;
  try {
    const engine = webCryptoEngine(subtle);
    const [ok] = await engine.verifyMany([PROBE]);
    return ok === true ? engine : nobleEngine;
  } catch {
    return nobleEngine;
  }
}
