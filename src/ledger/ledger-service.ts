/**
 * The running ledger of a peer: its own chain, countersigning, crawling,
 * gossip of block pairs and fraud proofs (judged here, spread by the transport's
 * gossip channel: GossipSub in tabs), a background crawler, and sanctions
 * against fraudsters. Works over any LedgerTransport (libp2p in tabs, an
 * in-memory hub in Node tests).
 */
import { bytesEqual, toHex } from '../codec/bytes.ts';
import { isAgreement, isProposal, type HalfBlock } from './block.ts';
import { encodeBlock } from './block-codec.ts';
import { balanceOf, type Balance } from './balance.ts';
import { checkProposal, signWith, unsignedAgreement, unsignedProposal, type RefusalCode } from './chain.ts';
import type { MessageSigner } from '../crypto/signers.ts';
import { CONTEXT_BLOCKS, CRAWL_INGEST_BLOCKS, CRAWL_PAGES_IN_FLIGHT, GENESIS_SEQ, LEDGER_TIMINGS, MAX_CRAWL_BLOCKS, SENDER_BURST_PROOFS, SENDER_PROOFS_PER_MINUTE } from './constants.ts';
import { fitResponse, resolveCrawlRange } from './crawl.ts';
import { makeFraudProof, verifyFraudProof, type FraudProof } from './fraud.ts';
import type { GossipVerdict } from '../net/gossip-channel.ts';
import type { IdbBlockStore, StoredFraud } from './idb-store.ts';
import type { BlockReads } from './idb-block-reads.ts';
import { Ingestor, type IngestResult } from './ingest.ts';
import { isLinkedPair, ownAndLinked, SenderBuckets } from './intake-limits.ts';
import { PeerUnreachableError, type LedgerChannel, type LedgerTransport, type PeerRef } from './ledger-transport.ts';
import { MAX_CONTEXT_BLOCKS, MAX_CRAWL_RESPONSE_BLOCKS, MAX_LEDGER_FRAME_BYTES, type LedgerMessage } from './ledger-wire.ts';
import type { GossipPayload } from './ledger-gossip-wire.ts';
import { OwnChain } from './own-chain.ts';
import type { TokenAmounts, TransactionRegistry } from './transactions/registry.ts';
import type { SignatureVerifier } from './verifier.ts';
import type { LedgerSeams } from './seams.ts';
import { neighbourhoodIn, validateBlock, type ValidationOutcome } from './validation.ts';
import { loadWindow } from './window.ts';
import { EMPTY_TALLY, extendTally, isConfirmed, unconfirmedUp, type PairLookup, type VerifiedTally } from './verified-balance.ts';


/** Chain owners remembered as background crawl targets. */
const RECENT_OWNERS = 256;

export class SignRefusedError extends Error {
  override name = 'SignRefusedError';
  constructor(
    readonly code: RefusalCode,
    readonly reason: string,
  ) {
    super(`The peer refused to countersign: ${reason}`);
  }
}

export class FraudsterError extends Error {
  override name = 'FraudsterError';
  constructor() {
    super('This peer is a proven fraudster (it signed a fork of its chain); Trustmesh does not transact with it.');
  }
}

export type { LedgerChannel } from './ledger-transport.ts';

/** One way to ask a peer: over the ledger's own transport (no channel) or over a channel. */
export interface LedgerRoute {
  peer: PeerRef;
  channel?: LedgerChannel | undefined;
}

export interface VerifiedBalance {
  /** Credits from complete pairs only (both parties signed the amount). */
  up: bigint;
  /** Every debit the owner signed, whether or not the other half is known. */
  down: bigint;
  net: bigint;
  /** Credits whose other half is missing or does not match: counted as zero. */
  unconfirmedUp: bigint;
  /** Blocks 1..through are counted. */
  through: number;
  head: number;
  /**
   * Every block 1..head is known and tallied. Unconfirmed credits do not make
   * a balance incomplete: they count as zero, so `net` can only understate,
   * and a debtor must not escape a refusal (as an unverified newcomer) by
   * adding one unmatched half to its chain.
   */
  complete: boolean;
}

export interface ChainEntry {
  block: HalfBlock;
  outcome: ValidationOutcome;
  errors: string[];
  /** A proposal's agreement or an agreement's proposal, if stored. */
  linked: HalfBlock | undefined;
  tokens: TokenAmounts | undefined;
  /** A credit whose other half is missing or does not match: it counts for nothing. */
  unconfirmed: boolean;
}

export type AcceptancePolicy = (request: { proposal: HalfBlock; from: PeerRef }) => Promise<true | string> | true | string;

export type LedgerEvent =
  | { type: 'own-chain'; block: HalfBlock }
  | { type: 'fraud'; offender: Uint8Array; proof: FraudProof }
  | { type: 'ingested'; added: number }
  | { type: 'refused'; by: PeerRef; code: RefusalCode; reason: string };

export interface LedgerServiceOptions {
  signer: MessageSigner;
  store: IdbBlockStore;
  registry: TransactionRegistry;
  verifier: SignatureVerifier;
  transport: LedgerTransport;
  now: () => number;
  random: () => number;
  /** Background crawling (off in unit tests that drive crawls by hand). */
  background?: boolean;
  /** Test builds only: where hostile behaviour is injected (see seams.ts). */
  seams?: LedgerSeams | undefined;
}

