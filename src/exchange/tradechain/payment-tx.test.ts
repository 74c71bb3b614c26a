import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../codec/binary.ts';
import { checkDecoderProperties } from '../../codec/decoder-properties.ts';
import { MAX_INSTALLMENTS } from '../constants.ts';
import { tradePaymentType, type TradePaymentTx } from './payment-tx.ts';
import { arbitraryTradePayment } from './test-arbitraries.ts';

const alice = new Uint8Array(32).fill(1);
const bob = new Uint8Array(32).fill(2);
const block = { publicKey: alice, linkPublicKey: bob } as never;
const ether: TradePaymentTx = { tradeId: new Uint8Array(16).fill(5), payer: 'bid', asset: 'ETH', amount: 10n ** 19n * 3n, index: 1, reference: { kind: 'ether-tx', txHash: new Uint8Array(32).fill(7) } };
const tokens: TradePaymentTx = { tradeId: ether.tradeId, payer: 'ask', asset: 'MBT', amount: 1n << 20n, index: 0, reference: { kind: 'token-transfer', publicKey: alice, sequenceNumber: 12 } };

describe('trade-payment transactions', () => {
  it('round-trip and refuse random or mutated bytes with DecodeError', () => {
    checkDecoderProperties({ decode: tradePaymentType.decode, encode: tradePaymentType.encode, values: arbitraryTradePayment, maxRandomBytes: 120 });
  });

  it('carry amounts beyond u64 (Ether in wei)', () => {
    expect(tradePaymentType.decode(tradePaymentType.encode(ether))).toEqual(ether);
    expect(tradePaymentType.decode(tradePaymentType.encode(tokens))).toEqual(tokens);
  });

  it('refuse unknown sides, reference kinds and transfer position 0', () => {
    const bytes = tradePaymentType.encode(tokens);
    const badSide = bytes.slice();
    badSide[16] = 2;
    expect(() => tradePaymentType.decode(badSide)).toThrow(/payer side/);
    const kindAt = bytes.length - 37;
    const badKind = bytes.slice();
    badKind[kindAt] = 2;
    expect(() => tradePaymentType.decode(badKind)).toThrow(/reference kind/);
    const seqZero = bytes.slice();
    seqZero.fill(0, bytes.length - 4);
    expect(() => tradePaymentType.decode(seqZero)).toThrow(DecodeError);
  });

  it('pay something, name the right kind of proof, and a transfer in one of the two chains', () => {
    expect(tradePaymentType.check(ether, block)).toEqual([]);
    expect(tradePaymentType.check(tokens, block)).toEqual([]);
    expect(tradePaymentType.check({ ...ether, amount: 0n }, block)[0]).toContain('pay something');
    expect(tradePaymentType.check({ ...ether, reference: tokens.reference }, block)[0]).toContain('Ethereum transaction');
    expect(tradePaymentType.check({ ...tokens, reference: ether.reference }, block)[0]).toContain('transfer block');
    expect(tradePaymentType.check({ ...tokens, reference: { kind: 'token-transfer', publicKey: new Uint8Array(32).fill(3), sequenceNumber: 1 } }, block)[0]).toContain('either trader');
    expect(tradePaymentType.check({ ...tokens, index: 2 * MAX_INSTALLMENTS - 1 }, block)).toEqual([]);
    expect(tradePaymentType.check({ ...tokens, index: 2 * MAX_INSTALLMENTS }, block)[0]).toContain('payment index');
  });

  it('are countersigned as an identical copy (the receiver\'s receipt)', () => {
    expect(tradePaymentType.checkAgreement!(ether, ether)).toEqual([]);
    expect(tradePaymentType.checkAgreement!({ ...ether, amount: 1n }, ether)).toHaveLength(1);
  });
});
