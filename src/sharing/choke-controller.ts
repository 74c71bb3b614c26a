/**
 * Puts the free-riding policy in charge of WebTorrent's choking for one
 * torrent: it replaces the torrent's rechoke with a policy allocation, and
 * wraps each wire's unchoke so nothing else can unchoke a refused peer.
 * Browser glue around policy.ts.
 */
import type { Torrent, Wire } from 'webtorrent';
import type { PolicyConfig } from './constants.ts';
import type { CircuitWireAccount } from './circuit-wire-account.ts';
import type { PeerLink } from './peer-link.ts';
import { allocateSlots, proposalStep, standing, type PeerFacts, type Standing } from './policy.ts';
import type { VerifiedBalance } from '../ledger/ledger-service.ts';
import { pageDefer } from '../workers/page-clock.ts';

/** A peer's verified balance as this seeder counts it (its credits may count only as far as they are trusted). */
export type BalanceJudge = (key: Uint8Array, verified: VerifiedBalance) => bigint;
/** Every verified credit at face value. */
export const rawBalance: BalanceJudge = (_key, verified) => verified.net;

/** Rechoke often enough that payments and refusals take effect within a couple of seconds. */
const RECHOKE_INTERVAL_MS = 2_000;
/** A newly interested peer waits at most this long for its first decision (in a background tab too: page-clock.ts). */
const RECHOKE_SOON_MS = 100;

export class ChokeController {
  private allowed = new Set<Wire>();
  private standings = new Map<Wire, Standing>();
  private readonly timer: ReturnType<typeof setInterval>;
  private cancelSoon: (() => void) | undefined;

  constructor(
    private readonly torrent: Torrent,
    private readonly links: Map<Wire, PeerLink>,
    private readonly policy: () => PolicyConfig,
    private readonly isFraudster: (key: Uint8Array) => boolean,
    private readonly random: () => number,
    /** Wires over circuits: anonymous peers that pay through the circuits. */
    private readonly anonymous: ReadonlyMap<Wire, CircuitWireAccount> = new Map(),
    /** A verified balance as we count it (SharingOptions.judge): what the threshold and the slot ranking read. */
    private readonly judge: BalanceJudge = rawBalance,
  ) {
    torrent._rechoke = () => this.rechoke();
    this.timer = setInterval(() => this.rechoke(), RECHOKE_INTERVAL_MS);
  }

  attach(wire: Wire): void {
    const unchoke = wire.unchoke.bind(wire);
    wire.unchoke = () => {
      if (this.allowed.has(wire)) unchoke();
    };
    (wire as unknown as { policyUnchoke: () => void }).policyUnchoke = unchoke;
    wire.on('interested', () => this.soon());
    wire.on('uninterested', () => this.soon());
  }

  /** Decides now, batched with other triggers in the same instant. */
  soon(): void {
    this.cancelSoon ??= pageDefer(() => {
      this.cancelSoon = undefined;
      this.rechoke();
    }, RECHOKE_SOON_MS);
  }

  standingOf(wire: Wire): Standing | undefined {
    return this.standings.get(wire);
  }

  /** How much it acknowledges between our payment proposals (policy.proposalStep). */
  proposalStep(wire: Wire): bigint {
    return proposalStep(this.factsOf(wire, ''), this.policy());
  }

  /** Whether the policy refuses this peer now: checked as bytes go out, so refusal takes hold at once. */
  refuses(wire: Wire): boolean {
    return standing(this.factsOf(wire, ''), this.policy()).kind === 'refused';
  }

  private factsOf(wire: Wire, id: string): PeerFacts {
    const link = this.links.get(wire);
    const anonymous = this.anonymous.get(wire);
    if (anonymous !== undefined) return { id, interested: wire.peerInterested, hasExtension: true, identified: false, fraudster: false, unpaidBytes: anonymous.unpaidBytes, anonymous: true };
    return {
      id,
      interested: wire.peerInterested,
      // Before its extended handshake a peer may yet prove a key: held (pending), not served as a stock client.
      hasExtension: link?.hasExtension !== false,
      identified: link?.identified === true,
      balance: link?.verified?.complete === true && link.remoteKey !== undefined ? this.judge(link.remoteKey, link.verified) : undefined,
      paidBytes: link?.identified === true ? link.upload.account.paidTotal : undefined,
      paidSinceBalance: link === undefined ? undefined : link.upload.account.paidTotal - link.paidAtVerify,
      // Our proposals in flight may be in its head already while unpaidBytes still holds them: counted once.
      admittedNet: link?.admittedNet === undefined ? undefined : link.admittedNet + link.upload.account.inFlight,
      chainLength: link?.head?.sequenceNumber,
      fraudster: link?.remoteKey !== undefined && this.isFraudster(link.remoteKey),
      // The key's debt over all its connections; for stock clients, the pool's.
      unpaidBytes: link?.upload.unpaid ?? 0n,
    };
  }

  rechoke(): void {
    const wires = this.torrent.wires;
    const byId = new Map<string, Wire>();
    const facts: PeerFacts[] = wires.map((wire, i) => {
      const id = `${i}:${wire.peerId}`;
      byId.set(id, wire);
      return this.factsOf(wire, id);
    });
    const served = new Set(facts.filter((f) => !byId.get(f.id)!.amChoking).map((f) => f.id));
    const { unchoke, standings } = allocateSlots(facts, this.policy(), served, this.random);
    this.allowed = new Set([...unchoke].map((id) => byId.get(id)!));
    this.standings = new Map([...standings].map(([id, s]) => [byId.get(id)!, s]));
    for (const [id, wire] of byId) {
      const standingNow = standings.get(id)!;
      if (unchoke.has(id)) {
        if (wire.amChoking) (wire as unknown as { policyUnchoke: () => void }).policyUnchoke();
      } else if (!wire.amChoking) {
        wire.choke();
      }
      this.notify(wire, standingNow);
    }
  }

  /** Tells a refused peer why (once per reason), so its user can act. */
  private notify(wire: Wire, s: Standing): void {
    const link = this.links.get(wire);
    if (link === undefined || link.hasExtension !== true || !wire.peerInterested) return;
    if (s.kind !== 'refused') {
      link.lastNotice = undefined;
      return;
    }
    if (link.lastNotice === s.reason) return;
    link.lastNotice = s.reason;
    link.notifyRefused(s.reason, s.balance, s.threshold);
  }

  stop(): void {
    clearInterval(this.timer);
    this.cancelSoon?.();
    this.cancelSoon = undefined;
  }
}
