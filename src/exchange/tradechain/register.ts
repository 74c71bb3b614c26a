/**
 * The TradeChain transaction types, registered into a ledger registry (pure).
 * The app composes registries: `registerExchangeTypes(defaultRegistry())`
 * gives a ledger that checks orders and trades by their rules; a ledger
 * without them still stores and relays these blocks as unknown types.
 */
import type { TransactionRegistry } from '../../ledger/transactions/registry.ts';
import { ASK, BID, CANCEL_ORDER, askType, bidType, cancelOrderType } from './order-tx.ts';
import { TRADE_PAYMENT, tradePaymentType } from './payment-tx.ts';
import { TRADE_DONE, TRADE_INIT, tradeDoneType, tradeInitType } from './trade-tx.ts';

/** Every TradeChain type name, in the order a trade uses them. */
export const EXCHANGE_TYPE_NAMES = [ASK, BID, CANCEL_ORDER, TRADE_INIT, TRADE_PAYMENT, TRADE_DONE] as const;

export function registerExchangeTypes(registry: TransactionRegistry): TransactionRegistry {
  return registry.register(askType).register(bidType).register(cancelOrderType).register(tradeInitType).register(tradePaymentType).register(tradeDoneType);
}
