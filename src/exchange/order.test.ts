import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { createProposal } from '../ledger/chain.ts';
import { head, storeWith } from '../ledger/test-support.ts';
import { defaultRegistry } from '../ledger/transactions/default-registry.ts';
import { validateInStore } from '../ledger/validation.ts';
import { askType } from './tradechain/order-tx.ts';
import { registerExchangeTypes } from './tradechain/register.ts';
import { BANDWIDTH } from '../ledger/transactions/bandwidth.ts';
import { PRICE_UNIT } from './constants.ts';
import { tradeWei } from './installments.ts';
import { cancelFromBlock, costOf, crosses, isExpired, OrderError, orderFromBlock, orderId, orderStatus } from './order.ts';
import { MIB, signCancel, signOrder, T0, trader } from './test-support.ts';

describe('orderFromBlock', () => {
  it('reads every field from the signed block', () => {
    const alice = trader('alice', 1);
    const block = signOrder(alice, 'bid', { quantity: 3n * MIB, price: 250n, expiry: T0 + 1000 }, T0);
    const order = orderFromBlock(block);
    expect(order).toMatchObject({ id: `${toHex(alice.publicKey)}:1`, trader: toHex(alice.publicKey), orderNumber: 1, side: 'bid', pair: 'MBT/ETH', quantity: 3n * MIB, price: 250n, expiry: T0 + 1000, createdAt: T0, sequenceNumber: 1 });
    expect(order.blockHash).toMatch(/^[0-9a-f]{64}$/);
    expect(order.block).toBe(block);
  });

  it('refuses other types, undecodable transactions and orders breaking the rules, with typed errors', () => {
    const alice = trader('alice', 1);
    const other = createProposal(alice, head(alice), new Uint8Array(32), BANDWIDTH, new Uint8Array(32), T0);
    expect(() => orderFromBlock(other)).toThrow(OrderError);
    const garbage = { ...signOrder(alice, 'ask', { quantity: MIB, price: 1n }), transaction: new Uint8Array(3) };
    expect(() => orderFromBlock(garbage)).toThrow(expect.objectContaining({ reason: 'malformed' }));
    const expired = signOrder(alice, 'ask', { quantity: MIB, price: 1n, expiry: T0 - 1 });
    expect(() => orderFromBlock(expired)).toThrow(expect.objectContaining({ reason: 'breaks-rules' }));
  });

  it('relies on the caller\'s check: an order altered in transit fails the ledger\'s validation before it gets here', async () => {
    const alice = trader('alice', 1);
    const block = signOrder(alice, 'ask', { quantity: MIB, price: 500n });
    const cheaper = { ...block, transaction: askType.encode({ ...askType.decode(block.transaction), price: 1n }) };
    const registry = registerExchangeTypes(defaultRegistry());
    expect((await validateInStore(storeWith(), block, registry)).errors).toEqual([]);
    expect((await validateInStore(storeWith(), cheaper, registry)).errors).toContain('the signature does not verify');
  });

  it('reads cancellations, naming the trader\'s order', () => {
    const alice = trader('alice', 1);
    const cancel = cancelFromBlock(signCancel(alice, 4));
    expect(cancel.id).toBe(orderId(alice.publicKey, 4));
    expect(() => cancelFromBlock(signOrder(alice, 'ask', { quantity: MIB, price: 1n }))).toThrow(OrderError);
  });
});

describe('order validity', () => {
  it('is expired from its expiry instant on, and cancelled wins', () => {
    expect(isExpired({ expiry: 10 }, 9)).toBe(false);
    expect(isExpired({ expiry: 10 }, 10)).toBe(true);
    expect(orderStatus({ expiry: 10 }, 5, false)).toBe('open');
    expect(orderStatus({ expiry: 10 }, 11, false)).toBe('expired');
    expect(orderStatus({ expiry: 10 }, 5, true)).toBe('cancelled');
  });
});

describe('price arithmetic', () => {
  it('costs exact wei per MiB, rounded down', () => {
    expect(costOf(MIB, 1000n)).toBe(1000n);
    expect(costOf(3n * MIB, 10n ** 18n)).toBe(3n * 10n ** 18n);
    expect(costOf(MIB / 2n, 3n)).toBe(1n); // 1.5 wei rounds down
    expect(costOf(1n, 1n)).toBe(0n);
    expect(() => costOf(-1n, 5n)).toThrow(RangeError);
    expect(crosses(10n, 10n)).toBe(true);
    expect(crosses(9n, 10n)).toBe(false);
  });

  it('never charges more than the price, by less than 1 wei, and agrees with the settlement\'s tradeWei', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.bigInt({ min: 1n, max: 10n ** 18n }), (q, p) => {
        const cost = costOf(q, p);
        expect(cost * PRICE_UNIT <= q * p).toBe(true);
        expect((cost + 1n) * PRICE_UNIT > q * p).toBe(true);
        expect(cost).toBe(tradeWei(q, p));
      }),
    );
  });
});
