import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { x25519 } from '@noble/curves/ed25519.js';
import { fromHex } from '../codec/bytes.ts';
import { x25519PublicKey } from './x25519.ts';

describe('x25519PublicKey', () => {
  it('makes the public keys of RFC 7748 section 6.1', () => {
    expect(x25519PublicKey(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'))).toEqual(fromHex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'));
    expect(x25519PublicKey(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'))).toEqual(fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'));
  });

  it('gives the key the base-point table gives, for any secret', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => {
        expect(x25519PublicKey(secret)).toEqual(x25519.getPublicKey(secret));
      }),
      { numRuns: 30 },
    );
  });
});
