import { bandwidthType } from './bandwidth.ts';
import { payoutType } from './payout.ts';
import { TransactionRegistry } from './registry.ts';
import { transferType } from './transfer.ts';

/** The transaction types this version of Trustmesh understands. */
export function defaultRegistry(): TransactionRegistry {
  return new TransactionRegistry().register(bandwidthType).register(payoutType).register(transferType);
}
