import { describe, expect, it } from 'vitest';
import { gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../codec/bytes.ts';
import { bytesEqual } from '../codec/bytes.ts';
import { encodeCommand } from './cell-wire.ts';
import { clientStart, staticKeyFromSeed } from './handshake.ts';
import { openIntroduction, sealIntroduction } from './intro-seal.ts';
import { rng } from './test-support.ts';

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  for (let i = 0; i + needle.length <= haystack.length; i++) if (bytesEqual(haystack.subarray(i, i + needle.length), needle)) return true;
  return false;
}

describe('sealed introductions', () => {
  const service = staticKeyFromSeed(rng(1)(32));
  const offer = { cookie: rng(2)(20), rendezvous: rng(3)(32) };

  it('only the service opens the offer; the introduction point, which forwards the command, never sees the cookie or the rendezvous point', async () => {
    const x = clientStart(rng(4));
    const sealed = await sealIntroduction(x, service.publicKey, offer);
    expect(await openIntroduction(service, x.publicKey, sealed)).toEqual(offer);
    const onTheWire = encodeCommand({ command: 'introduce', service: rng(5)(32), X: x.publicKey, sealed });
    expect(contains(onTheWire, offer.cookie)).toBe(false);
    expect(contains(onTheWire, offer.rendezvous)).toBe(false);
    // Another key (an introduction point that kept the offer) cannot open it.
    expect(await openIntroduction(staticKeyFromSeed(rng(6)(32)), x.publicKey, sealed)).toBeUndefined();
  });

  it('an altered offer or another X does not open (no rendezvous point can be swapped in)', async () => {
    const x = clientStart(rng(7));
    const sealed = await sealIntroduction(x, service.publicKey, offer);
    for (let i = 0; i < sealed.length; i += 7) {
      const bent = sealed.slice();
      bent[i]! ^= 1;
      expect(await openIntroduction(service, x.publicKey, bent)).toBeUndefined();
    }
    expect(await openIntroduction(service, clientStart(rng(8)).publicKey, sealed)).toBeUndefined();
    expect(await openIntroduction(service, new Uint8Array(32), sealed)).toBeUndefined();
    expect(await openIntroduction(service, x.publicKey, sealed.subarray(1))).toBeUndefined();
  });

  it('seals the same bytes as the JavaScript AES-GCM the format was first written with (older peers open ours, and we theirs)', async () => {
    const x = clientStart(rng(9));
    const K = hkdf(sha256, x25519.getSharedSecret(x.secret, service.publicKey), concatBytes(x.publicKey, service.publicKey), utf8.encode('trustmesh introduction v1'), 32);
    const theirs = gcm(K, new Uint8Array(12)).encrypt(concatBytes(offer.cookie, offer.rendezvous));
    expect(await sealIntroduction(x, service.publicKey, offer)).toEqual(theirs);
    expect(await openIntroduction(service, x.publicKey, theirs)).toEqual(offer);
  });
});
