import { describe, expect, it } from 'vitest';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { fromHex } from '../codec/bytes.ts';
import { publicKeyFromSeed } from './ed25519.ts';
import { CURVE_ORDER, scalarIsCanonical, signEd25519, verifyEd25519 } from './signature.ts';

// RFC 8032 section 7.1, TEST 2.
const SEED = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
const PUB = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
const MSG = fromHex('72');
const SIG = fromHex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00');

function le(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

describe('Trustmesh signature rule', () => {
  it('checks S < L without BigInts, exactly at the boundary', () => {
    expect(scalarIsCanonical(le(0n))).toBe(true);
    expect(scalarIsCanonical(le(CURVE_ORDER - 1n))).toBe(true);
    expect(scalarIsCanonical(le(CURVE_ORDER))).toBe(false);
    expect(scalarIsCanonical(le(CURVE_ORDER + 1n))).toBe(false);
    expect(scalarIsCanonical(le(2n ** 256n - 1n))).toBe(false);
  });

  it('accepts the RFC 8032 test vector and signs it identically', () => {
    expect(publicKeyFromSeed(SEED)).toEqual(PUB);
    expect(signEd25519(SEED, MSG)).toEqual(SIG);
    expect(verifyEd25519(SIG, MSG, PUB)).toBe(true);
  });

  it('rejects a wrong message, key or flipped bit', () => {
    expect(verifyEd25519(SIG, fromHex('73'), PUB)).toBe(false);
    const other = publicKeyFromSeed(new Uint8Array(32).fill(7));
    expect(verifyEd25519(SIG, MSG, other)).toBe(false);
    const bad = SIG.slice();
    bad[5]! ^= 1;
    expect(verifyEd25519(bad, MSG, PUB)).toBe(false);
  });

  it('rejects a non-canonical S (S + L) that a lax verifier would accept', () => {
    const s = SIG.subarray(32);
    let n = 0n;
    for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(s[i]!);
    const malleated = new Uint8Array(64);
    malleated.set(SIG.subarray(0, 32));
    malleated.set(le(n + CURVE_ORDER), 32);
    expect(verifyEd25519(malleated, MSG, PUB)).toBe(false);
  });

  it('rejects small-order public keys even with a signature that satisfies the equation', () => {
    // The identity point (y = 1) is of small order; with R = identity and S = 0 the cofactorless equation holds.
    const identity = le(1n);
    const sig = new Uint8Array(64);
    sig.set(identity, 0);
    expect(verifyEd25519(sig, MSG, identity)).toBe(false);
  });

  it('rejects a non-canonical public key encoding (y >= p)', () => {
    const p = 2n ** 255n - 19n;
    const nonCanonical = le(p + 1n); // encodes y = 1 again, non-canonically
    expect(verifyEd25519(SIG, MSG, nonCanonical)).toBe(false);
  });

  it('rejects an R with a small-order component, which noble\'s cofactored strict mode accepts', () => {
    // Build a signature whose R is R0 + T, T of order 2 (the point (0, -1)): the cofactored
    // equation ignores T, the cofactorless one (ours, and WebCrypto's) does not.
    const seed = new Uint8Array(32).fill(9);
    const pub = publicKeyFromSeed(seed);
    const msg = new Uint8Array([1, 2, 3]);
    const T = ed.Point.fromBytes(le(2n ** 255n - 19n - 1n)); // y = -1: order 2
    const r0 = 12345n;
    const R = ed.Point.BASE.multiply(r0).add(T);
    const Rb = R.toBytes();
    const hk = sha512(new Uint8Array([...Rb, ...pub, ...msg]));
    let k = 0n;
    for (let i = 63; i >= 0; i--) k = (k << 8n) | BigInt(hk[i]!);
    k %= CURVE_ORDER;
    const a = ed.utils.getExtendedPublicKey(seed).scalar;
    const s = (r0 + k * a) % CURVE_ORDER;
    const sig = new Uint8Array([...Rb, ...le(s)]);
    expect(ed.verify(sig, msg, pub, { zip215: false })).toBe(true);
    expect(verifyEd25519(sig, msg, pub)).toBe(false);
  });
});
