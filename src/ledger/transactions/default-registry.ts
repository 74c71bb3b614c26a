import { bandwidthType } from './bandwidth.ts';
import { TransactionRegistry } from './registry.ts';

/** The transaction types this version of Trustmesh understands. */
export function defaultRegistry(): TransactionRegistry {
  return new TransactionRegistry().register(bandwidthType);
}
