/**
 * Pure: how a seeder judges a peer and how bytes are paid for, with the app's own modules: the
 * sharing policy's facts (src/sharing/policy.ts), the trusted balance (src/reputation/
 * trusted-balance.ts over reputation.ts), the seeder's debt book (src/sharing/debt-book.ts), and
 * the circuit payment rule (one token per byte per hop, passed on along the path).
 */
import { DEFAULT_REPUTATION, exactReputation, trustedStandings } from '../../src/reputation/reputation.ts';
import { trustedNet } from '../../src/reputation/trusted-balance.ts';
import { givingRate } from '../../src/reputation/giving-rate.ts';
import { DEFAULT_POLICY, STOCK_ALLOWANCE_BYTES, UNPAID_WINDOW_BYTES } from '../../src/sharing/constants.ts';
import type { PeerFacts } from '../../src/sharing/policy.ts';
import type { PeerClass } from './classes.ts';
import { REPUTATION_REFRESH_MS } from './constants.ts';
import type { PairKind, SimLedger } from './ledger.ts';
import type { Download, Peer, World } from './model.ts';

export interface Books {
  readonly ledger: SimLedger;
  readonly world: World;
  readonly judge: Judging;
  now(): number;
  /** Credits and debits per class, counted as pairs are made: what class balance sums must equal. */
  readonly credited: Map<PeerClass, number>;
  readonly debited: Map<PeerClass, number>;
  /** Bytes each class received: its share of the network's upload. */
  readonly received: Map<PeerClass, number>;
  /** Bytes by uploader class, then downloader class: who served whom. */
  readonly flows: Map<PeerClass, Map<PeerClass, number>>;
}

/** The key a seeder sees for a download: the exit's when it comes over a circuit. */
export function seenKey(d: Download): string {
  return d.circuit === undefined ? d.peer.key : d.circuit.exit.key;
}

/**
 * How credits are counted: `trusted`, as the app does (up to trusted standing at the giving rate,
 * giving-rate.ts); `standing`, the rule before it (standing taken as bytes); `raw`, at face value.
 */
export type Judging = 'trusted' | 'standing' | 'raw';

/** A peer's balance as `judge` counts it: credits only up to its trusted standing in the judge's view. */
export function judgedBalance(b: Books, judge: Peer, key: string): bigint {
  const books = b.ledger.of(key);
  if (b.judge === 'raw') return BigInt(books.up - books.down);
  // Without credits the standing cannot matter (trusted-balance.ts): skip the recompute.
  if (books.up === 0) return BigInt(-books.down);
  const view = viewOf(b, judge);
  return trustedNet({ up: BigInt(books.up), down: BigInt(books.down) }, view.standing(key), b.judge === 'trusted' ? view.rate : undefined);
}

function viewOf(b: Books, judge: Peer): NonNullable<Peer['view']> {
  const now = b.now();
  if (judge.view !== undefined && now - judge.view.at < REPUTATION_REFRESH_MS) return judge.view;
  if (b.ledger.lastFlush < now) b.ledger.flush(now);
  const scores = exactReputation(b.ledger.graph, [judge.key], DEFAULT_REPUTATION);
  const standing = trustedStandings(b.ledger.graph, [judge.key], scores, DEFAULT_REPUTATION.alpha);
  const given = (function* () {
    for (const key of b.ledger.keys()) yield [key, BigInt(b.ledger.of(key).up)] as const;
  })();
  judge.view = { at: now, standing, rate: givingRate(given, standing, new Set([judge.key])) };
  return judge.view;
}

/** What the seeder's policy knows of the peer behind a download (ChokeController.factsOf, without wires). */
export function factsFor(b: Books, seeder: Peer, d: Download, id: string): PeerFacts {
  if (!d.peer.traits.extension) return { id, interested: true, hasExtension: false, identified: false, fraudster: false, unpaidBytes: seeder.debts.pool().unpaid };
  const key = seenKey(d);
  return {
    id,
    interested: true,
    hasExtension: true,
    identified: true,
    balance: judgedBalance(b, seeder, key),
    chainLength: b.ledger.of(key).chain,
    fraudster: false,
    unpaidBytes: seeder.debts.account(key).unpaid,
  };
}

/**
 * Bytes the seeder may still send before the policy refuses the peer (it is checked as each block
 * goes out): its balance less what it owes must stay at or above the threshold, its unpaid bytes
 * within the window; stock clients share the pool's allowance.
 */
export function headroom(facts: PeerFacts): number {
  if (!facts.hasExtension) return Math.max(0, STOCK_ALLOWANCE_BYTES - Number(facts.unpaidBytes));
  const byBalance = Number((facts.balance ?? 0n) - facts.unpaidBytes - DEFAULT_POLICY.thresholdBytes);
  return Math.max(0, Math.min(byBalance, UNPAID_WINDOW_BYTES - Number(facts.unpaidBytes)));
}

function pair(b: Books, payer: string, payee: string, bytes: number, kind: PairKind): void {
  b.ledger.pay(payer, payee, bytes, kind);
  const from = b.world.keyClass.get(payer)!;
  const to = b.world.keyClass.get(payee)!;
  b.debited.set(from, (b.debited.get(from) ?? 0) + bytes);
  b.credited.set(to, (b.credited.get(to) ?? 0) + bytes);
}

/**
 * Settles what a download owes its seeder: a `bandwidth` pair from the paying key (the exit, over a
 * circuit) to the seeder; over a circuit the downloader pays its first hop for the whole path plus
 * the data (one token per byte per hop), and each hop keeps one and passes the rest on as `payout`
 * pairs between neighbours.
 */
export function settle(b: Books, seeder: Peer, d: Download, bytes: number): void {
  if (bytes <= 0) return;
  const payer = seenKey(d);
  pair(b, payer, seeder.key, bytes, 'bandwidth');
  seeder.debts.account(payer).paid(BigInt(bytes));
  const c = d.circuit;
  if (c !== undefined) {
    const hops = c.relay === undefined ? [c.exit] : [c.relay, c.exit];
    let from = d.peer.key;
    let amount = bytes * (hops.length + 1);
    for (const hop of hops) {
      pair(b, from, hop.key, amount, 'payout');
      hop.stats.carried += bytes;
      from = hop.key;
      amount -= bytes;
    }
  }
  const mined = d.peer.mining?.files.get(d.file);
  if (d.mined && mined !== undefined) mined.paid += bytes;
  const earning = seeder.mining?.files.get(d.file);
  if (earning !== undefined) earning.earned += bytes;
}

/** Mints a ring member's claims: pairs its sink signs it, for service never given. */
export function mint(b: Books, sink: string, member: string, bytes: number): void {
  pair(b, sink, member, bytes, 'mint');
}
