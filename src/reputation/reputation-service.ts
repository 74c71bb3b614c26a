/**
 * Browser glue (thin): keeps the reputation worker fed from the ledger and
 * holds the latest trust from my own key's point of view: shown to the user,
 * and read by every decision that judges a peer.
 *
 * At start it feeds the pairs of the newest MAX_EDGES stored agreements (the
 * graph's bound; newest first, so a full graph keeps the newest); at most
 * RECOMPUTE_DEBOUNCE_MS after the first of a burst of ledger events it reads
 * what was stored since its last read (at most READ_STORED_PER_TIER per tier, one
 * query each: a cursor walk over the newest blocks on every burst held the
 * store from a crawl that was writing), feeds the pairs not fed before
 * (PairFeed) and recomputes. Reads and recomputes run one at a time. If the worker fails,
 * trust is unavailable (undefined) and peers are judged as newcomers.
 *
 * Decisions read it through `judge` (sharing threshold and slots, relay
 * admission) and `trust` (which relay announcements to keep).
 */
import { toHex } from '../codec/bytes.ts';
import { isAgreement, type HalfBlock } from '../ledger/block.ts';
import type { LedgerEvent } from '../ledger/ledger-service.ts';
import type { TransactionRegistry } from '../ledger/transactions/registry.ts';
import type { ReputationClient } from '../workers/reputation-client.ts';
import { MAX_EDGES, RECOMPUTE_DEBOUNCE_MS, READ_STORED_PER_TIER } from './constants.ts';
import { ContributionGraph, type Contribution } from './contribution-graph.ts';
import { PairFeed, type StoredPair } from './pair-feed.ts';
import { trustedStandings } from './reputation.ts';
import { trustedCredit, trustedNet, type Tally } from './trusted-balance.ts';
import { givingRate } from './giving-rate.ts';
import type { WhyPath } from './why-paths.ts';

/** What the service reads of the ledger and its store. */
export interface ReputationDeps {
  ledger: { publicKey: Uint8Array; subscribe(listener: (e: LedgerEvent) => void): () => void };
  store: {
    newestAgreements(limit: number): Promise<HalfBlock[]>;
    newestStoredAt(): Promise<number>;
    storedSince(since: number, limit: number): Promise<{ blocks: HalfBlock[]; through: number }>;
    agreementsFor(proposerKey: Uint8Array, proposalSeq: number): Promise<HalfBlock[]>;
    getMany(positions: readonly { publicKey: Uint8Array; seq: number }[]): Promise<(HalfBlock | undefined)[]>;
  };
  registry: TransactionRegistry;
  client: ReputationClient;
}

export class ReputationService {
  private readonly me: string;
  private readonly feed: PairFeed;
  /** Only the edges into my key: what trustedStanding scales scores by (the worker holds the rest). */
  private readonly toMe = new ContributionGraph();
  /** Total bytes each key is recorded as giving, in pairs fed (the raw figure beside trust). */
  private readonly given = new Map<string, bigint>();
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;
  private scores: ReadonlyMap<string, number> = new Map();
  private standingOf: (key: string) => bigint = () => 0n;
  /** Standing per byte of a typical giver (giving-rate.ts); undefined until enough keys stand in my view. */
  private rate: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> = Promise.resolve();
  private available = false;
  /** Where the next read of newly stored blocks starts (the store's clock). */
  private storedThrough = 0;
  /** The worker failed: no more feeding, trust stays unavailable. */
  private failed = false;
  private stopped = false;

  private constructor(private readonly deps: ReputationDeps) {
    this.me = toHex(deps.ledger.publicKey);
    this.feed = new PairFeed(deps.registry);
    this.unsubscribe = deps.ledger.subscribe(() => this.schedule());
  }

  /** Starts feeding from the stored blocks; returns at once (trust becomes available after the first recompute). */
  static start(deps: ReputationDeps): ReputationService {
    const service = new ReputationService(deps);
    service.sync('start');
    return service;
  }

  /** My trust score of a key (0..1), undefined until the first recompute or if the worker failed. */
  trust(keyHex: string): number | undefined {
    return this.available ? (this.scores.get(keyHex) ?? 0) : undefined;
  }

  /** A key's trusted standing in bytes (trustedStanding), undefined when trust is unavailable. */
  standing(keyHex: string): bigint | undefined {
    return this.available ? this.standingOf(keyHex) : undefined;
  }

  /** What a key's trusted standing is worth in bytes at the giving rate (trustedCredit): what I credit it at most. */
  trustedBytes(keyHex: string): bigint | undefined {
    const standing = this.standing(keyHex);
    return standing === undefined ? undefined : trustedCredit(standing, this.rate);
  }