export class LedgerService {
  private readonly ingestor: Ingestor;
  /** Blocks each sender may still make us store (gossip, unasked crawl answers, sign-request context). */
  private readonly intake: SenderBuckets;
  /** Fraud proofs each sender may still pass us (their own bucket: see SENDER_PROOFS_PER_MINUTE). */
  private readonly proofIntake: SenderBuckets;
  private readonly recentOwners: string[] = [];
  private readonly policies = new Map<string, AcceptancePolicy>();
  /** Sign requests being decided, by proposal: a repeat (the first timed out at its sender) shares the first's answer. */
  private readonly deciding = new Map<string, Promise<LedgerMessage>>();
  /** Settled prefix tallies of verified balances, per chain. */
  private readonly tallies = new Map<string, VerifiedTally>();
  private readonly listeners = new Set<(e: LedgerEvent) => void>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private stopped = false;

  private constructor(
    private readonly o: LedgerServiceOptions,
    readonly own: OwnChain,
  ) {
    this.ingestor = new Ingestor(o.store, o.registry, o.verifier, o.signer.publicKey, o.seams);
    this.intake = new SenderBuckets(o.now);
    this.proofIntake = new SenderBuckets(o.now, SENDER_PROOFS_PER_MINUTE, SENDER_BURST_PROOFS);
  }

  static async start(o: LedgerServiceOptions): Promise<LedgerService> {
    const service = new LedgerService(o, await OwnChain.load(o.store, o.signer.publicKey, o.registry, o.seams));
    o.transport.serve((from, m) => service.handle(from, m));
    o.transport.gossip.subscribe((from, payload) => service.judgeGossip(from, payload));
    if (o.background !== false) {
      service.timers.push(setInterval(() => void service.crawlSample(), LEDGER_TIMINGS.crawlIntervalMs * (0.75 + o.random() / 2)));
    }
    return service;
  }

  get publicKey(): Uint8Array {
    return this.o.signer.publicKey;
  }

