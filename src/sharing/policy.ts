/**
 * The free-riding policy: which peers a seeder serves. Pure: peer facts in,
 * standings and unchoke decisions out.
 *
 *   refused   proven fraudsters; peers whose balance, less what they owe us
 *             now, is below the threshold (so a free-rider is refused the
 *             moment its debt crosses it, not when it pays); the balance is
 *             the verified one, or what the peer's own latest signed block
 *             admits if that is less (see admittedNet); keys over their
 *             unpaid window; stock clients if so configured, or once their
 *             shared allowance is spent
 *   pending   Trustmesh peers that have not proven their key yet: choked
 *             until they do (their bytes could be charged to no key)
 *   newcomer  short chains (possible Sybils or whitewashers) and stock clients:
 *             served only from a bounded share of the upload slots
 *   member    everyone else, ranked by balance for the remaining slots; an
 *             anonymous peer (over circuits) that keeps paying ranks as a
 *             member with balance 0, since it shows no balance but cannot free-ride
 */
import { DEBTOR_MARGIN_BYTES, DEBTOR_PROPOSE_EVERY_BYTES, MAX_UNPAID_WINDOW_BYTES, PROPOSE_EVERY_BYTES, STOCK_ALLOWANCE_BYTES, UNPAID_WINDOW_BYTES, type PolicyConfig } from './constants.ts';
import type { RefusalReason } from './pay-wire.ts';

export interface PeerFacts {
  id: string;
  /** Wants data from us. */
  interested: boolean;
  /** Speaks our payment extension. */
  hasExtension: boolean;
  /** Proved its key on this connection. */
  identified: boolean;
  /** Balance from its latest signed token block; undefined before it showed one. */
  balance?: bigint | undefined;
  /** Length of its chain (its latest block's sequence number). */
  chainLength?: number | undefined;
  fraudster: boolean;
  /** Bytes we sent it that it has not paid for: its key's, over all connections (stock clients: the pool's). */
  unpaidBytes: bigint;
  /** What its key has paid us this session: its unpaid window grows by it (unpaidWindow). */
  paidBytes?: bigint | undefined;
  /** Paid to us since `balance` was read, so not in it yet. */
  paidSinceBalance?: bigint | undefined;
  /**
   * The net (up − down) its own latest signed token block claims, signature
   * checked, chain not. Counted when lower than the verified balance: a peer
   * downloading from several seeders at once pays each of them, and each
   * seeder's crawl of its chain lags behind, so by the verified figure alone
   * it could overrun the threshold once per seeder. Its head reaches every
   * seeder with each block it signs; an admitted debt only hurts its signer,
   * and a claimed credit is never counted. The glue adds back our payment
   * proposals to it still in flight: the head may hold them already while
   * unpaidBytes still counts them (if it does not, the peer counts up to one
   * payment step higher until the pair completes).
   */
  admittedNet?: bigint | undefined;
  /** Reached over circuits: no key or chain to check; it pays as it goes, through the circuits. */
  anonymous?: boolean;
}

export type Standing =
  | { kind: 'refused'; reason: RefusalReason; balance: bigint; threshold: bigint }
  | { kind: 'pending' }
  | { kind: 'newcomer' }
  | { kind: 'member'; balance: bigint };

/** What a peer's balance will be once it pays what it owes us now: verified (or less, as its own head admits), less its debt to us. */
function countedBalance(p: PeerFacts): bigint {
  const verified = (p.balance ?? 0n) - (p.paidSinceBalance ?? 0n);
  const known = p.admittedNet !== undefined && p.admittedNet < verified ? p.admittedNet : verified;
  return known - (p.hasExtension && p.identified ? p.unpaidBytes : 0n);
}

/** The unpaid bytes a key may hold: the window, grown by what it has paid us this session, up to MAX_UNPAID_WINDOW_BYTES. */
export function unpaidWindow(paidBytes: bigint): bigint {
  const grown = BigInt(UNPAID_WINDOW_BYTES) + (paidBytes > 0n ? paidBytes : 0n);
  return grown < BigInt(MAX_UNPAID_WINDOW_BYTES) ? grown : BigInt(MAX_UNPAID_WINDOW_BYTES);
}

