/**
 * Pure: who gave how many bytes to whom, from complete block pairs only.
 *
 * An edge from → to aggregates every verified transfer in which `from`
 * uploaded to `to`. Only a proposal together with the agreement that links to
 * it, addressed, of the same type and mirrored (verified-balance.ts
 * completesPair, i.e. validation.ts pairErrors) counts: a half alone is one
 * party's claim, and a peer could otherwise write itself agreements to
 * proposals that never existed. Signatures are the store's business: pass
 * blocks the ledger has already verified.
 *
 * Bounded to `maxEdges` distinct (from, to) pairs. When full, amounts on
 * existing edges still grow, a new edge touching a pinned key (the
 * evaluator's own) evicts nothing and always enters, and any other new edge is
 * dropped (counted in `droppedEdges`). Refusing newcomers rather than evicting
 * the lightest edge is deliberate: a Sybil ring can sign arbitrarily heavy
 * edges among itself, so "evict the lightest" would let it push real
 * contributions out of the graph.
 */
import { toHex } from '../codec/bytes.ts';
import { isAgreement, isProposal, type HalfBlock } from '../ledger/block.ts';
import type { TransactionRegistry } from '../ledger/transactions/registry.ts';
import { completesPair } from '../ledger/verified-balance.ts';
import { CONTRIBUTION_TYPES, MAX_EDGES } from './constants.ts';

/** One verified contribution: `from` uploaded `bytes` to `to` (hex keys), in a complete block pair. */
export interface Contribution {
  from: string;
  to: string;
  bytes: bigint;
  /** When (ms, the proposal's timestamp). */
  at: number;
}

export interface GraphLimits {
  /** Most distinct (from, to) edges; MAX_EDGES by default. */
  maxEdges?: number;
  /** Keys whose edges are always kept (the evaluator's own keys). */
  pinned?: Iterable<string>;
}

const EMPTY: ReadonlyMap<string, bigint> = new Map();

export class ContributionGraph {
  private readonly out = new Map<string, Map<string, bigint>>();
  private readonly in = new Map<string, Map<string, bigint>>();
  private readonly lastAt = new Map<string, number>();
  private readonly maxEdges: number;
  private readonly pinned: ReadonlySet<string>;
  private edges = 0;
  private dropped = 0;

  constructor(limits: GraphLimits = {}) {
    this.maxEdges = limits.maxEdges ?? MAX_EDGES;
    this.pinned = new Set(limits.pinned ?? []);
  }

  get edgeCount(): number {
    return this.edges;
  }

  /** New edges refused because the graph was full. */
  get droppedEdges(): number {
    return this.dropped;
  }

  /**
   * Adds what a complete, linked pair records: each party's `up` as an edge
   * from it to the other. Returns false (adding nothing) for a half, a
   * mismatched or unlinked pair, or a pair carrying no tokens.
   */
  addPair(proposal: HalfBlock, agreement: HalfBlock, registry: TransactionRegistry): boolean {
    const given = pairContributions(proposal, agreement, registry);
    if (given === undefined) return false;
    for (const c of given) this.add(c);
    return true;
  }

  /** Adds a contribution directly (simulation, tests). Edges aggregate per (from, to); self-edges and non-positive amounts are ignored. */
  add(c: Contribution): void {
    if (c.from === c.to || c.bytes <= 0n) return;
    let givenBy = this.out.get(c.from);
    const before = givenBy?.get(c.to);
    if (before === undefined) {
      if (this.edges >= this.maxEdges && !this.pinned.has(c.from) && !this.pinned.has(c.to)) {
        this.dropped++;
        return;
      }
      this.edges++;
    }
    const total = (before ?? 0n) + c.bytes;
    if (givenBy === undefined) this.out.set(c.from, (givenBy = new Map()));
    givenBy.set(c.to, total);
    let receivedBy = this.in.get(c.to);
    if (receivedBy === undefined) this.in.set(c.to, (receivedBy = new Map()));
    receivedBy.set(c.from, total);
    const key = `${c.from}>${c.to}`;
    this.lastAt.set(key, Math.max(this.lastAt.get(key) ?? c.at, c.at));
  }

  /** Out-edges of a node: to -> total bytes given. */
  given(from: string): ReadonlyMap<string, bigint> {
    return this.out.get(from) ?? EMPTY;
  }

  /** In-edges of a node: from -> total bytes received. */
  received(to: string): ReadonlyMap<string, bigint> {
    return this.in.get(to) ?? EMPTY;
  }

  /** The latest contribution on an edge (ms), undefined without one. */
  lastContribution(from: string, to: string): number | undefined {
    return this.lastAt.get(`${from}>${to}`);
  }

  /** Every key with at least one edge. */
  *nodes(): Iterable<string> {
    for (const k of this.out.keys()) yield k;
    for (const k of this.in.keys()) if (!this.out.has(k)) yield k;
  }
}

/**
 * What a complete, linked pair records: each party's `up` as a contribution
 * from it to the other (one or two). Undefined for a half, a mismatched or
 * unlinked pair, a pair carrying no tokens, or one whose tokens are not a
 * service given (CONTRIBUTION_TYPES: a token `transfer` moves money, and its
 * payee gave nothing for it on the ledger).
 */
export function pairContributions(proposal: HalfBlock, agreement: HalfBlock, registry: TransactionRegistry): Contribution[] | undefined {
  if (!isProposal(proposal) || !isAgreement(agreement) || !CONTRIBUTION_TYPES.has(proposal.type)) return undefined;
  const proposed = registry.tokensOf(proposal);
  const agreed = registry.tokensOf(agreement);
  if (proposed === undefined || proposed === null || agreed === undefined || agreed === null) return undefined;
  if (!completesPair(proposal, agreement, registry)) return undefined;
  if (proposed.up === 0n && agreed.up === 0n) return undefined;
  // Mirrored (checked above): the proposer's up is the agreer's down and vice versa.
  const proposer = toHex(proposal.publicKey);
  const agreer = toHex(agreement.publicKey);
  const given: Contribution[] = [];
  if (proposed.up > 0n) given.push({ from: proposer, to: agreer, bytes: proposed.up, at: proposal.timestamp });
  if (agreed.up > 0n) given.push({ from: agreer, to: proposer, bytes: agreed.up, at: proposal.timestamp });
  return given;
}
