import { describe, expect, it } from 'vitest';
import { createAgreement, createProposal } from '../../ledger/chain.ts';
import { head, storeWith } from '../../ledger/test-support.ts';
import { defaultRegistry } from '../../ledger/transactions/default-registry.ts';
import { validateInStore } from '../../ledger/validation.ts';
import { MIB, signOrder, T0, trader } from '../test-support.ts';
import { ASK, BID } from './order-tx.ts';
import { EXCHANGE_TYPE_NAMES, registerExchangeTypes } from './register.ts';
import { TRADE_INIT, tradeInitType } from './trade-tx.ts';

const registry = registerExchangeTypes(defaultRegistry());

describe('registerExchangeTypes', () => {
  it('adds every TradeChain type to a registry, none carrying tokens, once', () => {
    for (const name of EXCHANGE_TYPE_NAMES) {
      expect(registry.isKnown(name)).toBe(true);
      expect(registry.isTokenType(name)).toBe(false);
    }
    expect(() => registerExchangeTypes(registry)).toThrow(/already registered/);
  });

  it('lets the ledger validate a signed order by its rules', async () => {
    const alice = trader('alice', 1);
    const ok = signOrder(alice, ASK, { quantity: 2n * MIB, price: 100n });
    expect((await validateInStore(storeWith(), ok, registry)).errors).toEqual([]);
    const zeroPrice = signOrder(alice, BID, { quantity: 2n * MIB, price: 0n });
    expect((await validateInStore(storeWith(ok), zeroPrice, registry)).errors.join()).toContain('price');
  });

  it('refuses an order number that does not increase on the trader\'s previous order', async () => {
    const alice = trader('alice', 1);
    const first = signOrder(alice, ASK, { quantity: 2n * MIB, price: 100n, orderNumber: 5 });
    const again = signOrder(alice, BID, { quantity: 2n * MIB, price: 100n, orderNumber: 5 });
    const result = await validateInStore(storeWith(first), again, registry);
    expect(result.outcome).toBe('invalid');
    expect(result.errors.join()).toContain('does not increase');
  });

  it('refuses an agreement to an order: orders are never countersigned', async () => {
    const alice = trader('alice', 1);
    const bob = trader('bob', 2);
    const order = signOrder(alice, ASK, { quantity: 2n * MIB, price: 100n });
    const agreement = createAgreement(bob, head(bob), order, order.transaction, T0 + 1);
    expect((await validateInStore(storeWith(order), agreement, registry)).errors.join()).toContain('never countersigned');
  });

  it('validates a trade-init pair between the two traders', async () => {
    const alice = trader('alice', 1);
    const bob = trader('bob', 2);
    const tx = tradeInitType.encode({ tradeId: new Uint8Array(16).fill(1), ask: { trader: alice.publicKey, orderNumber: 1 }, bid: { trader: bob.publicKey, orderNumber: 1 }, pair: 'MBT/ETH', quantity: 4n * MIB, price: 100n, quoteAmount: 400n, installmentBytes: MIB, quoteAddress: new Uint8Array(20).fill(7) });
    const proposal = createProposal(alice, head(alice), bob.publicKey, TRADE_INIT, tx, T0);
    const agreement = createAgreement(bob, head(bob), proposal, tx, T0 + 1);
    expect((await validateInStore(storeWith(proposal), agreement, registry)).errors).toEqual([]);
    const carol = trader('carol', 3);
    const stranger = createProposal(carol, head(carol), bob.publicKey, TRADE_INIT, tx, T0);
    expect((await validateInStore(storeWith(), stranger, registry)).errors.join()).toContain('not between the two traders');
  });
});
