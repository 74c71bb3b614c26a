import { describe, expect, it } from 'vitest';
import { webcrypto } from 'node:crypto';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { clientFinish, clientStart, HandshakeError, serverRespond, staticKeyFromSeed, staticPublicKeyOf } from './handshake.ts';
import { DELIVER, FORWARD, LAYER_OVERHEAD, LayerCipher } from './layer.ts';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const random = (n: number) => webcrypto.getRandomValues(new Uint8Array(n));
const seed = new Uint8Array(32).fill(9);

describe('ntor-style hop handshake', () => {
  it('gives both sides the same keys, bound to the hop identity', () => {
    const hop = staticKeyFromSeed(seed);
    expect(staticPublicKeyOf(publicKeyFromSeed(seed))).toEqual(hop.publicKey);
    const eph = clientStart(random);
    const answer = serverRespond(hop, eph.publicKey, random);
    expect(clientFinish(eph, hop.publicKey, answer.Y, answer.auth)).toEqual(answer.keys);
    expect(answer.keys.forwardKey).not.toEqual(answer.keys.backwardKey);
  });

  it('fails when the answer comes from another identity, or was tampered with', () => {
    const eph = clientStart(random);
    const impostor = serverRespond(staticKeyFromSeed(new Uint8Array(32).fill(8)), eph.publicKey, random);
    expect(() => clientFinish(eph, staticKeyFromSeed(seed).publicKey, impostor.Y, impostor.auth)).toThrow(HandshakeError);
    const real = serverRespond(staticKeyFromSeed(seed), eph.publicKey, random);
    const auth = real.auth.slice();
    auth[0]! ^= 1;
    expect(() => clientFinish(eph, staticKeyFromSeed(seed).publicKey, real.Y, auth)).toThrow(HandshakeError);
  });

  it('refuses small-order keys that would force a known secret', () => {
    expect(() => serverRespond(staticKeyFromSeed(seed), new Uint8Array(32), random)).toThrow(HandshakeError);
    expect(() => serverRespond(staticKeyFromSeed(seed), new Uint8Array(31), random)).toThrow(HandshakeError);
  });
});

describe('onion layer', () => {
  async function pair() {
    const key = random(32);
    const prefix = random(4);
    return [await LayerCipher.create(subtle, key, prefix), await LayerCipher.create(subtle, key, prefix)] as const;
  }

  it('opens cells in order; a replayed, reordered or corrupted cell is refused and changes nothing', async () => {
    const [tx, rx] = await pair();
    const c1 = await tx.seal(DELIVER, new Uint8Array([1]));
    const c2 = await tx.seal(FORWARD, new Uint8Array([2]));
    expect(c1.length).toBe(1 + LAYER_OVERHEAD);
    expect(await rx.open(c2)).toBeUndefined(); // out of order
    expect(await rx.open(c1)).toMatchObject({ kind: DELIVER, body: new Uint8Array([1]) });
    expect(await rx.open(c1)).toBeUndefined(); // replay
    const bad = c2.slice();
    bad[0]! ^= 0x80;
    expect(await rx.open(bad)).toBeUndefined();
    expect(await rx.open(new Uint8Array(3))).toBeUndefined();
    expect(await rx.open(c2)).toMatchObject({ kind: FORWARD, body: new Uint8Array([2]) });
  });

  it('never reuses a nonce: equal plaintexts seal differently', async () => {
    const [tx] = await pair();
    const a = await tx.seal(DELIVER, new Uint8Array(16));
    const b = await tx.seal(DELIVER, new Uint8Array(16));
    expect(a).not.toEqual(b);
  });
});