/** The window this peer holds: grown by its payments for a proven key, the base window for an anonymous or unproven one. */
function heldWindow(p: PeerFacts): bigint {
  return p.identified && p.anonymous !== true ? unpaidWindow(p.paidBytes ?? 0n) : BigInt(UNPAID_WINDOW_BYTES);
}

/**
 * Bytes acknowledged between our payment proposals to this peer: every acknowledgement once it nears the threshold
 * (DEBTOR_MARGIN_BYTES), else the same share of the window it holds as PROPOSE_EVERY_BYTES is of the base window.
 */
export function proposalStep(p: PeerFacts, c: PolicyConfig): bigint {
  if (countedBalance(p) < c.thresholdBytes + BigInt(DEBTOR_MARGIN_BYTES)) return BigInt(DEBTOR_PROPOSE_EVERY_BYTES);
  return (heldWindow(p) * BigInt(PROPOSE_EVERY_BYTES)) / BigInt(UNPAID_WINDOW_BYTES);
}

export function standing(p: PeerFacts, c: PolicyConfig): Standing {
  const balance = countedBalance(p);
  const refuse = (reason: RefusalReason): Standing => ({ kind: 'refused', reason, balance, threshold: c.thresholdBytes });
  if (p.fraudster) return refuse('fraudster');
  if (!p.hasExtension) {
    if (c.stockPeers === 'refuse') return refuse('stock');
    return p.unpaidBytes > BigInt(STOCK_ALLOWANCE_BYTES) ? refuse('unpaid') : { kind: 'newcomer' };
  }
  // Every peer of a hidden seeder is anonymous: as newcomers they would share a quarter of the slots among them.
  if (p.anonymous === true) {
    if (p.unpaidBytes > heldWindow(p)) return refuse('unpaid');
    return 0n < c.thresholdBytes ? refuse('balance') : { kind: 'member', balance: 0n };
  }
  if (!p.identified) return { kind: 'pending' };
  if (p.unpaidBytes > heldWindow(p)) return refuse('unpaid');
  if (balance < c.thresholdBytes) return refuse('balance');
  if ((p.chainLength ?? 0) < c.newcomerChainLength) return { kind: 'newcomer' };
  return { kind: 'member', balance };
}

export function newcomerSlots(c: PolicyConfig): number {
  if (c.newcomerShare <= 0 || c.uploadSlots <= 0) return 0;
  return Math.min(c.uploadSlots, Math.max(1, Math.floor(c.uploadSlots * c.newcomerShare)));
}

export interface Allocation {
  unchoke: Set<string>;
  standings: Map<string, Standing>;
}

/**
 * Fills upload slots among interested peers: members by balance (highest first)
 * in the member slots, newcomers (random, keeping those already served) in at
 * most their share. Unused newcomer slots go to members, never the other way.
 */
export function allocateSlots(peers: readonly PeerFacts[], c: PolicyConfig, servedBefore: ReadonlySet<string>, random: () => number): Allocation {
  const standings = new Map(peers.map((p) => [p.id, standing(p, c)] as const));
  const interested = peers.filter((p) => p.interested);
  const tieBreak = new Map(interested.map((p) => [p.id, random()] as const));
  const byStability = (a: PeerFacts, b: PeerFacts): number =>
    (servedBefore.has(b.id) ? 1 : 0) - (servedBefore.has(a.id) ? 1 : 0) || tieBreak.get(a.id)! - tieBreak.get(b.id)!;

  const members = interested
    .filter((p) => standings.get(p.id)!.kind === 'member')
    .sort((a, b) => {
      const sa = standings.get(a.id) as { balance: bigint };
      const sb = standings.get(b.id) as { balance: bigint };
      return sa.balance === sb.balance ? byStability(a, b) : sa.balance > sb.balance ? -1 : 1;
    });
  const newcomers = interested.filter((p) => standings.get(p.id)!.kind === 'newcomer').sort(byStability);

  const forNewcomers = Math.min(newcomerSlots(c), newcomers.length);
  const forMembers = c.uploadSlots - forNewcomers;
  const unchoke = new Set<string>([...members.slice(0, forMembers), ...newcomers.slice(0, forNewcomers)].map((p) => p.id));
  return { unchoke, standings };
}
