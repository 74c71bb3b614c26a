/**
 * Transaction types are a registry: each type decodes its canonical bytes and
 * states its own rules. Token-carrying types (bandwidth now, relay payouts
 * later) expose their amounts; the ledger checks their running totals along
 * the owner's chain generically, across all token-carrying types, so an
 * identity's balance is totalUp - totalDown of its latest token-carrying block
 * whatever its type.
 *
 * A type's rules come in layers, all returning violations as sentences:
 *   check(tx, block)            the transaction on its own (e.g. "moves some bytes")
 *   checkAgreement(a, p)        an agreement's transaction against its proposal's (mirroring)
 *   validate(ctx)               anything needing the neighbourhood (optional)
 * and the generic running-totals rule for token-carrying types lives in validation.ts.
 *
 * Unknown types (from newer peers) are accepted as opaque: their blocks are
 * checked structurally (encoding, signature, chain links, forks) and can be
 * valid, with `unknownType: true` on the validation result, since their own
 * rules were not applied. A running-totals check that would have to step over
 * an unknown block becomes "unknown": the later token block is graded partial,
 * never wrongly invalid.
 */
import type { HalfBlock } from '../block.ts';
import type { Neighbourhood } from '../validation.ts';

export interface TokenAmounts {
  /** Bytes this chain's owner provided in this transaction. */
  up: bigint;
  /** Bytes this chain's owner consumed in this transaction. */
  down: bigint;
  /** Running totals along the owner's chain, this transaction included. */
  totalUp: bigint;
  totalDown: bigint;
}

/** What a type's validate() hook sees. */
export interface TransactionContext<T> {
  block: HalfBlock;
  /** The decoded transaction of `block`. */
  tx: T;
  /** What the local store knows around the block (see validation.ts). */
  neighbourhood: Neighbourhood;
  registry: TransactionRegistry;
}

export interface TransactionType<T = unknown> {
  readonly name: string;
  /** Throws DecodeError on anything but a canonical encoding. */
  decode(bytes: Uint8Array): T;
  encode(tx: T): Uint8Array;
  /** Rules of the transaction on its own; each violation as a sentence. */
  check(tx: T, block: HalfBlock): string[];
  /** Present on token-carrying types. */
  tokens?(tx: T): TokenAmounts;
  /** Rules between an agreement's transaction and its proposal's. */
  checkAgreement?(agreement: T, proposal: T): string[];
  /** Rules needing the neighbourhood (linked half, neighbours), beyond the generic running totals. */
  validate?(ctx: TransactionContext<T>): string[];
  /** The agreement's transaction for a proposal, given the agreeing owner's running totals. */
  agreementFor?(proposal: T, ownTotals: TokenAmounts | undefined): T;
}

export class TransactionRegistry {
  private readonly types = new Map<string, TransactionType<unknown>>();

  register<T>(type: TransactionType<T>): this {
    if (this.types.has(type.name)) throw new Error(`transaction type "${type.name}" is already registered`);
    this.types.set(type.name, type as TransactionType<unknown>);
    return this;
  }

  get(name: string): TransactionType<unknown> | undefined {
    return this.types.get(name);
  }

  /** Token amounts of a block, undefined if its type carries none or is unknown, null if undecodable. */
  tokensOf(block: HalfBlock): TokenAmounts | undefined | null {
    const type = this.types.get(block.type);
    if (type?.tokens === undefined) return undefined;
    try {
      return type.tokens(type.decode(block.transaction));
    } catch {
      return null;
    }
  }

  isTokenType(name: string): boolean {
    return this.types.get(name)?.tokens !== undefined;
  }

  isKnown(name: string): boolean {
    return this.types.has(name);
  }
}
