/**
 * Circuits in the tab: a CircuitNode over libp2p links, relaying for others
 * when the user allows it, building circuits for this tab, and answering
 * circuit probes at the far end. Browser glue; the protocol is in circuit-node.
 */
import type { Libp2p } from 'libp2p';
import { topicChannel, type GossipServices } from '../net/gossipsub-channel.ts';
import { ANNOUNCEMENT_BYTES, decodeAnnouncement, encodeAnnouncement, RELAY_ANNOUNCEMENT_TOPIC } from './relay-announcement-wire.ts';
import { bytesEqual, toHex } from '../codec/bytes.ts';
import type { Identity } from '../identity/identity.ts';
import { SignRefusedError, type LedgerService, type VerifiedBalance } from '../ledger/ledger-service.ts';
import { nextBandwidth } from '../ledger/transactions/bandwidth.ts';
import { PAYOUT, payoutType } from '../ledger/transactions/payout.ts';
import { CircuitNode, type CircuitEnd, type OriginCircuit, type RelayEvent } from './circuit-node.ts';
import { verifyEd25519 } from '../crypto/signature.ts';
import type { MessageSigner } from '../crypto/signers.ts';
import { KEEPALIVE_MS, KEEPER_AVOID_MS, MAX_DATA_BYTES, MAX_KNOWN_RELAYS, PAYMENT_RETRY_MS, SUSPECT_RELAY_MS, UNANSWERED_PAYOUT_ATTEMPTS } from './constants.ts';
import { payWithOneProposal } from './payout-request.ts';
import { CircuitError } from './errors.ts';
import { staticKeyFromSeed } from './handshake.ts';
import { Libp2pCircuitLinks } from './libp2p-links.ts';
import { RateLimiter } from './rate-limit.ts';
import { loadRelaySettings, saveRelaySettings, type RelaySettings } from './settings.ts';
import { decodeProbe, encodeProbe } from './probe-wire.ts';

/** Exit stream messages start with a command byte from here on (src/exits/exit-wire.ts); probes use 1–3. */
const EXIT_COMMANDS_FROM = 16;
import { RelayDirectory, signAnnouncement } from './relay-directory.ts';
import { RelayGossip } from './relay-gossip.ts';
import { pickAvoiding, TimedJudgements } from './relay-choice.ts';
import type { CircuitSeams } from './seams.ts';
import { IdbDebtStore } from './idb-debt-store.ts';
import { localStateStore } from './local-guard-store.ts';
import { RelayDebts } from './relay-debt.ts';

/** Circuits a probe rebuilds after relays leave before it gives up. */
const MAX_PROBE_REBUILDS = 3;
/** Entries each diagnostics list keeps (unpaid cuts, payouts): enough to see a run of them, bounded. */
const DIAGNOSTICS_KEPT = 16;

/** Appends `item`, dropping the oldest past DIAGNOSTICS_KEPT. */
function keepLast<T>(list: T[], item: T): void {
  if (list.push(item) > DIAGNOSTICS_KEPT) list.shift();
}
/** Cells a probe keeps in flight: enough to keep every hop busy, few enough to bound memory. */
const PROBE_CELLS_IN_FLIGHT = 16;

export interface ProbeResult {
  bytes: number;
  ms: number;
  hops: number;
  /** Circuits rebuilt because a relay left. */
  rebuilds: number;
  /** The relays of the last circuit. */
  path: string[];
  /** Why each circuit before the last one failed (code: message). */
  failures: string[];
}

/** A probe's circuit broke; nothing of its share is confirmed (the far end only counts at `fin`). */
class ProbeBrokenError extends CircuitError {
  constructor(
    readonly reason: string,
    readonly confirmed: number,
  ) {
    super('broken', `the circuit broke (${reason})`);
  }
}

/** How this relay judges peers (the app passes reputation's; raw balances and no trust order when absent). */
export interface PeerJudging {
  /** A requester's verified balance as admission counts it (its credits may count only as far as they are trusted). */
  judge(key: Uint8Array, verified: VerifiedBalance): bigint;
  /** My trust in a key (0..1), undefined when unknown: which relay announcements to keep when the directory is full. */
  trust(key: Uint8Array): number | undefined;
}

const RAW_JUDGING: PeerJudging = { judge: (_key, v) => v.net, trust: () => undefined };

