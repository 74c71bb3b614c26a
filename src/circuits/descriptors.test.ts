import { describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { signEd25519, verifyEd25519 } from '../crypto/signature.ts';
import { decodeDescriptor, descriptorSigningBytes, encodeDescriptor } from './descriptor-wire.ts';
import { checkDescriptor, DESCRIPTOR_LIFETIME_MS, MAX_CLOCK_SKEW_MS, MAX_DESCRIPTOR_LIFETIME_MS, rankDescriptors, signDescriptor } from './descriptors.ts';
import { lookupKeyOf } from './hidden-service.ts';
import { rng } from './test-support.ts';

const NOW = 1_000_000;
const seeder = rng(1)(32);
const impostor = rng(2)(32);
const lookup = lookupKeyOf(rng(3)(20));
const points = [rng(4)(32), rng(5)(32)];
const sign = (seed: Uint8Array, over: { lookup?: Uint8Array; issuedAt?: number; expiresAt?: number } = {}) =>
  signDescriptor(seed, {
    lookup: over.lookup ?? lookup,
    issuedAt: BigInt(over.issuedAt ?? NOW),
    expiresAt: BigInt(over.expiresAt ?? NOW + DESCRIPTOR_LIFETIME_MS),
    introPoints: points,
  });
const check = (bytes: Uint8Array, now = NOW) => checkDescriptor(bytes, lookup, now, verifyEd25519);

describe('checking hidden-service descriptors', () => {
  it('accepts a descriptor signed by its service key for the swarm asked about, while it holds', () => {
    const c = check(sign(seeder));
    expect(c.ok && c.descriptor.serviceKey).toEqual(publicKeyFromSeed(seeder));
  });

  it('drops a forged descriptor: a flipped bit anywhere signed, or another key posing as the service key', () => {
    const good = sign(seeder);
    // A relay on the lookup path swaps in its own introduction point.
    const d = decodeDescriptor(good);
    const swapped = encodeDescriptor({ ...d, introPoints: [rng(6)(32)] });
    expect(check(swapped)).toEqual({ ok: false, reason: 'forged' });
    // The impostor names the seeder's key but can only sign with its own.
    const posing = encodeDescriptor({ ...d, signature: signEd25519(impostor, descriptorSigningBytes(d)) });
    expect(check(posing)).toEqual({ ok: false, reason: 'forged' });
    const flipped = good.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(check(flipped)).toEqual({ ok: false, reason: 'forged' });
  });

  it('drops a descriptor for another swarm, an expired one, one from the future, one that claims too long a life, and junk', () => {
    expect(check(sign(seeder, { lookup: lookupKeyOf(rng(7)(20)) }))).toEqual({ ok: false, reason: 'other-swarm' });
    expect(check(sign(seeder), NOW + DESCRIPTOR_LIFETIME_MS)).toEqual({ ok: false, reason: 'expired' });
    expect(check(sign(seeder, { issuedAt: NOW + MAX_CLOCK_SKEW_MS + 1, expiresAt: NOW + 2 * MAX_CLOCK_SKEW_MS }))).toEqual({ ok: false, reason: 'not-yet-valid' });
    expect(check(sign(seeder, { expiresAt: NOW + MAX_DESCRIPTOR_LIFETIME_MS + 1 }))).toEqual({ ok: false, reason: 'too-long-lived' });
    expect(check(rng(8)(200))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('ranks the valid descriptors: forged ones dropped, one per key (its newest), the key that worked before first, then first seen', () => {
    const real = sign(seeder);
    const fake = sign(impostor);
    const forged = real.slice();
    forged[10]! ^= 1;
    const answers = [fake, forged, real, sign(seeder, { issuedAt: NOW + 1 }), rng(9)(50)];
    const ranked = rankDescriptors(answers, lookup, NOW, verifyEd25519);
    expect(ranked.map((d) => d.serviceKey)).toEqual([publicKeyFromSeed(impostor), publicKeyFromSeed(seeder)]);
    const trusted = rankDescriptors(answers, lookup, NOW, verifyEd25519, publicKeyFromSeed(seeder));
    expect(trusted.map((d) => d.serviceKey)).toEqual([publicKeyFromSeed(seeder), publicKeyFromSeed(impostor)]);
    expect(trusted[0]!.issuedAt).toBe(BigInt(NOW + 1)); // the newest of the seeder's
  });
});
