import { describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from './ed25519.ts';
import { derivePublicKey, nativeEd25519Agrees, nativeKey } from './native-ed25519.ts';
import { bestSigner } from './signers.ts';
import { verifyEd25519 } from './signature.ts';

const real = globalThis.crypto.subtle;

/** WebCrypto with one operation bent: an engine that misbehaves in a way a test names. */
function bent(overrides: Partial<Record<'exportKey' | 'sign', (...args: any[]) => Promise<unknown>>>): SubtleCrypto {
  return {
    importKey: real.importKey.bind(real),
    exportKey: overrides.exportKey ?? real.exportKey.bind(real),
    sign: overrides.sign ?? real.sign.bind(real),
  } as unknown as SubtleCrypto;
}

describe('native Ed25519 for our own key', () => {
  it('derives the public key JavaScript derives, for many seeds', async () => {
    for (let i = 0; i < 16; i++) {
      const seed = new Uint8Array(32).map((_, j) => (i * 31 + j * 7) & 0xff);
      expect(await derivePublicKey(seed, real)).toEqual(publicKeyFromSeed(seed));
    }
  });

  it('passes RFC 8032 test 1 here, and signs what verifies under the rule', async () => {
    expect(await nativeEd25519Agrees(real)).toBe(true);
    const seed = new Uint8Array(32).fill(9);
    const key = (await nativeKey(seed, real))!;
    const msg = new Uint8Array([1, 2, 3]);
    expect(verifyEd25519(await key.sign(msg), msg, publicKeyFromSeed(seed))).toBe(true);
  });

  it('is not trusted when it derives another public key: the key comes from JavaScript', async () => {
    const wrongKey = bent({ exportKey: async (...args) => ({ ...(await real.exportKey(args[0], args[1])), x: 'A'.repeat(43) }) });
    expect(await nativeEd25519Agrees(wrongKey)).toBe(false);
    const seed = new Uint8Array(32).fill(3);
    expect(await derivePublicKey(seed, wrongKey)).toEqual(publicKeyFromSeed(seed));
    expect((await bestSigner(seed, wrongKey)).engine).toBe('noble');
  });

  it('is not trusted when its signatures differ from the known answer', async () => {
    const wrongSignature = bent({ sign: async () => new Uint8Array(64).buffer });
    expect(await nativeEd25519Agrees(wrongSignature)).toBe(false);
    expect(await nativeKey(new Uint8Array(32), wrongSignature)).toBeNull();
    expect((await bestSigner(new Uint8Array(32), wrongSignature)).engine).toBe('noble');
  });

  it('refuses a seed of the wrong length either way', async () => {
    await expect(derivePublicKey(new Uint8Array(31), real)).rejects.toThrow(RangeError);
    await expect(derivePublicKey(new Uint8Array(31), null)).rejects.toThrow(RangeError);
  });
});
