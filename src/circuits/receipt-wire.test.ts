import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties, mutated } from '../codec/decoder-properties.ts';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { signEd25519, verifyEd25519 } from '../crypto/signature.ts';
import { decodeReceipt, encodeReceipt, RECEIPT_BYTES, RECEIPT_DOMAIN, receiptSigningBytes, signReceipt, type PaymentReceipt } from './receipt-wire.ts';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const receipts: fc.Arbitrary<PaymentReceipt> = fc.record({
  binding: bytes32,
  hop: bytes32,
  payer: bytes32,
  received: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
});

const seed = new Uint8Array(32).fill(3);
const hop = publicKeyFromSeed(seed);
const body = { binding: new Uint8Array(32).fill(1), hop, payer: new Uint8Array(32).fill(2), received: 12_345_678n };

describe('receipt wire format', () => {
  it('decodes random and mutated receipts or refuses them with DecodeError, and round-trips valid ones', () => {
    checkDecoderProperties({ decode: decodeReceipt, encode: encodeReceipt, values: receipts, maxRandomBytes: 2 * RECEIPT_BYTES });
  });

  it('a mutated signed receipt either fails to decode or fails its signature check', async () => {
    const signed = await signReceipt(body, async (m) => signEd25519(seed, m));
    fc.assert(
      fc.property(mutated(fc.constant(signed)), (bytes) => {
        let r: PaymentReceipt;
        try {
          r = decodeReceipt(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
          return;
        }
        const same = bytes.length === signed.length && bytes.every((b, i) => b === signed[i]);
        expect(verifyEd25519(r.signature, receiptSigningBytes(r), r.hop)).toBe(same);
      }),
      { numRuns: 300 },
    );
  });

  it('signs under its own domain, over every field', async () => {
    const r = decodeReceipt(await signReceipt(body, async (m) => signEd25519(seed, m)));
    expect(r).toMatchObject(body);
    expect(receiptSigningBytes(r).subarray(0, RECEIPT_DOMAIN.length)).toEqual(RECEIPT_DOMAIN);
    expect(new TextDecoder().decode(RECEIPT_DOMAIN)).toBe('trustmesh/circuits/receipt/1');
    expect(verifyEd25519(r.signature, receiptSigningBytes(r), hop)).toBe(true);
    for (const changed of [{ received: r.received + 1n }, { binding: new Uint8Array(32) }, { payer: new Uint8Array(32) }]) {
      expect(verifyEd25519(r.signature, receiptSigningBytes({ ...r, ...changed }), hop)).toBe(false);
    }
  });

  it('refuses another version, and receipts one byte short or long', async () => {
    const good = await signReceipt(body, async (m) => signEd25519(seed, m));
    const v2 = good.slice();
    v2[0] = 2;
    expect(() => decodeReceipt(v2)).toThrow(DecodeError);
    expect(() => decodeReceipt(good.subarray(1))).toThrow(DecodeError);
    expect(() => decodeReceipt(new Uint8Array([...good, 0]))).toThrow(DecodeError);
  });
});
