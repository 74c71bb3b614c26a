/**
 * Pure: the simulated ledger. Every token movement is a complete block pair between two keys: the
 * payee's credit (`up`) and the payer's debit (`down`) move together, so the sum of all balances
 * is 0 at every instant (the invariant the tests check). Only a Sybil ring's minted pairs create
 * claims that no service stands behind: they are kept apart (`minted*`) and reported as Sybil
 * gain, never as real balance.
 *
 * Blocks are not signed or stored (the app's ledger tests cover that); what the decisions read
 * from the ledger is kept: each key's credits and debits, its chain length, and the contribution
 * graph (src/reputation/contribution-graph.ts) that personalized trust walks. Edges are batched
 * and flushed into the graph before each trust recompute: the graph is only read then.
 */
import { ContributionGraph } from '../../src/reputation/contribution-graph.ts';
import { PROPOSE_EVERY_BYTES } from '../../src/sharing/constants.ts';

/** What a pair records: a BitTorrent upload, a relay's carriage (payout), or a ring's self-dealing. */
export type PairKind = 'bandwidth' | 'payout' | 'mint';

export interface KeyBooks {
  up: number;
  down: number;
  mintedUp: number;
  mintedDown: number;
  /** Blocks in its chain (each pair adds one to each side; a long settlement counts a block per payment step). */
  chain: number;
}

export class LedgerError extends Error {
  override name = 'LedgerError';
}

export class SimLedger {
  readonly graph = new ContributionGraph();
  private readonly books = new Map<string, KeyBooks>();
  private readonly pending = new Map<string, Map<string, number>>();
  private flushedAt = 0;
  /** Totals over every pair, by kind: what the conservation checks compare against. */
  readonly totals: Record<PairKind, number> = { bandwidth: 0, payout: 0, mint: 0 };

  of(key: string): KeyBooks {
    let b = this.books.get(key);
    if (b === undefined) this.books.set(key, (b = { up: 0, down: 0, mintedUp: 0, mintedDown: 0, chain: 0 }));
    return b;
  }

  /** Raw balance, as the chain shows it (minted credits included). */
  raw(key: string): number {
    const b = this.of(key);
    return b.up - b.down;
  }

  /** Real balance: service given less service taken, minted pairs left out. */
  real(key: string): number {
    const b = this.of(key);
    return b.up - b.mintedUp - (b.down - b.mintedDown);
  }

  /**
   * A complete pair: `payee` is credited `bytes` for service it gave `payer` (or, for 'mint', claims
   * it did). Whole bytes only: a fraction of a byte cannot be signed.
   */
  pay(payer: string, payee: string, bytes: number, kind: PairKind): void {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new LedgerError(`a pair carries a positive whole number of bytes, got ${bytes}`);
    if (payer === payee) throw new LedgerError('a key cannot pay itself');
    const from = this.of(payer);
    const to = this.of(payee);
    from.down += bytes;
    to.up += bytes;
    if (kind === 'mint') {
      from.mintedDown += bytes;
      to.mintedUp += bytes;
    }
    const blocks = kind === 'mint' ? 1 : Math.max(1, Math.floor(bytes / PROPOSE_EVERY_BYTES));
    from.chain += blocks;
    to.chain += blocks;
    this.totals[kind] += bytes;
    // The service flows from payee to payer: that is the contribution graph's edge.
    let row = this.pending.get(payee);
    if (row === undefined) this.pending.set(payee, (row = new Map()));
    row.set(payer, (row.get(payer) ?? 0) + bytes);
  }

  /** Moves the batched edges into the contribution graph (before trust is recomputed). */
  flush(now: number): void {
    for (const [from, row] of this.pending) for (const [to, bytes] of row) this.graph.add({ from, to, bytes: BigInt(bytes), at: now });
    this.pending.clear();
    this.flushedAt = now;
  }

  get lastFlush(): number {
    return this.flushedAt;
  }

  /** Sum of raw balances over all keys: 0 by construction; the tests check it stays so. */
  rawSum(): number {
    let s = 0;
    for (const b of this.books.values()) s += b.up - b.down;
    return s;
  }

  keys(): IterableIterator<string> {
    return this.books.keys();
  }
}
