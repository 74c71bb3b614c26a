/**
 * Pure: which stored pairs still have to be fed to the reputation worker.
 *
 * The graph aggregates amounts per edge, so a pair fed twice would count
 * twice: each agreement position is fed at most once. An agreement whose
 * proposal is not stored yet is not marked (it may complete later and be
 * read again); one whose pair does not complete (a minted half, a mismatch)
 * is marked and never counts. Bounded like the graph: after `maxPairs`
 * pairs nothing new is taken (the graph refuses new edges when full too, and
 * pairs are offered newest first, so the newest are the ones kept).
 */
import { toHex } from '../codec/bytes.ts';
import type { HalfBlock } from '../ledger/block.ts';
import type { TransactionRegistry } from '../ledger/transactions/registry.ts';
import { MAX_EDGES } from './constants.ts';
import { pairContributions, type Contribution } from './contribution-graph.ts';

export interface StoredPair {
  agreement: HalfBlock;
  /** The stored proposal the agreement names, if any. */
  proposal: HalfBlock | undefined;
}

export class PairFeed {
  private readonly seen = new Set<string>();
  private readonly registry: TransactionRegistry;
  private readonly maxPairs: number;

  constructor(registry: TransactionRegistry, maxPairs: number = MAX_EDGES) {
    this.registry = registry;
    this.maxPairs = maxPairs;
  }

  /** Agreement positions looked at for good. */
  get size(): number {
    return this.seen.size;
  }

  /** The contributions of the pairs among `pairs` not taken before. */
  take(pairs: readonly StoredPair[]): Contribution[] {
    const fresh: Contribution[] = [];
    for (const { agreement, proposal } of pairs) {
      if (proposal === undefined) continue;
      const position = `${toHex(agreement.publicKey)}:${agreement.sequenceNumber}`;
      if (this.seen.has(position) || this.seen.size >= this.maxPairs) continue;
      this.seen.add(position);
      fresh.push(...(pairContributions(proposal, agreement, this.registry) ?? []));
    }
    return fresh;
  }
}
