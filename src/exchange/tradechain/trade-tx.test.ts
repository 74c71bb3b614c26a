import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../codec/binary.ts';
import { checkDecoderProperties } from '../../codec/decoder-properties.ts';
import { MBT_ETH } from '../constants.ts';
import { arbitraryTradeDone, arbitraryTradeInit } from './test-arbitraries.ts';
import { tradeDoneType, tradeInitType, type TradeDoneTx, type TradeInitTx } from './trade-tx.ts';

const alice = new Uint8Array(32).fill(1);
const bob = new Uint8Array(32).fill(2);
const carol = new Uint8Array(32).fill(3);
const init: TradeInitTx = { tradeId: new Uint8Array(16).fill(9), ask: { trader: alice, orderNumber: 1 }, bid: { trader: bob, orderNumber: 7 }, pair: MBT_ETH, quantity: 4n << 20n, price: 1000n, quoteAmount: 4000n, installmentBytes: 1n << 20n, quoteAddress: new Uint8Array(20).fill(7) };
const done: TradeDoneTx = { tradeId: init.tradeId, ask: init.ask, bid: init.bid, outcome: 'completed', baseTransferred: init.quantity, quoteTransferred: 4000n, defaulter: 'none', reason: '' };
const aliceToBob = { publicKey: alice, linkPublicKey: bob } as never;
const bobToAlice = { publicKey: bob, linkPublicKey: alice } as never;

describe('trade-init transactions', () => {
  it('round-trip and refuse random or mutated bytes with DecodeError', () => {
    checkDecoderProperties({ decode: tradeInitType.decode, encode: tradeInitType.encode, values: arbitraryTradeInit, maxRandomBytes: 160 });
    expect(() => tradeInitType.decode(tradeInitType.encode(init).subarray(1))).toThrow(DecodeError);
  });

  it('are between the two traders of the orders, either way round', () => {
    expect(tradeInitType.check(init, aliceToBob)).toEqual([]);
    expect(tradeInitType.check(init, bobToAlice)).toEqual([]);
    expect(tradeInitType.check(init, { publicKey: alice, linkPublicKey: carol } as never)[0]).toContain('not between the two traders');
    expect(tradeInitType.check({ ...init, bid: { trader: alice, orderNumber: 2 } }, aliceToBob)[0]).toContain('itself');
  });

  it('bound quantity, price and installments, and record the exact cost', () => {
    expect(tradeInitType.check({ ...init, quantity: 0n, quoteAmount: 0n }, aliceToBob)[0]).toContain('quantity');
    expect(tradeInitType.check({ ...init, price: 0n, quoteAmount: 0n }, aliceToBob)[0]).toContain('price');
    expect(tradeInitType.check({ ...init, quoteAmount: 4001n }, aliceToBob)[0]).toContain('not the cost');
    expect(tradeInitType.check({ ...init, quantity: 1000n, price: 1n, quoteAmount: 0n, installmentBytes: 1000n }, aliceToBob)[0]).toContain('pays nothing');
    expect(tradeInitType.check({ ...init, installmentBytes: 0n }, aliceToBob)[0]).toContain('installment is empty');
    expect(tradeInitType.check({ ...init, installmentBytes: init.quantity + 1n }, aliceToBob)[0]).toContain('larger than the trade');
    expect(tradeInitType.check({ ...init, installmentBytes: 1n }, aliceToBob)[0]).toContain('more than');
    expect(tradeInitType.check({ ...init, installmentBytes: 3n << 20n }, aliceToBob)).toEqual([]);
  });

  it('are countersigned as an identical copy', () => {
    expect(tradeInitType.checkAgreement!(init, init)).toEqual([]);
    expect(tradeInitType.checkAgreement!({ ...init, price: 999n }, init)[0]).toContain('differs');
  });
});

describe('trade-done transactions', () => {
  it('round-trip and refuse random or mutated bytes with DecodeError', () => {
    checkDecoderProperties({ decode: tradeDoneType.decode, encode: tradeDoneType.encode, values: arbitraryTradeDone, maxRandomBytes: 400 });
  });

  it('refuse unknown outcomes and defaulters', () => {
    const bytes = tradeDoneType.encode(done);
    const outcomeAt = 16 + 36 + 36;
    const badOutcome = bytes.slice();
    badOutcome[outcomeAt] = 2;
    expect(() => tradeDoneType.decode(badOutcome)).toThrow(/outcome/);
    const badDefaulter = bytes.slice();
    badDefaulter[outcomeAt + 1 + 8 + 16] = 3;
    expect(() => tradeDoneType.decode(badDefaulter)).toThrow(/defaulter/);
  });

  it('record a failure with who stopped and what moved; a completed trade has no defaulter', () => {
    const failed: TradeDoneTx = { ...done, outcome: 'failed', baseTransferred: 2n << 20n, quoteTransferred: 1000n, defaulter: 'bid', reason: 'the buyer stopped paying after 2 installments' };
    expect(tradeDoneType.decode(tradeDoneType.encode(failed))).toEqual(failed);
    expect(tradeDoneType.check(failed, aliceToBob)).toEqual([]);
    expect(tradeDoneType.check({ ...done, defaulter: 'ask' }, aliceToBob)[0]).toContain('no defaulter');
    expect(tradeDoneType.checkAgreement!(failed, done)[0]).toContain('differs');
  });
});
