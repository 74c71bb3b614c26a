/**
 * Helpers for exchange tests (test support, used only by *.test.ts): traders
 * that sign real order and cancellation blocks into their own chains.
 */
import type { HalfBlock } from '../ledger/block.ts';
import { createProposal } from '../ledger/chain.ts';
import { ANY_COUNTERPARTY } from '../ledger/constants.ts';
import { head, testPeer, type TestPeer } from '../ledger/test-support.ts';
import { MBT_ETH } from './constants.ts';
import { askType, bidType, cancelOrderType, CANCEL_ORDER, type OrderTx, type Side } from './tradechain/order-tx.ts';

export const T0 = 1_700_000_000_000;
export const MIB = 1n << 20n;

export interface Trader extends TestPeer {
  nextOrderNumber: number;
}

export function trader(name: string, seedByte: number): Trader {
  return { ...testPeer(name, seedByte), nextOrderNumber: 1 };
}

/** `t` signs an order block (next order number unless given), created at `now`, living an hour unless told. */
export function signOrder(t: Trader, side: Side, fields: Partial<OrderTx> & { quantity: bigint; price: bigint }, now = T0): HalfBlock {
  const tx: OrderTx = { orderNumber: t.nextOrderNumber, pair: MBT_ETH, expiry: now + 3_600_000, ...fields };
  t.nextOrderNumber = Math.max(t.nextOrderNumber, tx.orderNumber + 1);
  const type = side === 'ask' ? askType : bidType;
  const block = createProposal(t, head(t), ANY_COUNTERPARTY, type.name, type.encode(tx), now);
  t.chain.push(block);
  return block;
}

export function signCancel(t: Trader, orderNumber: number, now = T0): HalfBlock {
  const block = createProposal(t, head(t), ANY_COUNTERPARTY, CANCEL_ORDER, cancelOrderType.encode({ orderNumber }), now);
  t.chain.push(block);
  return block;
}