export class CircuitService {
  readonly node: CircuitNode;
  private readonly links: Libp2pCircuitLinks;
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private readonly probeCounts = new Map<string, bigint>();
  private readonly listeners = new Set<() => void>();
  /** Relays whose circuit lost a hop lately (key hex → until when): a dead tab's connection lingers for a while. */
  private readonly suspects = new Map<string, number>();
  /** Relays a circuit of ours found keeping payments they should have passed on (key hex → until when; kept across reloads). */
  private readonly keepers: TimedJudgements;
  /** Signed relay announcements heard from the peer network; when full, the least trusted go first. */
  readonly directory: RelayDirectory;
  private readonly gossip: RelayGossip;
  private lastAnnounced = 0;
  relayedBytes = 0;
  /** Writes what neighbours owe us now (a handler, so it can be removed). */
  private readonly flushDebts = (): void => void this.node.flushDebts();

  readonly publicKey: Uint8Array;

  private constructor(
    libp2p: Libp2p<GossipServices>,
    identity: Identity,
    signer: MessageSigner,
    private readonly ledger: LedgerService,
    debts: RelayDebts,
    private readonly debtStore: IdbDebtStore | undefined,
    seams: CircuitSeams | undefined,
    judging: PeerJudging,
  ) {
    this.publicKey = identity.publicKey;
    const keeperStore = localStateStore('keepers', toHex(identity.publicKey));
    this.keepers = new TimedJudgements(Date.now, MAX_KNOWN_RELAYS, (state) => keeperStore.save(state)).restore(keeperStore.load());
    this.directory = new RelayDirectory({ now: Date.now, verify: verifyEd25519, fraudster: (k) => this.ledger.isFraudster(k), trust: judging.trust });
    this.links = new Libp2pCircuitLinks(libp2p, () => this.node, seams);
    this.node = new CircuitNode({
      publicKey: identity.publicKey,
      staticKey: staticKeyFromSeed(identity.seed),
      subtle: crypto.subtle,
      random: (n) => crypto.getRandomValues(new Uint8Array(n)),
      now: Date.now,
      connect: (key) => this.links.connect(key),
      relaying: () => this.relaying,
      onEndpointData: (end, data) => void this.onEndpointData(end, data),
      onRelayEvent: (e) => this.onRelayEvent(e),
      onOriginBroken: (path, reason) => {
        if (reason === 'hop-lost') for (const k of path) this.suspects.set(toHex(k), Date.now() + SUSPECT_RELAY_MS);
      },
      pay: (key, amount) => this.timedPay(key, amount),
      sign: (m) => signer.sign(m),
      debts,
      ...(seams === undefined ? {} : { seams }),
      requester: async (key) => {
        const v = await ledger.verifiedBalance(key).catch(() => undefined);
        return { fraudster: ledger.isFraudster(key), balance: v !== undefined && v.through > 0 ? judging.judge(key, v) : undefined, chainLength: v?.through ?? 0 };
      },
      throttle: (bytes) => this.limiter.take(bytes),
    });
    ledger.setAcceptancePolicy(PAYOUT, async ({ proposal, from }) =>
      (await this.node.acceptPayout(from.publicKey, payoutType.decode(proposal.transaction).down)) ? true : 'no payout was announced for a circuit you run through us',
    );
    this.sweepTimer = setInterval(() => void this.node.sweep(), KEEPALIVE_MS / 2);
    // Debts are written in batches; the last one goes as the tab does, where the browser lets it.
    addEventListener('pagehide', this.flushDebts);
    this.gossip = new RelayGossip(libp2p, this.directory, () => {
      // Strictly increasing, so a quick off-and-on still replaces the last announcement everywhere.
      this.lastAnnounced = Math.max(Date.now(), this.lastAnnounced + 1);
      const { relaying, exit, capKiBps } = this.settingsNow;
      const body = { publicKey: identity.publicKey, issuedAt: BigInt(this.lastAnnounced), relaying, exit: relaying && exit, capKiBps };
      return signAnnouncement(body, (m) => signer.sign(m));
    }, topicChannel(libp2p, { topic: RELAY_ANNOUNCEMENT_TOPIC, maxBytes: ANNOUNCEMENT_BYTES, encode: encodeAnnouncement, decode: decodeAnnouncement }), libp2p.services.gossipScores);
  }

  /** Pays, and keeps how it went with the last few payments (diagnostics: a slow or refused payout shows there). */
  private async timedPay(key: Uint8Array, amount: bigint): Promise<void> {
    const start = Date.now();
    const note = (error?: string) => keepLast(this.payments, { to: toHex(key).slice(0, 8), amount, at: start, ms: Date.now() - start, ...(error === undefined ? {} : { error }) });
    try {
      await this.pay(key, amount);
      note();
    } catch (err) {
      note((err as Error).message);
      throw err;
    }
  }

  /** The last payouts we made, how long each took, and why one failed. */
  readonly payments: { to: string; amount: bigint; at: number; ms: number; error?: string }[] = [];