  /** A key's verified balance as I count it (trusted-balance.ts): credits up to its trusted standing at the giving rate, every debit. */
  judge(keyHex: string, tally: Tally): bigint {
    return trustedNet(tally, this.standing(keyHex), this.available ? this.rate : undefined);
  }

  /** Why a key has my trust: the strongest paths from my key to it (why-paths.ts), [] when none; undefined when trust is unavailable. */
  async why(keyHex: string): Promise<WhyPath[] | undefined> {
    if (!this.available) return undefined;
    // A failing worker also fails the next recompute, which marks trust unavailable: here it only means no answer.
    return this.deps.client.explain([this.me], keyHex).catch(() => undefined);
  }

  /** Keys recorded as giving the most bytes in the pairs fed, most first, at most `limit`. */
  topGivers(limit: number): string[] {
    return [...this.given].sort((a, b) => (a[1] === b[1] ? 0 : a[1] > b[1] ? -1 : 1)).slice(0, limit).map(([k]) => k);
  }

  /** Called after each recompute. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe();
    this.deps.client.terminate();
  }

  private schedule(): void {
    // The first event of a burst sets the timer and later ones join it: a steady stream of blocks (a long transfer) cannot postpone the recompute forever.
    if (this.stopped || this.failed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sync('since');
    }, RECOMPUTE_DEBOUNCE_MS);
  }

  private sync(read: 'start' | 'since'): void {
    this.running = this.running.then(() => this.feedAndRecompute(read)).catch(() => {
      // The worker crashed or was stopped: trust is unavailable, the app runs on without it.
      this.available = false;
      this.failed = true;
      for (const l of this.listeners) l();
    });
  }

  /** The pairs to feed: at start the newest MAX_EDGES agreements, later what was stored since the last read. */
  private async readPairs(read: 'start' | 'since'): Promise<StoredPair[]> {
    const { store } = this.deps;
    if (read === 'start') {
      // Read first: a block stored while the agreements are read is read again later, never missed.
      this.storedThrough = await store.newestStoredAt();
      return this.withProposals(await store.newestAgreements(MAX_EDGES), new Map());
    }
    const { blocks, through } = await store.storedSince(this.storedThrough, READ_STORED_PER_TIER);
    this.storedThrough = through;
    const agreements = blocks.filter(isAgreement);
    const proposals = new Map(blocks.filter((b) => !isAgreement(b)).map((b) => [positionOf(b.publicKey, b.sequenceNumber), b]));
    const answered = new Set(agreements.map((a) => positionOf(a.linkPublicKey, a.linkSequenceNumber)));
    // A proposal stored after its agreement (a counterparty's chain crawled first) completes that pair now.
    const late = await Promise.all([...proposals].filter(([position]) => !answered.has(position)).map(([, p]) => store.agreementsFor(p.publicKey, p.sequenceNumber)));
    return this.withProposals([...agreements, ...late.flat()], proposals);
  }

  /** Each agreement with its proposal: from `known` (a crawl stores both halves together), else from the store. */
  private async withProposals(agreements: readonly HalfBlock[], known: Map<string, HalfBlock>): Promise<StoredPair[]> {
    const missing = agreements.filter((a) => !known.has(positionOf(a.linkPublicKey, a.linkSequenceNumber)));
    const found = await this.deps.store.getMany(missing.map((a) => ({ publicKey: a.linkPublicKey, seq: a.linkSequenceNumber })));
    missing.forEach((a, i) => found[i] !== undefined && known.set(positionOf(a.linkPublicKey, a.linkSequenceNumber), found[i]));
    return agreements.map((agreement) => ({ agreement, proposal: known.get(positionOf(agreement.linkPublicKey, agreement.linkSequenceNumber)) }));
  }

  private async feedAndRecompute(read: 'start' | 'since'): Promise<void> {
    if (this.stopped || this.failed) return;
    const { client } = this.deps;
    const fresh = this.feed.take(await this.readPairs(read));
    if (fresh.length === 0 && this.available) return;
    this.record(fresh);
    if (fresh.length > 0) await client.add(fresh);
    const { scores } = await client.recompute([this.me]);
    if (this.stopped) return;
    this.scores = scores;
    this.standingOf = trustedStandings(this.toMe, [this.me], scores);
    this.rate = givingRate(this.given, this.standingOf, new Set([this.me]));
    this.available = true;
    for (const l of this.listeners) l();
  }

  private record(fresh: readonly Contribution[]): void {
    for (const c of fresh) {
      if (c.to === this.me) this.toMe.add(c);
      this.given.set(c.from, (this.given.get(c.from) ?? 0n) + c.bytes);
    }
  }
}

const positionOf = (publicKey: Uint8Array, seq: number): string => `${toHex(publicKey)}:${seq}`;
