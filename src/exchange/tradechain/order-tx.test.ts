import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../codec/binary.ts';
import { checkDecoderProperties } from '../../codec/decoder-properties.ts';
import { ANY_COUNTERPARTY } from '../../ledger/constants.ts';
import { MAX_ORDER_LIFETIME_MS, MAX_ORDER_QUANTITY, MAX_PRICE, MBT_ETH, MIN_ORDER_QUANTITY, MIN_PRICE } from '../constants.ts';
import { askType, bidType, cancelOrderType, orderErrors, type OrderTx } from './order-tx.ts';
import { arbitraryOrderTx } from './test-arbitraries.ts';

const T0 = 1_700_000_000_000;
const source = { linkPublicKey: ANY_COUNTERPARTY, linkSequenceNumber: 0, timestamp: T0 };
const order: OrderTx = { orderNumber: 1, pair: MBT_ETH, quantity: 10n * MIN_ORDER_QUANTITY, price: 1000n, expiry: T0 + 60_000 };

describe('ask and bid transactions', () => {
  it('round-trip and refuse random or mutated bytes with DecodeError', () => {
    checkDecoderProperties({ decode: askType.decode, encode: askType.encode, values: arbitraryOrderTx, maxRandomBytes: 80 });
  });

  it('have one encoding: zero order numbers, bad pairs, unsafe expiries and trailing bytes are refused', () => {
    const bytes = bidType.encode(order);
    expect(bidType.decode(bytes)).toEqual(order);
    const zeroNumber = bytes.slice();
    zeroNumber.set([0, 0, 0, 0], 0);
    expect(() => bidType.decode(zeroNumber)).toThrow(DecodeError);
    const lowerPair = bytes.slice();
    lowerPair[5] = 'm'.charCodeAt(0);
    expect(() => bidType.decode(lowerPair)).toThrow(/pair/);
    const unsafe = bytes.slice();
    unsafe.fill(0xff, bytes.length - 8);
    expect(() => bidType.decode(unsafe)).toThrow(/safe integer/);
    expect(() => bidType.decode(new Uint8Array([...bytes, 0]))).toThrow(DecodeError);
    expect(() => bidType.encode({ ...order, pair: 'mbt/eth' })).toThrow(RangeError);
  });

  it('are source blocks: addressed to any counterparty and never countersigned', () => {
    expect(orderErrors(order, source)).toEqual([]);
    expect(orderErrors(order, { ...source, linkPublicKey: new Uint8Array(32).fill(1) })[0]).toContain('any counterparty');
    expect(orderErrors(order, { ...source, linkSequenceNumber: 4 })[0]).toContain('never countersigned');
  });

  it('bound quantity and price', () => {
    expect(orderErrors({ ...order, quantity: MIN_ORDER_QUANTITY - 1n }, source)[0]).toContain('quantity');
    expect(orderErrors({ ...order, quantity: MAX_ORDER_QUANTITY + 1n }, source)[0]).toContain('quantity');
    expect(orderErrors({ ...order, quantity: MAX_ORDER_QUANTITY }, source)).toEqual([]);
    expect(orderErrors({ ...order, price: MIN_PRICE - 1n }, source)[0]).toContain('price');
    expect(orderErrors({ ...order, price: MAX_PRICE + 1n }, source)[0]).toContain('price');
  });

  it('expire after they were made and within the longest lifetime', () => {
    expect(orderErrors({ ...order, expiry: T0 }, source)[0]).toContain('expires before');
    expect(orderErrors({ ...order, expiry: T0 + MAX_ORDER_LIFETIME_MS }, source)).toEqual([]);
    expect(orderErrors({ ...order, expiry: T0 + MAX_ORDER_LIFETIME_MS + 1 }, source)[0]).toContain('lives longer');
  });

  it('state the same rules through the type', () => {
    expect(askType.check(order, source as never)).toEqual([]);
    expect(bidType.check({ ...order, price: 0n }, source as never)).toHaveLength(1);
  });
});

describe('cancel-order transactions', () => {
  it('round-trip and refuse random or mutated bytes with DecodeError', () => {
    checkDecoderProperties({ decode: cancelOrderType.decode, encode: cancelOrderType.encode, values: fc.record({ orderNumber: fc.integer({ min: 1, max: 0xffff_ffff }) }), maxRandomBytes: 8 });
    expect(() => cancelOrderType.decode(new Uint8Array(4))).toThrow(DecodeError);
  });

  it('are source blocks too', () => {
    expect(cancelOrderType.check({ orderNumber: 3 }, source as never)).toEqual([]);
    expect(cancelOrderType.check({ orderNumber: 3 }, { ...source, linkSequenceNumber: 1, linkPublicKey: new Uint8Array(32).fill(2) } as never)).toHaveLength(2);
  });
});
