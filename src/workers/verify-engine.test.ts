import { describe, expect, it } from 'vitest';
import { fromHex } from '../codec/bytes.ts';
import { EDGE_VECTORS } from '../crypto/ed25519-edge-vectors.ts';
import { signEd25519 } from '../crypto/signature.ts';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { bestEngine, nobleEngine, webCryptoEngine, type VerifyItem } from './verify-engine.ts';

const edgeItems: VerifyItem[] = EDGE_VECTORS.map((v) => ({ message: fromHex(v.message), publicKey: fromHex(v.publicKey), signature: fromHex(v.signature) }));

describe('verification engines', () => {
  it('noble gives the pinned verdict on every edge vector', async () => {
    expect(await nobleEngine.verifyMany(edgeItems)).toEqual(EDGE_VECTORS.map((v) => v.valid));
  });

  it('native WebCrypto (Node: OpenSSL) agrees with noble on every edge vector', async () => {
    const native = webCryptoEngine(globalThis.crypto.subtle);
    expect(await native.verifyMany(edgeItems)).toEqual(EDGE_VECTORS.map((v) => v.valid));
  });

  it('both accept good signatures and reject tampered ones', async () => {
    const seed = new Uint8Array(32).fill(3);
    const pk = publicKeyFromSeed(seed);
    const msg = new Uint8Array([1, 2, 3]);
    const sig = signEd25519(seed, msg);
    const bad = sig.slice();
    bad[0]! ^= 1;
    const items = [{ publicKey: pk, message: msg, signature: sig }, { publicKey: pk, message: msg, signature: bad }];
    for (const e of [nobleEngine, webCryptoEngine(globalThis.crypto.subtle)]) expect(await e.verifyMany(items)).toEqual([true, false]);
  });

  it('picks the native engine when it works, noble otherwise', async () => {
    expect((await bestEngine()).name).toBe('webcrypto');
    expect((await bestEngine(null)).name).toBe('noble');
    const broken = { importKey: () => Promise.reject(new Error('no Ed25519')) } as unknown as SubtleCrypto;
    expect((await bestEngine(broken)).name).toBe('noble');
  });
});