  /** A payout to a neighbour, over the ledger's direct connection to it. */
  private async pay(key: Uint8Array, amount: bigint): Promise<void> {
    const peer = this.ledger.directPeer(key);
    if (peer === undefined) throw new CircuitError('broken', 'the hop to pay is no longer connected');
    await payWithOneProposal(
      {
        sign: () => this.ledger.signProposal(peer, PAYOUT, (totals) => payoutType.encode(nextBandwidth(totals, 0n, amount))),
        // Over the connection the neighbour has now (a reconnect gives it a new one).
        request: async (proposal) => void (await this.ledger.requestAgreement(this.ledger.directPeer(key) ?? peer, proposal)),
        isRefusal: (err) => err instanceof SignRefusedError,
      },
      UNANSWERED_PAYOUT_ATTEMPTS,
      PAYMENT_RETRY_MS,
      (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    );
  }

  /** Tokens this tab kept from relaying (paid in minus passed on), this session. */
  readonly earnings = { earned: 0n };
  /** The last circuits we cut for non-payment, with their figures (diagnostics: which hop cut, and how far behind). */
  readonly unpaidCuts: Extract<RelayEvent, { type: 'unpaid' | 'closed' }>[] = [];
  /** The last relayed circuits that closed, with what each carried, was paid and passed on (diagnostics). */
  readonly closedRelays: (Extract<RelayEvent, { type: 'closed' }> & { at: number })[] = [];
  /** The last payouts we refused and links we lost, when (diagnostics: a payment that found no circuit shows there). */
  readonly incidents: ({ at: number } & ({ type: 'payout-refused'; from: string; amount: bigint; owed: bigint } | { type: 'link-closed'; to: string }))[] = [];

  /** `signer`: the identity's own (native where the engine agrees): JavaScript signing would build a table on the main thread as the tab starts. */
  static async start(libp2p: Libp2p<GossipServices>, identity: Identity, signer: MessageSigner, ledger: LedgerService, seams?: CircuitSeams, judging: PeerJudging = RAW_JUDGING): Promise<CircuitService> {
    // Without storage (a private window may refuse it) debts still count, for this session only.
    const store = await IdbDebtStore.open().catch(() => undefined);
    const debts = store === undefined ? RelayDebts.empty(Date.now) : await RelayDebts.open(Date.now, store).catch(() => RelayDebts.empty(Date.now));
    const s = new CircuitService(libp2p, identity, signer, ledger, debts, store, seams, judging);
    await s.links.start();
    await s.gossip.start();
    return s;
  }

  private settingsNow: RelaySettings = loadRelaySettings();
  private readonly limiter = new RateLimiter(this.settingsNow.capKiBps * 1024, Date.now, (ms) => new Promise((r) => setTimeout(r, ms)));

  get settings(): RelaySettings {
    return this.settingsNow;
  }

  /** Saves and applies relay settings; throws RelaySettingsError saying what is wrong. */
  saveSettings(s: RelaySettings): void {
    saveRelaySettings(s);
    this.settingsNow = { ...s };
    this.limiter.setRate(s.capKiBps * 1024);
    void this.gossip.announce();
    this.changed();
  }

  get relaying(): boolean {
    return this.settingsNow.relaying;
  }

  /** Turning relaying off turns exiting off too: an exit is a relay. */
  set relaying(on: boolean) {
    this.saveSettings({ ...this.settingsNow, relaying: on, exit: on && this.settingsNow.exit });
  }

  /** Circuits this tab built that are still open (hops as keys, bytes, state). */
  ownCircuits(): { path: string[]; sent: number; sentCells: number; received: number; paid: bigint; state: OriginCircuit['state'] }[] {
    return this.node.originatedCircuits().map((c) => ({ path: c.pathHex(), sent: c.bytesSent, sentCells: c.dataCellsSent, received: c.bytesReceived, paid: c.paid, state: c.state }));
  }

  /** Our open circuits whose first hop is this neighbour: the neighbourhood keeps it while we use it (src/net/peer-dialer.ts). */
  circuitsThrough(key: Uint8Array): number {
    return this.node.originatedThrough(key);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private onRelayEvent(e: RelayEvent): void {
    if (e.type === 'bytes') this.relayedBytes += e.bytes;
    else if (e.type === 'keeper') this.keepers.add(toHex(e.finding.keeper), KEEPER_AVOID_MS);
    else if (e.type === 'closed') {
      keepLast(this.closedRelays, { ...e, at: Date.now() });
      if (e.reason === 'unpaid') keepLast(this.unpaidCuts, e);
      this.changed();
    } else if (e.type === 'unpaid') keepLast(this.unpaidCuts, e);
    else if (e.type === 'payout-refused') keepLast(this.incidents, { ...e, from: e.from.slice(0, 8), at: Date.now() });
    else if (e.type === 'link-closed') keepLast(this.incidents, { type: e.type, to: toHex(e.to).slice(0, 8), at: Date.now() });
    else {
      if (e.type === 'paid') this.earnings.earned += e.direction === 'in' ? e.amount : -e.amount;
      this.changed();
    }
  }

  /** Where exit streams go when we end a circuit (set while we exit; see src/exits). */
  private exitHandler: ((end: CircuitEnd, data: Uint8Array) => void) | undefined;

  setExitHandler(handler: ((end: CircuitEnd, data: Uint8Array) => void) | undefined): void {
    this.exitHandler = handler;
  }

  /**
   * Data at the far end of someone's circuit: exit stream messages (first
   * byte from EXIT_COMMANDS_FROM on) go to the exit; the rest is a probe's:
   * count filler, answer `fin` with the count.
   */
  private async onEndpointData(end: CircuitEnd, data: Uint8Array): Promise<void> {
    if ((data[0] ?? 0) >= EXIT_COMMANDS_FROM) return this.exitHandler?.(end, data);
    let m;
    try {
      m = decodeProbe(data);
    } catch {
      return;
    }
    if (m.kind === 'fill') this.probeCounts.set(end.id, (this.probeCounts.get(end.id) ?? 0n) + BigInt(m.bytes.length));
    else if (m.kind === 'fin') {
      const received = this.probeCounts.get(end.id) ?? 0n;
      this.probeCounts.delete(end.id);
      await end.reply(encodeProbe({ kind: 'count', received })).catch(() => undefined);
    }
  }

  /** Builds a circuit through the peers with these keys (the last one is the far end). */
  build(path: Uint8Array[], onData?: (data: Uint8Array) => void): Promise<OriginCircuit> {
    return this.node.build(path, onData);
  }

  /** Directly connected peers that announce relaying and are not proven fraudsters: who we can build through. */
  relayCandidates(exclude: readonly Uint8Array[] = []): Uint8Array[] {
    return this.links.directPeerKeys().filter((k) => this.directory.isRelay(k) && !this.ledger.isFraudster(k) && !exclude.some((e) => bytesEqual(e, k)));
  }

  /** Relays we know of from announcements, and how many of them we can build through now. */
  relayCounts(): { known: number; connected: number } {
    return { known: this.directory.relays().filter((a) => !bytesEqual(a.publicKey, this.publicKey)).length, connected: this.relayCandidates().length };
  }

  /** Exits we know of from announcements (not ourselves, no proven fraudster), and how many of them are connected to us. */
  exitCounts(): { known: number; connected: number } {
    const exits = this.directory.exits().filter((a) => !bytesEqual(a.publicKey, this.publicKey));
    return { known: exits.length, connected: this.relayCandidates().filter((k) => this.directory.isExit(k)).length };
  }

  /** Waits briefly until every direct peer has told us whether it relays (right after peers connect). */
  relaysKnown(): Promise<void> {
    return this.gossip.settled();
  }

  /**
   * Relays for a new circuit: `count` random relay candidates, none of them
   * in `exclude`, avoiding relays of circuits that lost a hop lately, and
   * relays found keeping our payments (payment-receipts.ts), while there are
   * others. One that refuses anyway is routed around.
   */
  pickRelays(count: number, exclude: readonly Uint8Array[]): Uint8Array[] {
    const candidates = this.relayCandidates(exclude);
    if (candidates.length < count) {
      const direct = this.links.directPeerKeys().length;
      throw new CircuitError('no-relays', `a ${count}-hop circuit needs ${count} connected relays; ${candidates.length} of your ${direct} connected peers relay now. Wait for more peers, or use fewer hops`);
    }
    const now = Date.now();
    for (const [k, until] of this.suspects) if (until <= now) this.suspects.delete(k);
    return pickAvoiding(candidates, count, (k) => this.suspects.has(toHex(k)) || this.keepers.has(toHex(k)), Math.random);
  }

  /**
   * Sends `bytes` of probe filler to `farEnd` through `hops` random relays and
   * times it until the far end confirms every byte. A circuit that breaks
   * (a relay left) is rebuilt through other relays and the transfer goes on
   * from the last confirmed byte.
   */
  async probe(farEnd: Uint8Array, hops: number, bytes: number, opts: { relays?: Uint8Array[] } = {}): Promise<ProbeResult> {
    const start = performance.now();
    let confirmed = 0;
    let rebuilds = 0;
    const lost: Uint8Array[] = [];
    if (opts.relays === undefined) await this.relaysKnown();
    let lastFailure: CircuitError | undefined;
    this.probeFailures = [];
    for (;;) {
      const relays = opts.relays !== undefined && rebuilds === 0 ? opts.relays : this.pickRelaysAfter(hops, [farEnd, ...lost], lastFailure);
      try {
        confirmed += await this.probeOnce([...relays, farEnd], bytes - confirmed);
        return { bytes, ms: performance.now() - start, hops, rebuilds, path: relays.map(toHex), failures: this.probeFailures };
      } catch (err) {
        this.probeFailures.push(err instanceof CircuitError ? `${err.code}: ${err.message}` : String(err));
        // A relay that cut us for not paying would cut a new circuit too, or refuses it.
        if (!(err instanceof CircuitError) || rebuilds >= MAX_PROBE_REBUILDS || err.code === 'unpaid' || (err instanceof ProbeBrokenError && err.reason === 'unpaid')) throw err;
        if (err instanceof ProbeBrokenError) confirmed += err.confirmed;
        // A refusal could come from any of them: avoid them all. Otherwise the relay no longer connected is the one that left.
        if (err.code === 'refused') lost.push(...relays);
        else for (const r of relays) if (!this.links.directPeerKeys().some((k) => bytesEqual(k, r))) lost.push(r);
        rebuilds++;
        lastFailure = err;
        this.currentPath = undefined;
      }
    }
  }

  /** pickRelays for a rebuild: when no relay is left, the error says why the last circuit failed too. */
  private pickRelaysAfter(count: number, exclude: readonly Uint8Array[], failure: CircuitError | undefined): Uint8Array[] {
    try {
      return this.pickRelays(count, exclude);
    } catch (err) {
      if (failure === undefined || !(err instanceof CircuitError)) throw err;
      throw new CircuitError(err.code, `${failure.message}, and it cannot be rebuilt: ${err.message}`);
    }
  }

  /** Relays found keeping payments of ours, avoided for new paths (keys, hex; diagnostics, tests). */
  keeperKeys(): string[] {
    return this.keepers.keys();
  }

  /** The relays of the probe under way (diagnostics, tests). */
  currentPath: string[] | undefined;

  /** Why the circuits of the probe under way, or of the last one, failed so far (diagnostics, tests). */
  probeFailures: string[] = [];

  /** One circuit's share of a probe: returns the bytes the far end confirmed. */
  private async probeOnce(path: Uint8Array[], bytes: number): Promise<number> {
    let answered: (received: bigint) => void = () => undefined;
    const count = new Promise<bigint>((resolve) => (answered = resolve));
    const circuit = await this.build(path, (data) => {
      try {
        const m = decodeProbe(data);
        if (m.kind === 'count') answered(m.received);
      } catch {
        // not a probe answer
      }
    });
    this.currentPath = path.slice(0, -1).map(toHex);
    let checkpoint = 0;
    const broken = new Promise<never>((_, reject) => (circuit.onBroken = (reason) => reject(new ProbeBrokenError(reason, checkpoint))));
    broken.catch(() => undefined);
    try {
      const chunk = MAX_DATA_BYTES - 1;
      const filler = encodeProbe({ kind: 'fill', bytes: new Uint8Array(chunk) });
      const inFlight: Promise<void>[] = [];
      for (let sent = 0; sent < bytes; sent += chunk) {
        const n = Math.min(chunk, bytes - sent);
        inFlight.push(circuit.send(n === chunk ? filler : filler.subarray(0, n + 1)));
        if (inFlight.length >= PROBE_CELLS_IN_FLIGHT) await Promise.race([inFlight.shift()!, broken]);
      }
      await Promise.race([Promise.all(inFlight), broken]);
      await circuit.send(encodeProbe({ kind: 'fin' }));
      const received = await Promise.race([count, broken]);
      checkpoint = Number(received);
      if (received !== BigInt(bytes)) throw new CircuitError('broken', `the far end received ${received} of ${bytes} bytes`);
      return bytes;
    } finally {
      await circuit.close();
    }
  }

  relayed(): ReturnType<CircuitNode['relayedCircuits']> {
    return this.node.relayedCircuits();
  }

  stop(): void {
    this.gossip.stop();
    this.ledger.setAcceptancePolicy(PAYOUT, undefined);
    clearInterval(this.sweepTimer);
    this.links.stop();
    removeEventListener('pagehide', this.flushDebts);
    void this.node.flushDebts().finally(() => this.debtStore?.close());
  }
}