  subscribe(listener: (e: LedgerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: LedgerEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Who may countersign what: without a policy for a type, its proposals are refused. */
  setAcceptancePolicy(type: string, policy: AcceptancePolicy | undefined): void {
    if (policy === undefined) this.policies.delete(type);
    else this.policies.set(type, policy);
  }

  isFraudster(publicKey: Uint8Array): boolean {
    return this.o.store.isFraudster(publicKey);
  }

  fraudProofs(): Promise<StoredFraud[]> {
    return this.o.store.fraudProofs();
  }

  balance(chain: readonly HalfBlock[]): Balance {
    return balanceOf(chain, this.o.registry);
  }

  ownTotals(): TokenAmounts | undefined {
    return this.own.tokenTotals;
  }

  usage(): ReturnType<IdbBlockStore['usage']> {
    return this.o.store.usage();
  }

  /** The newest `limit` blocks of the own chain, newest first. */
  async ownChain(limit = 100): Promise<HalfBlock[]> {
    const head = this.own.latest;
    if (head === undefined) return [];
    return (await this.o.store.range(this.publicKey, Math.max(1, head.sequenceNumber - limit + 1), head.sequenceNumber)).reverse();
  }

  /** The linked half of a block, if known (a proposal's agreement, an agreement's proposal). */
  async linkedHalf(block: HalfBlock): Promise<HalfBlock | undefined> {
    if (isAgreement(block)) return this.o.store.get(block.linkPublicKey, block.linkSequenceNumber);
    return (await this.o.store.agreementsFor(block.publicKey, block.sequenceNumber))[0];
  }

  /**
   * The newest `limit` blocks of any stored chain, newest first, each with its
   * validation against the store and its linked half (for the ledger page and tests).
   */
  async inspectChain(publicKey: Uint8Array, limit = 100): Promise<ChainEntry[]> {
    const latest = await this.o.store.latest(publicKey);
    if (latest === undefined) return [];
    const blocks = await this.o.store.range(publicKey, Math.max(1, latest.sequenceNumber - limit + 1), latest.sequenceNumber);
    const view = await loadWindow(this.o.store, blocks, (t) => this.o.registry.isTokenType(t));
    return blocks.reverse().map((block) => {
      // Stored blocks had their signatures verified on the way in.
      const stored = view.getSync(block.publicKey, block.sequenceNumber) ?? block;
      const result = validateBlock(stored, neighbourhoodIn(view, stored, this.o.registry), this.o.registry, () => true);
      const linked = isAgreement(block) ? view.getSync(block.linkPublicKey, block.linkSequenceNumber) : view.agreementsForSync(block.publicKey, block.sequenceNumber)[0];
      const tokens = this.o.registry.tokensOf(block) ?? undefined;
      const lookup: PairLookup = { agreementsTo: (seq) => view.agreementsForSync(publicKey, seq), proposalOf: (a) => view.getSync(a.linkPublicKey, a.linkSequenceNumber) };
      const unconfirmed = tokens !== undefined && tokens.up > 0n && !isConfirmed(stored, lookup, this.o.registry);
      return { block, outcome: result.outcome, errors: result.errors, linked, tokens, unconfirmed };
    });
  }

  /**
   * The own chain and every half linked to it, encoded: what an identity backup
   * must carry so that a restored identity continues its chain instead of forking it.
   */
  async backupRecords(): Promise<Uint8Array[]> {
    const head = this.own.latest;
    if (head === undefined) return [];
    const [own, agreements] = await Promise.all([this.o.store.range(this.publicKey, 1, head.sequenceNumber), this.o.store.agreementsInRange(this.publicKey, 1, head.sequenceNumber)]);
    const proposals = await this.o.store.getMany(own.filter(isAgreement).map((b) => ({ publicKey: b.linkPublicKey, seq: b.linkSequenceNumber })));
    return [...own, ...agreements, ...proposals.filter((p): p is HalfBlock => p !== undefined)].map((b) => encodeBlock(b));
  }

  // ---- proposing -------------------------------------------------------------

  /**
   * Signs a proposal to `peer` (committed durably first) and asks for its
   * agreement, retrying on timeouts. `transaction` builds the bytes from our
   * running totals. Resolves with the stored pair. When the peer does not
   * answer, the same proposal is asked for again over each of `otherRoutes`
   * (the same key, reached another way), so no proposal is left dangling
   * because one connection was slow or gone.
   */
  async propose(
    peer: PeerRef,
    type: string,
    transaction: (ownTotals: TokenAmounts | undefined) => Uint8Array,
    channel?: LedgerChannel,
    otherRoutes: readonly LedgerRoute[] = [],
  ): Promise<{ proposal: HalfBlock; agreement: HalfBlock; /** 0: the first route, 1..: otherRoutes[i - 1]. */ routeIndex: number }> {
    if (otherRoutes.some((r) => !bytesEqual(r.peer.publicKey, peer.publicKey))) throw new Error('every route of a proposal must lead to the same key');
    const proposal = await this.signProposal(peer, type, transaction);
    const routes: LedgerRoute[] = [{ peer, channel }, ...otherRoutes];
    for (let i = 0; ; i++) {
      try {
        return { ...(await this.requestAgreement(routes[i]!.peer, proposal!, routes[i]!.channel)), routeIndex: i };
      } catch (err) {
        // A refusal is an answer; only silence moves on to the next route.
        if (err instanceof SignRefusedError || i === routes.length - 1) throw err;
      }
    }
  }

  /**
   * Signs a proposal to `peer` and commits it durably, without asking for its
   * agreement yet (see requestAgreement). Once signed it is a debit in our
   * chain whether or not it is ever countersigned: a caller whose request
   * went unanswered asks again for this proposal, never signs another for
   * the same tokens.
   */
  async signProposal(peer: PeerRef, type: string, transaction: (ownTotals: TokenAmounts | undefined) => Uint8Array): Promise<HalfBlock> {
    if (this.isFraudster(peer.publicKey)) throw new FraudsterError();
    const [proposal] = await this.own.sign(async (head, totals) => [await signWith(this.o.signer, unsignedProposal(this.publicKey, head, peer.publicKey, type, transaction(totals), this.o.now()))]);
    return proposal!;
  }

  /** The peer with this key on a direct connection of the ledger's own transport, if any. */
  directPeer(publicKey: Uint8Array): PeerRef | undefined {
    return this.o.transport.peers().find((p) => bytesEqual(p.publicKey, publicKey));
  }

  /** Asks for (or again for) the agreement to one of our proposals. Idempotent on the other side. */
  async requestAgreement(peer: PeerRef, proposal: HalfBlock, channel?: LedgerChannel): Promise<{ proposal: HalfBlock; agreement: HalfBlock }> {
    const context = await this.contextFor(proposal);
    const res = await this.requestWithRetries(peer, { type: 'sign-request', proposal, context }, LEDGER_TIMINGS.signTimeoutMs, channel);
    if (res.type === 'sign-refused') {
      this.emit({ type: 'refused', by: peer, code: res.code, reason: res.reason });
      throw new SignRefusedError(res.code, res.reason);
    }
    if (res.type !== 'sign-response') throw new PeerUnreachableError(`unexpected answer ${res.type}`);
    const agreement = res.agreement;
    if (!bytesEqual(agreement.publicKey, peer.publicKey) || !bytesEqual(agreement.linkPublicKey, this.publicKey) || agreement.linkSequenceNumber !== proposal.sequenceNumber) {
      throw new PeerUnreachableError('the answer is not an agreement to this proposal');
    }
    const { validated, fraud } = await this.ingestor.validateBatch([agreement]);
    // A second agreement at one position (one identity on two devices) is caught here, by the only peer that sees both.
    for (const p of fraud) await this.recordFraud(p);
    const verdict = validated.find((v) => v.block === agreement)?.result;
    if (this.isFraudster(peer.publicKey)) throw new FraudsterError();
    if (verdict === undefined || verdict.outcome === 'invalid') throw new PeerUnreachableError(`invalid agreement: ${verdict?.errors.join('; ') ?? 'unknown'}`);
    const [stored] = await this.o.store.putMany([agreement], 'strict', 'pinned');
    if (stored === 'conflict') {
      // Another agreement took this position between our validation and our write (two answers at once): the same fork.
      const rival = await this.o.store.get(agreement.publicKey, agreement.sequenceNumber);
      if (rival !== undefined) await this.recordFraud(makeFraudProof('double-sign', rival, agreement));
      throw new FraudsterError();
    }
    this.emit({ type: 'own-chain', block: proposal });
    // Both signers publish the pair, each to its own neighbours.
    void this.publish({ kind: 'pair', proposal, agreement });
    return { proposal, agreement };
  }

  /**
   * A request, retried on timeouts and unreachable peers (a dead connection is
   * dropped by the transport and the peer redials). Requests are idempotent.
   */
  private async requestWithRetries(peer: PeerRef, message: LedgerMessage, timeoutMs: number, channel?: LedgerChannel): Promise<LedgerMessage> {
    let lastError: Error = new PeerUnreachableError('no attempt made');
    for (let attempt = 0; attempt < LEDGER_TIMINGS.signAttempts; attempt++) {
      if (attempt > 0) await sleep(LEDGER_TIMINGS.signRetryDelayMs * attempt);
      try {
        return await (channel === undefined ? this.o.transport.request(peer, message, timeoutMs) : channel.request(message, timeoutMs));
      } catch (err) {
        lastError = err as Error;
      }
    }
    throw new PeerUnreachableError(`${peer.id.slice(-8)} did not answer after ${LEDGER_TIMINGS.signAttempts} attempts: ${lastError.message}`);
  }

  /**
   * Our blocks before `proposal` that its counterparty may lack (and their linked halves), so it
   * can check our totals without crawling. It holds every block of a pair we made with it and,
   * having checked that block's history then, all before it: the context starts after the newest
   * such block. Paying one peer in a stream, that is the proposal still in flight, not five pairs
   * to read, send and verify again each round. Less context only ever costs the peer a crawl.
   */
  private async contextFor(proposal: HalfBlock): Promise<HalfBlock[]> {
    const own = await this.o.store.range(this.publicKey, Math.max(1, proposal.sequenceNumber - CONTEXT_BLOCKS), proposal.sequenceNumber - 1);
    const context: HalfBlock[][] = [];
    for (const b of own.reverse()) {
      const withPeer = bytesEqual(b.linkPublicKey, proposal.linkPublicKey);
      if (withPeer && isAgreement(b)) break;
      const half = await this.linkedHalf(b);
      if (withPeer && half !== undefined && bytesEqual(half.publicKey, proposal.linkPublicKey)) break;
      context.unshift(half === undefined ? [b] : [b, half]);
    }
    return context.flat().slice(0, MAX_CONTEXT_BLOCKS);
  }

  // ---- serving ---------------------------------------------------------------

  /**
   * Answers a ledger message from a peer. `channel` reaches that peer when it
   * is not on the ledger's own transport (the BitTorrent wire), e.g. to crawl
   * a proposer's history before countersigning.
   */
  async serve(from: PeerRef, m: LedgerMessage, channel?: LedgerChannel): Promise<LedgerMessage | undefined> {
    return this.handle(from, m, channel);
  }

  private async handle(from: PeerRef, m: LedgerMessage, channel?: LedgerChannel): Promise<LedgerMessage | undefined> {
    if (this.stopped) return undefined;
    switch (m.type) {
      case 'sign-request':
        return this.onSignRequestOnce(from, m.proposal, m.context, channel);
      case 'crawl-request':
        return this.onCrawlRequest(m.publicKey, m.start, m.end, m.limit);
      default:
        return undefined;
    }
  }

  private refuse(code: RefusalCode, reason: string): LedgerMessage {
    return { type: 'sign-refused', code, reason };
  }

  /**
   * Decides each proposal once at a time. A policy may use up what it accepts
   * (a relay's payout announcement): asked again while the first request was
   * still being decided, it refused the repeat, and an honest payer whose
   * first request timed out under load counted its payment as refused.
   */
  private async onSignRequestOnce(from: PeerRef, proposal: HalfBlock, context: HalfBlock[], channel?: LedgerChannel): Promise<LedgerMessage> {
    // Only its owner shares in a proposal's answer: another peer's copy must not race it to a refusal.
    if (!bytesEqual(proposal.publicKey, from.publicKey)) return this.refuse('invalid', 'a peer can only ask to countersign its own proposals');
    const key = `${toHex(proposal.publicKey)}:${proposal.sequenceNumber}:${toHex(proposal.signature)}`;
    const under = this.deciding.get(key);
    if (under !== undefined) return under;
    const answer = this.onSignRequest(from, proposal, context, channel).finally(() => this.deciding.delete(key));
    this.deciding.set(key, answer);
    return answer;
  }

  private async onSignRequest(from: PeerRef, proposal: HalfBlock, context: HalfBlock[], channel?: LedgerChannel): Promise<LedgerMessage> {
    if (this.isFraudster(proposal.publicKey)) return this.refuse('fraudster', 'you are a proven fraudster');
    const mine = (await this.o.store.agreementsFor(proposal.publicKey, proposal.sequenceNumber)).find((a) => bytesEqual(a.publicKey, this.publicKey));
    if (mine !== undefined) return { type: 'sign-response', agreement: mine };

    // Context is the proposer's own history and the halves linked to it; anything else is dropped.
    const ownContext = this.admit(from, ownAndLinked(proposal.publicKey, context));
    if (ownContext.length > 0) await this.absorb(await this.ingestor.ingest(ownContext));
    let decision = await this.decide(proposal, false);
    if (decision.action === 'crawl') {
      await this.crawl(from, decision.publicKey, decision.fromSeq, decision.toSeq, channel).catch(() => undefined);
      decision = await this.decide(proposal, true);
    }
    if (decision.action === 'refuse') return this.refuse(decision.code, decision.reason);
    if (decision.action === 'crawl') return this.refuse('unknown-history', 'your recent chain could not be checked');

    const policy = this.policies.get(proposal.type);
    const verdict = policy === undefined ? `this peer does not countersign ${proposal.type} transactions it did not ask for` : await policy({ proposal, from });
    if (verdict !== true) return this.refuse('policy', verdict);

    const type = this.o.registry.get(proposal.type);
    let agreement: HalfBlock | undefined;
    await this.own.sign(async (head, totals) => {
      // Two requests for the same proposal may race: the second finds the first's agreement.
      const again = (await this.o.store.agreementsFor(proposal.publicKey, proposal.sequenceNumber)).find((a) => bytesEqual(a.publicKey, this.publicKey));
      if (again !== undefined) {
        agreement = again;
        return [];
      }
      const tx = type?.agreementFor !== undefined ? type.encode(type.agreementFor(type.decode(proposal.transaction), totals)) : proposal.transaction;
      agreement = await signWith(this.o.signer, unsignedAgreement(this.publicKey, head, proposal, tx, this.o.now()));
      return [agreement, proposal];
    });
    const signed = agreement!;
    this.emit({ type: 'own-chain', block: signed });
    void this.publish({ kind: 'pair', proposal, agreement: signed });
    return { type: 'sign-response', agreement: signed };
  }

  private async decide(proposal: HalfBlock, crawled: boolean): Promise<ReturnType<typeof checkProposal>> {
    const { validated, fraud } = await this.ingestor.validateBatch([proposal]);
    for (const p of fraud) await this.recordFraud(p);
    const validation = validated.find((v) => v.block === proposal)?.result ?? { outcome: 'invalid' as const, errors: ['not validated'] };
    const knownContext = await this.o.store.range(proposal.publicKey, Math.max(1, proposal.sequenceNumber - CONTEXT_BLOCKS), proposal.sequenceNumber - 1);
    return checkProposal(proposal, { me: this.publicKey, validation, isFraudster: this.isFraudster(proposal.publicKey), knownContext, crawled });
  }

  private async onCrawlRequest(publicKey: Uint8Array, start: number, end: number, limit: number): Promise<LedgerMessage> {
    // One read transaction. A range counted from the chain's start (a whole-chain crawl's pages) is read with the head, in one round.
    const store = this.o.store.batchReader();
    const most = Math.min(limit, MAX_CRAWL_BLOCKS);
    const asked = start >= GENESIS_SEQ && end >= start ? { from: start, to: Math.min(end, start + most - 1) } : undefined;
    const ahead = asked === undefined ? undefined : Promise.all([store.range(publicKey, asked.from, asked.to), store.agreementsInRange(publicKey, asked.from, asked.to)]);
    ahead?.catch(() => undefined); // awaited below unless the head read fails first
    const latest = await store.latest(publicKey);
    const range = latest === undefined ? undefined : resolveCrawlRange(start, end, latest.sequenceNumber, most);
    if (latest === undefined || range === undefined) return { type: 'crawl-response', latestSeq: latest?.sequenceNumber ?? 0, blocks: [] };
    // The owner's blocks and their linked halves, with range queries rather than one lookup per block; what was read
    // ahead is cut to the range the head allows.
    const read = await ahead;
    const [owned, agreements] =
      read === undefined
        ? await Promise.all([store.range(publicKey, range.from, range.to), store.agreementsInRange(publicKey, range.from, range.to)])
        : [read[0].filter((b) => b.sequenceNumber <= range.to), read[1].filter((a) => a.linkSequenceNumber <= range.to)];
    const answered = owned.filter(isAgreement);
    const proposals = answered.length === 0 ? [] : await store.getMany(answered.map((b) => ({ publicKey: b.linkPublicKey, seq: b.linkSequenceNumber })));
    const agreementTo = new Map(agreements.map((a) => [a.linkSequenceNumber, a]));
    const items: HalfBlock[] = [];
    let p = 0;
    for (const b of owned) {
      items.push(b);
      const half = isAgreement(b) ? proposals[p++] : agreementTo.get(b.sequenceNumber);
      if (half !== undefined) items.push(half);
    }
    const blocks = fitResponse(items, (b) => encodeBlock(b).length + 2, MAX_LEDGER_FRAME_BYTES - 64).slice(0, MAX_CRAWL_RESPONSE_BLOCKS);
    return { type: 'crawl-response', latestSeq: latest.sequenceNumber, blocks };
  }

  /**
   * The verified balance of any chain in the store: credits count only from
   * complete pairs, debits always (see verified-balance.ts). Incremental: each
   * chain's settled prefix is tallied once; a credit awaiting its other half
   * is looked at again on every call until it arrives. `complete` is false
   * while blocks 1..head are not all known.
   */
  async verifiedBalance(publicKey: Uint8Array): Promise<VerifiedBalance> {
    const key = toHex(publicKey);
    let tally = this.tallies.get(key) ?? EMPTY_TALLY;
    const store = this.o.store.batchReader();
    const head = (await store.latest(publicKey))?.sequenceNumber ?? 0;
    if (head > tally.through || tally.pending.length > 0) {
      const blocks = head > tally.through ? await store.range(publicKey, tally.through + 1, head) : [];
      tally = extendTally(tally, blocks, await this.pairLookup(store, publicKey, tally, blocks), this.o.registry);
      this.tallies.set(key, tally);
    }
    return { up: tally.up, down: tally.down, net: tally.up - tally.down, unconfirmedUp: unconfirmedUp(tally, this.o.registry), through: tally.through, head, complete: tally.through === head };
  }

  /** The stored other halves of a chain's pending credits and of its blocks after the tally, in a few queries. */
  private async pairLookup(store: BlockReads, publicKey: Uint8Array, tally: VerifiedTally, blocks: readonly HalfBlock[]): Promise<PairLookup> {
    const last = blocks.at(-1)?.sequenceNumber ?? tally.through;
    const answered = [...tally.pending, ...blocks].filter(isAgreement);
    const [fresh, proposals, ...again] = await Promise.all([
      last > tally.through ? store.agreementsInRange(publicKey, tally.through + 1, last) : [],
      store.getMany(answered.map((b) => ({ publicKey: b.linkPublicKey, seq: b.linkSequenceNumber }))),
      ...tally.pending.filter(isProposal).map((p) => store.agreementsFor(publicKey, p.sequenceNumber)),
    ]);
    const agreementsTo = new Map<number, HalfBlock[]>();
    for (const a of [...fresh!, ...again.flat()]) agreementsTo.set(a.linkSequenceNumber, [...(agreementsTo.get(a.linkSequenceNumber) ?? []), a]);
    const position = (b: HalfBlock): string => `${toHex(b.linkPublicKey)}:${b.linkSequenceNumber}`;
    const proposalOf = new Map(answered.map((a, i) => [position(a), (proposals as (HalfBlock | undefined)[])[i]]));
    return { agreementsTo: (seq) => agreementsTo.get(seq) ?? [], proposalOf: (a) => proposalOf.get(position(a)) };
  }

  /** Validates and stores blocks that arrived some other way (e.g. a peer's balance proof on the BitTorrent wire). */
  async ingestBlocks(blocks: readonly HalfBlock[]): Promise<IngestResult> {
    const result = await this.ingestor.ingest(blocks);
    await this.absorb(result);
    return result;
  }

  // ---- crawling --------------------------------------------------------------

  /**
   * Asks `peers` for the tail of our own chain and adopts a later own block
   * (stored durably) as our head: a restored identity must not sign at a
   * position its other copy already used. Returns how many peers answered and
   * the head we sign after.
   */
  async syncOwnHead(peers: readonly PeerRef[]): Promise<{ answered: number; head: number }> {
    let answered = 0;
    await Promise.all(
      peers.map(async (peer) => {
        try {
          const res = await this.o.transport.request(peer, { type: 'crawl-request', publicKey: this.publicKey, start: -1, end: -1, limit: 1 }, LEDGER_TIMINGS.ownHeadSyncMs);
          if (res.type !== 'crawl-response') return;
          answered++;
          if (res.latestSeq > (this.own.latest?.sequenceNumber ?? 0)) await this.absorb(await this.ingestor.ingest(ownAndLinked(this.publicKey, res.blocks), { durability: 'strict', requested: true }));
        } catch {
          // A peer that does not answer knows nothing we can use.
        }
      }),
    );
    const head = await this.own.adoptStoredHead();
    return { answered, head: head?.sequenceNumber ?? 0 };
  }

  /**
   * For a restored identity: holds every signature until our own head was
   * asked of the first peers we reach, or LEDGER_TIMINGS.ownHeadSyncMs passed.
   * Resolves whether a peer answered (then the restore is settled).
   */
  syncOwnHeadBeforeSigning(): Promise<boolean> {
    const deadline = this.o.now() + LEDGER_TIMINGS.ownHeadSyncMs;
    const synced = (async (): Promise<boolean> => {
      while (!this.stopped && this.o.transport.peers().length === 0 && this.o.now() < deadline) await sleep(LEDGER_TIMINGS.ownHeadPeerPollMs);
      const peers = this.o.transport.peers();
      return peers.length > 0 && (await this.syncOwnHead(peers)).answered > 0;
    })();
    this.own.holdSigning(synced, LEDGER_TIMINGS.ownHeadSyncMs);
    return synced;
  }

  /** Fetches part of `publicKey`'s chain from `peer`, validates and stores it. Retries like sign requests. */
  async crawl(peer: PeerRef, publicKey: Uint8Array, start: number, end: number, channel?: LedgerChannel): Promise<IngestResult & { latestSeq: number }> {
    const res = await this.requestWithRetries(peer, { type: 'crawl-request', publicKey, start, end, limit: MAX_CRAWL_BLOCKS }, LEDGER_TIMINGS.crawlTimeoutMs, channel);
    if (res.type !== 'crawl-response') throw new PeerUnreachableError(`unexpected answer ${res.type}`);
    // Only what we asked for is kept, and a part of a chain counts against its sender's limit.
    const range = resolveCrawlRange(start, end, res.latestSeq, MAX_CRAWL_BLOCKS);
    const asked = range === undefined ? [] : ownAndLinked(publicKey, res.blocks, (seq) => seq >= range.from && seq <= range.to);
    const result = await this.ingestor.ingest(this.admit(peer, asked), { requested: true });
    await this.absorb(result);
    return { ...result, latestSeq: res.latestSeq };
  }

  /**
   * Crawls a whole chain: CRAWL_PAGES_IN_FLIGHT pages are asked for at once,
   * and what arrives is validated and stored in order, CRAWL_INGEST_BLOCKS at
   * a time (one store transaction per batch), while the next pages come in.
   * `onPage` reports progress after each batch stored.
   */
  async crawlChain(peer: PeerRef, publicKey: Uint8Array, onPage?: (fetched: number, latest: number) => void, channel?: LedgerChannel, fromSeq = 1): Promise<number> {
    if (channel !== undefined) return this.crawlPages(peer, publicKey, onPage, channel, fromSeq);
    // Over the ledger's own transport, every page goes on one stream rather than a stream each.
    const session = this.o.transport.session(peer);
    try {
      return await this.crawlPages(peer, publicKey, onPage, session, fromSeq);
    } finally {
      void session.close(); // waits for answers still in flight (each bounded by its timeout); nobody needs to wait for that
    }
  }

  private async crawlPages(peer: PeerRef, publicKey: Uint8Array, onPage: ((fetched: number, latest: number) => void) | undefined, channel: LedgerChannel, fromSeq: number): Promise<number> {
    const ask = (from: number): { from: number; answer: Promise<LedgerMessage> } => {
      const answer = this.requestWithRetries(peer, { type: 'crawl-request', publicKey, start: from, end: from + MAX_CRAWL_BLOCKS - 1, limit: MAX_CRAWL_BLOCKS }, LEDGER_TIMINGS.crawlTimeoutMs, channel);
      answer.catch(() => undefined); // awaited in order below; a later page failing after an earlier one threw is not unhandled
      return { from, answer };
    };
    let fetched = 0;
    let latest = 0;
    const store = async (blocks: HalfBlock[]): Promise<void> => {
      const result = await this.ingestor.ingest(blocks, { requested: true });
      await this.absorb(result);
      fetched += result.validated.filter((v) => v.result.outcome !== 'invalid' && bytesEqual(v.block.publicKey, publicKey)).length;
      onPage?.(fetched, latest);
    };
    // The first answer says how long the chain is; then the pages after it are asked for together.
    const inFlight = [ask(fromSeq)];
    let nextFrom = fromSeq + MAX_CRAWL_BLOCKS;
    let batch: HalfBlock[] = [];
    let storing: Promise<void> = Promise.resolve();
    while (inFlight.length > 0) {
      const { from, answer } = inFlight.shift()!;
      const res = await answer;
      if (res.type !== 'crawl-response') throw new PeerUnreachableError(`unexpected answer ${res.type}`);
      latest = res.latestSeq;
      const to = Math.min(from + MAX_CRAWL_BLOCKS - 1, latest);
      // We asked for the whole chain, so it is not held to the sender's limit; anything else in the answer is dropped.
      const asked = ownAndLinked(publicKey, res.blocks, (seq) => seq >= from && seq <= to);
      const owned = asked.filter((b) => bytesEqual(b.publicKey, publicKey)).map((b) => b.sequenceNumber);
      const last = Math.max(...owned);
      // Nothing in a range the sender claims to hold: it has a gap there, and nothing after can be validated.
      if (owned.length === 0) {
        inFlight.length = 0;
        nextFrom = Number.POSITIVE_INFINITY;
      }
      // An answer cut short by the frame size: the rest of its range comes next, before the pages after it.
      else if (last < to) inFlight.unshift(ask(last + 1));
      while (inFlight.length < CRAWL_PAGES_IN_FLIGHT && nextFrom <= latest) {
        inFlight.push(ask(nextFrom));
        nextFrom += MAX_CRAWL_BLOCKS;
      }
      batch.push(...asked);
      if (batch.length < CRAWL_INGEST_BLOCKS && inFlight.length > 0) continue;
      // One batch stored while the next arrives: memory stays at two batches and the pages in flight.
      await storing;
      storing = store(batch);
      storing.catch(() => undefined); // awaited at the next batch or at the end
      batch = [];
    }
    await storing;
    return fetched;
  }

  private async crawlSample(): Promise<void> {
    if (this.stopped) return;
    const peers = this.o.transport.peers();
    const peer = peers[Math.floor(this.o.random() * peers.length)];
    if (peer === undefined) return;
    const owners = [toHex(peer.publicKey), ...this.recentOwners];
    const target = owners[Math.floor(this.o.random() * owners.length)]!;
    const key = Uint8Array.from(target.match(/../g)!.map((h) => Number.parseInt(h, 16)));
    if (bytesEqual(key, this.publicKey)) return;
    await this.crawl(peer, key, -LEDGER_TIMINGS.crawlSampleBlocks, -1).catch(() => undefined);
  }

  /** Follows up an ingest: fraud proofs are recorded and spread; owners become crawl targets. */
  private async absorb(result: IngestResult): Promise<void> {
    for (const p of result.fraud) await this.recordFraud(p);
    for (const b of result.added) {
      const owner = toHex(b.publicKey);
      if (!this.recentOwners.includes(owner)) {
        this.recentOwners.unshift(owner);
        this.recentOwners.length = Math.min(this.recentOwners.length, RECENT_OWNERS);
      }
    }
    if (result.added.length > 0) this.emit({ type: 'ingested', added: result.added.length });
  }

  // ---- gossip and sanctions ----------------------------------------------------

  /** Sends our own news to everyone; a peer that cannot be reached now hears of it by crawling. */
  private async publish(payload: GossipPayload): Promise<void> {
    if (!this.stopped) await this.o.transport.gossip.publish(payload).catch(() => undefined);
  }

  /**
   * Judges a message a neighbour passed on: stored if valid; a fraud proof that is news is passed on.
   * What is invalid by itself is rejected (the gossip layer scores its sender); what is invalid only
   * against our own store (a fork of a chain we hold) becomes a fraud proof, not held against the sender.
   */
  private async judgeGossip(from: string, payload: GossipPayload): Promise<GossipVerdict> {
    if (this.stopped) return 'ignore';
    if (payload.kind === 'pair' && !isLinkedPair(payload.proposal, payload.agreement)) return 'reject';
    // Over its limit, a sender's messages are neither stored nor passed on: fresh keys that fork are
    // free to make, and each first proof against one would otherwise travel to every peer. A proof
    // against a key we signed pairs with is read whatever the bucket: a message ignored once is a
    // duplicate when the other neighbours' copies come (GossipSub marks it seen first), so a neighbour
    // that spent its own bucket on fresh keys could otherwise hide from us the proof that matters most.
    // Naming a partner in a forged proof buys nothing: it is rejected, and counts against the sender.
    const exempt = payload.kind === 'fraud' && this.o.store.isPartner(payload.proof.first.publicKey);
    if (!exempt && (payload.kind === 'fraud' ? this.proofIntake.take(from, 1) < 1 : this.intake.take(from, 2) < 2)) return 'ignore';
    if (payload.kind === 'fraud') {
      // The first proof against an offender goes on to everyone; an invalid or known proof, or another
      // against a known fraudster, goes no further: nobody can make the network carry proofs twice.
      const recorded = await this.recordFraud(payload.proof, false);
      return recorded === 'invalid' ? 'reject' : recorded === 'new-offender' ? 'accept' : 'ignore';
    }
    const result = await this.ingestor.ingest([payload.proposal, payload.agreement], { whole: true });
    await this.absorb(result);
    if (result.validated.some((v) => v.result.selfEvident === true)) return 'reject';
    // A pair reaches its signers' neighbourhoods, where the peers that trade with them are; others crawl
    // for it. Passed on by all, every pair would reach every tab, and a tab's traffic would grow with the
    // network. So only a signer passes a pair on: each publishes it to all its neighbours, and the one whose
    // own publication the other's copy beat (a message is published once) passes that copy on instead.
    const ours = bytesEqual(payload.proposal.publicKey, this.publicKey) || bytesEqual(payload.agreement.publicKey, this.publicKey);
    return ours && result.validated.length === 2 && result.validated.every((v) => v.result.outcome !== 'invalid') ? 'accept' : 'ignore';
  }

  /** The first of `items` that `from` may still make us store (its token bucket); the rest are dropped. */
  private admit<T>(from: PeerRef, items: readonly T[]): T[] {
    return items.length === 0 ? [] : items.slice(0, this.intake.take(from.id, items.length));
  }

  /**
   * Verifies and stores a fraud proof: whether it was invalid, known, new, or the first against its
   * offender. The first against an offender is gossiped to every peer (unless forwarding is the caller's job).
   */
  private async recordFraud(proof: FraudProof, spread = true): Promise<'invalid' | 'known' | 'new-proof' | 'new-offender'> {
    let offender: Uint8Array;
    try {
      offender = verifyFraudProof(proof);
    } catch {
      return 'invalid';
    }
    const knownOffender = this.o.store.isFraudster(offender);
    if (!(await this.o.store.putFraud(proof, offender))) return 'known';
    this.emit({ type: 'fraud', offender, proof });
    if (knownOffender) return 'new-proof';
    if (spread) await this.publish({ kind: 'fraud', proof });
    return 'new-offender';
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.o.transport.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
