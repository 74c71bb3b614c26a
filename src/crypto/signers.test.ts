import { describe, expect, it } from 'vitest';
import { bestSigner, nobleSigner } from './signers.ts';
import { verifyEd25519 } from './signature.ts';

describe('signers', () => {
  it('native and noble produce the same signature', async () => {
    const seed = new Uint8Array(32).fill(5);
    const native = await bestSigner(seed);
    expect(native.engine).toBe('webcrypto');
    const msg = new Uint8Array([1, 2, 3, 4]);
    const sig = await native.sign(msg);
    expect(sig).toEqual(await nobleSigner(seed).sign(msg));
    expect(verifyEd25519(sig, msg, native.publicKey)).toBe(true);
  });

  it('falls back to noble without WebCrypto Ed25519', async () => {
    expect((await bestSigner(new Uint8Array(32), null)).engine).toBe('noble');
    const broken = { importKey: () => Promise.reject(new Error('unsupported')) } as unknown as SubtleCrypto;
    expect((await bestSigner(new Uint8Array(32), broken)).engine).toBe('noble');
  });
});
