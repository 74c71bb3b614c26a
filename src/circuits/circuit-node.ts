/**
 * A peer's circuit machinery: the relay side (create, extend, forward, tear
 * down, with limits) and the originator side (build a circuit hop by hop,
 * send and receive through its layers), over any CircuitLinks. Pure protocol
 * logic: clock, randomness and WebCrypto are injected; the libp2p glue feeds
 * it frames and opens links.
 */
import { OriginCircuit } from './origin-circuit.ts';
import { bytesEqual, compareBytes, toHex } from '../codec/bytes.ts';
import { DecodeError } from '../codec/binary.ts';
import type { CircuitLink } from './circuit-link.ts';
import { decodeCommand, decodeFrame, encodeCommand, encodeFrame, type DestroyReason, type LinkFrame, type RelayCommand } from './cell-wire.ts';
import { CIRCUIT_LIFETIME_MS, HANDSHAKE_TIMEOUT_MS, IDLE_TIMEOUT_MS, MAX_BAD_CELLS_PER_CIRCUIT, MAX_CIRCUIT_BYTES, MAX_CIRCUITS_PER_LINK, MAX_DATA_BYTES, MAX_HOPS, MAX_PATH_LENGTH, MAX_PENDING_PAYOUTS, MAX_RELAYED_CIRCUITS, MAX_RENDEZVOUS, PAYOUT_ANNOUNCE_WAIT_MS, PAYOUT_IN_FLIGHT_MS, PAYMENTS_IN_FLIGHT, MAX_IN_FLIGHT_CREDIT_BYTES, MAX_RELAY_DEBTORS, PAYOUT_EVERY_BYTES, PAYOUT_GRACE_MS, PAYOUT_JITTER, PASS_ON_DELAY_MAX_MS, PAYOUT_STEP_MAX_BYTES, FINAL_PAYMENT_WAIT_MS, RELAY_LIABLE_AFTER_MS, FORWARD_STALL_MS, RELAY_NEWCOMER_CHAIN_LENGTH, RELAY_NEWCOMER_SHARE, RELAY_UNPAID_WINDOW_BYTES, PAYMENT_RETRIES, PAYMENT_RETRY_MS } from './constants.ts';
import { CircuitError } from './errors.ts';
import { clientFinish, clientStart, HandshakeError, serverRespond, staticPublicKeyOf, type StaticKey } from './handshake.ts';
import { DELIVER, FORWARD, layersOf, LayerCipher } from './layer.ts';
import { admit, type AdmissionConfig, type Requester } from './admission.ts';
import { RelayDebts } from './relay-debt.ts';
import { circuitBinding } from './descriptors.ts';
import { IntroductionPoints } from './intro-point.ts';
import { verifyEd25519 } from '../crypto/signature.ts';
import type { CircuitSeams } from './seams.ts';

/** Relay admission: capacity and newcomer share (Tribler kept 5 of 20 places random). */
const ADMISSION: AdmissionConfig = { capacity: MAX_RELAYED_CIRCUITS, newcomerShare: RELAY_NEWCOMER_SHARE, newcomerChainLength: RELAY_NEWCOMER_CHAIN_LENGTH };

export interface CircuitNodeOptions {
  /** Our Ed25519 identity (what neighbours see) and its X25519 form (what handshakes prove). */
  publicKey: Uint8Array;
  staticKey: StaticKey;
  subtle: SubtleCrypto;
  random: (n: number) => Uint8Array;
  now: () => number;
  /** Opens, or reuses, a link to the peer with this identity. */
  connect(peerKey: Uint8Array): Promise<CircuitLink>;
  /** Whether we relay circuits for others now (a setting). */
  relaying(): boolean;
  /** Data arriving at the end of a circuit that someone built to us. */
  onEndpointData?(end: CircuitEnd, data: Uint8Array): void;
  /** A relay circuit opened or closed, or carried bytes (for the UI and payouts). */
  onRelayEvent?(e: RelayEvent): void;
  /** A circuit we built broke: its path (relays, then the far end) and why. */
  onOriginBroken?(path: Uint8Array[], reason: DestroyReason): void;
  /**
   * Pays the neighbour with this key `amount` tokens (a TrustChain payout it
   * countersigns); rejects when it did not. Without it, circuits are unpaid
   * and relays enforce nothing (tests of routing alone).
   */
  pay?(peerKey: Uint8Array, amount: bigint): Promise<void>;
  /** What neighbours owe us for relaying, by key, as loaded from storage (default: in memory, from zero). */
  debts?: RelayDebts;
  /** Test builds only: where test code intercepts (a payer that keeps its tokens). */
  seams?: CircuitSeams;
  /** Waits until `bytes` of relayed traffic fit the user's upload cap. */
  throttle?(bytes: number): Promise<void>;
  /** Longest random pause before passing a payment on (tests shorten it). */
  passOnDelayMaxMs?: number;
  /** How long after a relayed circuit closes we pay its next hop what the previous one did not (tests shorten it). */
  liableAfterMs?: number;
  /** How long a relayed cell may wait for the next link before its circuit is cut (tests shorten it). */
  forwardStallMs?: number;
  /** What we know of a neighbour asking us to relay: fraud, verified balance, chain length (for admission). */
  requester?(fromKey: Uint8Array): Promise<Requester>;
}

export type RelayEvent =
  | { type: 'opened'; id: string; from: Uint8Array }
  | { type: 'bytes'; id: string; bytes: number }
  | { type: 'closed'; id: string; reason: DestroyReason; bytes: number }
  | { type: 'paid'; id: string; amount: bigint; direction: 'in' | 'out' };

/** The far end of a circuit someone else built to us: we can answer along it. */
export interface CircuitEnd {
  readonly id: string;
  reply(data: Uint8Array): Promise<void>;
  /**
   * Tokens the previous hop paid us for this circuit beyond the cells we
   * carried: what its originator paid through to us, the far end (an exit
   * relay's pay for the swarm's data). Never more than was paid in.
   */
  surplus(): bigint;
  /** Calls back once when the circuit closes (at once if it has). */
  onClose(listener: () => void): void;
}

export interface Hop {
  link: CircuitLink;
  circuitId: number;
}

/** One way payments leave a circuit (on toward the far end, or back toward the originator): what is under way. */
interface PaymentFlow {
  payments: number;
  inFlight: bigint;
  /** Failed payments in a row: each is tried again, a little later each time. */
  failures: number;
}

const WINDOW = BigInt(RELAY_UNPAID_WINDOW_BYTES);
const STEP = BigInt(PAYOUT_STEP_MAX_BYTES);

interface Relayed {
  id: string;
  prev: Hop;
  /** The previous hop's key (hex): who pays us for this circuit, and owes us while it does not. */
  debtor: string;
  next: Hop | undefined;
  forward: LayerCipher;
  backward: LayerCipher;
  extending: boolean;
  bytes: number;
  openedAt: number;
  lastActive: number;
  badCells: number;
  /** Ties an introduction proof to this circuit: a hash of our handshake keys with its originator (descriptors.ts). */
  binding: Uint8Array;
  /** Tokens the previous hop paid us for this circuit, and what we passed on to the next. */
  paidIn: bigint;
  paidOut: bigint;
  /**
   * Our bytes when the latest payment credited from the previous hop was
   * announced: what it covers of our own share. The rest of it is passed on,
   * so the next hop is not shorted by what we carried while it travelled.
   */
  covered: number;
  forwardFlow: PaymentFlow;
  /**
   * Tokens coming back from the far side toward the originator (a downloader
   * paying a hidden seeder through the rendezvous point): all of it passes on.
   */
  backIn: bigint;
  backOut: bigint;
  backFlow: PaymentFlow;
  open: boolean;
  /** Closed, and past the time for its final payment: we owe the next hop for what we carried, paid or not. */
  liable: boolean;
  /** Closed: until when its step still counts toward its key's window (its final payment may be on its way). */
  excusedUntil: number;
  /** How the requester ranked at admission. */
  newcomer: boolean;
  balance: bigint;
  /** At a rendezvous point: the circuit this one is spliced to. */
  spliced?: Relayed;
  /** When we end it: what endpoint handlers see of it, and who waits for it to close. */
  end?: CircuitEnd;
  closeListeners?: (() => void)[];
}

/** A payout a neighbour announced on a circuit link, waiting for its TrustChain proposal. */
interface Announced {
  amount: bigint;
  /** When it was announced, and the circuit's bytes then (what it pays for). */
  at: number;
  bytesAt: number;
  /** The relayed circuit it pays for from its previous hop's side, if that is what it is (counts as in flight). */
  forward?: Relayed;
  /** Whether the circuit it is for may still be paid. */
  live(): boolean;
  credit(amount: bigint, bytesAt: number): void;
}

type Pending = { resolve(v: { Y: Uint8Array; auth: Uint8Array }): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> };

export class CircuitNode {
  private readonly linkIds = new WeakMap<CircuitLink, number>();
  private nextLinkId = 1;
  /** Relayed circuits by the side they came from, and by the side we extended them to. */
  private readonly byPrev = new Map<string, Relayed>();
  private readonly byNext = new Map<string, Relayed>();
  /** Circuits we built, by their first hop. */
  private readonly originated = new Map<string, OriginCircuit>();
  /** Our `create`s waiting for `created`, by link and id. */
  private readonly pendingCreates = new Map<string, Pending>();
  /** Torn-down circuits that may still receive their final payment, until the time given. */
  private readonly closing = new Map<string, { r: Relayed; until: number }>();
  /** Payments announced by each neighbour (by key), waiting for their TrustChain proposal. */
  private readonly announced = new Map<string, Announced[]>();
  /** Circuits we built that closed lately: payments passed back to us may still arrive (until the time given). */
  private readonly closedOrigins = new Map<string, { c: OriginCircuit; until: number }>();
  /** Hidden services we introduce: their signed descriptors and the circuits that reach them. */
  private readonly introPoints: IntroductionPoints<Relayed>;

  /** The signed descriptors we hold as introduction point for this lookup key (answers lookups). */
  introducedDescriptors(lookup: Uint8Array): Uint8Array[] {
    return this.introPoints.descriptorsFor(lookup);
  }
  /** Circuits waiting at this rendezvous point, by cookie (hex). */
  private readonly rendezvous = new Map<string, Relayed>();
  /** Payout proposals that arrived before their announcement. */
  private readonly announceWaiters = new Set<{ key: string; amount: bigint; wake(): void }>();
  /** What each neighbour owes us over all its circuits (relay-debt.ts). */
  private readonly debts: RelayDebts;
  /** Keys (hex) that announced a payout and let it lapse: their announcements count for nothing any more. */
  private readonly lapsed = new Set<string>();

  constructor(private readonly o: CircuitNodeOptions) {
    this.debts = o.debts ?? RelayDebts.empty(o.now);
    this.introPoints = new IntroductionPoints<Relayed>({ ownKey: o.publicKey, now: o.now, verify: verifyEd25519, isOpen: (r) => r.open });
  }

  private slot(link: CircuitLink, circuitId: number): string {
    let id = this.linkIds.get(link);
    if (id === undefined) {
      id = this.nextLinkId++;
      this.linkIds.set(link, id);
    }
    return `${id}:${circuitId}`;
  }

  /** A fresh circuit id for a `create` we send on `link`, from our half of the id space. */
  private freshId(link: CircuitLink): number {
    const top = compareBytes(this.o.publicKey, link.remoteKey) < 0 ? 0x8000_0000 : 0;
    for (;;) {
      const r = this.o.random(4);
      const id = ((((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) & 0x7fff_ffff) | top) >>> 0;
      const s = this.slot(link, id);
      if (id !== 0 && !this.byNext.has(s) && !this.originated.has(s) && !this.pendingCreates.has(s)) return id;
    }
  }

  /** The next payment's trigger: PAYOUT_EVERY_BYTES plus a random share, so timing does not mark a flow. */
  nextPayThreshold(): number {
    const r = this.o.random(2);
    return Math.round(PAYOUT_EVERY_BYTES * (1 + (PAYOUT_JITTER * ((r[0]! << 8) | r[1]!)) / 0x1_0000));
  }

  /** Circuits we built that are open. */
  originatedCircuits(): OriginCircuit[] {
    return [...this.originated.values()];
  }

  get relayedCount(): number {
    return this.byPrev.size;
  }

  /** Circuits we relay; `badCells`: cells on it dropped as forged, replayed, corrupted or senseless. */
  relayedCircuits(): { id: string; from: string; extended: boolean; bytes: number; ageMs: number; badCells: number }[] {
    return [...this.byPrev.values()].map((r) => ({ id: r.id, from: toHex(r.prev.link.remoteKey), extended: r.next !== undefined, bytes: r.bytes, ageMs: this.o.now() - r.openedAt, badCells: r.badCells }));
  }

  // ---- incoming frames ---------------------------------------------------------

  /** One frame from a neighbour. Malformed frames are dropped; nothing here throws. */
  async receive(link: CircuitLink, bytes: Uint8Array): Promise<void> {
    let f: LinkFrame;
    try {
      f = decodeFrame(bytes);
    } catch (err) {
      if (err instanceof DecodeError) return;
      throw err;
    }
    const s = this.slot(link, f.circuitId);
    switch (f.type) {
      case 'create':
        return this.onCreate(link, f.circuitId, f.X);
      case 'created': {
        const p = this.pendingCreates.get(s);
        if (p === undefined) return;
        this.pendingCreates.delete(s);
        clearTimeout(p.timer);
        p.resolve({ Y: f.Y, auth: f.auth });
        return;
      }
      case 'relay': {
        const prev = this.byPrev.get(s);
        if (prev !== undefined) return this.onForwardCell(prev, f.onion);
        const next = this.byNext.get(s);
        if (next !== undefined) return this.onBackwardCell(next, f.onion);
        await this.originated.get(s)?.onCell(f.onion);
        return;
      }
      case 'destroy': {
        const prev = this.byPrev.get(s);
        if (prev !== undefined) return this.teardown(prev, f.reason, 'next');
        const next = this.byNext.get(s);
        if (next !== undefined) return this.teardown(next, f.reason === 'requested' ? 'hop-lost' : f.reason, 'prev');
        this.originated.get(s)?.broken(f.reason);
        const p = this.pendingCreates.get(s);
        if (p !== undefined) {
          this.pendingCreates.delete(s);
          clearTimeout(p.timer);
          p.reject(
            f.reason === 'unpaid'
              ? new CircuitError('unpaid', 'that relay refuses new circuits from you until you pay what you owe it for relaying (unpaid)')
              : new CircuitError('refused', `the hop refused the circuit (${f.reason})`),
          );
        }
        return;
      }
      case 'credit':
        return; // the link's own flow control, consumed by the link
      case 'payout': {
        const target = this.payoutTarget(link, s);
        if (target === undefined) return;
        const key = toHex(link.remoteKey);
        const list = this.announced.get(key) ?? [];
        if (list.length >= MAX_PENDING_PAYOUTS) list.shift();
        list.push({ ...target, amount: f.amount, at: this.o.now(), bytesAt: target.forward?.bytes ?? 0 });
        this.announced.set(key, list);
        for (const w of [...this.announceWaiters]) if (w.key === key && w.amount === f.amount) w.wake();
        return;
      }
      case 'keepalive': {
        const r = this.byPrev.get(s);
        if (r === undefined) return;
        r.lastActive = this.o.now();
        if (r.next !== undefined) await this.sendFrame(r.next, { type: 'keepalive', circuitId: r.next.circuitId });
        return;
      }
    }
  }

  /** The link went away: every circuit through it is gone. */
  linkClosed(link: CircuitLink): void {
    for (const r of [...this.byPrev.values()]) {
      if (r.prev.link === link) void this.teardown(r, 'hop-lost', 'next');
      else if (r.next?.link === link) void this.teardown(r, 'hop-lost', 'prev');
    }
    for (const c of [...this.originated.values()]) if (c.firstHop.link === link) c.broken('hop-lost');
  }

  private async onCreate(link: CircuitLink, circuitId: number, X: Uint8Array): Promise<void> {
    const s = this.slot(link, circuitId);
    if (this.byPrev.has(s)) return;
    const refuse = (reason: DestroyReason) => this.sendFrame({ link, circuitId }, { type: 'destroy', circuitId, reason });
    if (!this.o.relaying()) return refuse('refused');
    const onLink = [...this.byPrev.values()].filter((r) => r.prev.link === link).length;
    if (onLink >= MAX_CIRCUITS_PER_LINK) return refuse('limit');
    // A key over its window is refused until it pays, however many circuits or connections it starts afresh.
    if (this.overWindow(toHex(link.remoteKey))) return refuse('unpaid');
    const facts = (await this.o.requester?.(link.remoteKey)) ?? { fraudster: false, balance: undefined, chainLength: 0 };
    const holders = [...this.byPrev.values()].map((h) => ({ id: h.id, newcomer: h.newcomer, balance: h.balance }));
    const decision = admit(facts, holders, ADMISSION, () => this.o.random(1)[0]! / 256);
    if (!decision.admit) return refuse(decision.reason);
    if (this.byPrev.has(s)) return;
    if (decision.evict !== undefined) {
      const evicted = [...this.byPrev.values()].find((h) => h.id === decision.evict);
      if (evicted !== undefined) await this.teardown(evicted, 'limit', 'both');
    }
    let answer: ReturnType<typeof serverRespond>;
    try {
      answer = serverRespond(this.o.staticKey, X, this.o.random);
    } catch (err) {
      if (err instanceof HandshakeError) return refuse('protocol');
      throw err;
    }
    const [forward, backward] = await layersOf(this.o.subtle, answer.keys);
    const now = this.o.now();
    const r: Relayed = {
      id: toHex(this.o.random(8)),
      prev: { link, circuitId },
      debtor: toHex(link.remoteKey),
      next: undefined,
      forward,
      backward,
      extending: false,
      bytes: 0,
      openedAt: now,
      lastActive: now,
      badCells: 0,
      binding: circuitBinding(answer.keys),
      paidIn: 0n,
      paidOut: 0n,
      covered: 0,
      forwardFlow: { payments: 0, inFlight: 0n, failures: 0 },
      backIn: 0n,
      backOut: 0n,
      backFlow: { payments: 0, inFlight: 0n, failures: 0 },
      open: true,
      liable: false,
      excusedUntil: 0,
      newcomer: decision.newcomer,
      balance: decision.balance,
    };
    this.byPrev.set(s, r);
    this.o.onRelayEvent?.({ type: 'opened', id: r.id, from: link.remoteKey });
    await this.sendFrame(r.prev, { type: 'created', circuitId, Y: answer.Y, auth: answer.auth });
  }

  private async onForwardCell(r: Relayed, onion: Uint8Array): Promise<void> {
    const layer = await r.forward.open(onion);
    if (layer === undefined || (layer.kind !== FORWARD && layer.kind !== DELIVER)) return this.badCell(r);
    r.lastActive = this.o.now();
    if (!this.count(r, onion.length)) return;
    if (layer.kind === FORWARD) {
      if (r.next === undefined) return this.badCell(r);
      await this.o.throttle?.(layer.body.length);
      return this.relayOn(r, r.next, { type: 'relay', circuitId: r.next.circuitId, onion: layer.body });
    }
    let c: RelayCommand;
    try {
      c = decodeCommand(layer.body);
    } catch {
      return this.badCell(r);
    }
    if (c.command === 'extend') return this.onExtend(r, c.next, c.X);
    if (r.next !== undefined) return;
    if (c.command === 'data') {
      // At a rendezvous point, what one end sends is the other end's to receive.
      if (r.spliced !== undefined) return this.replyFromEnd(r.spliced, c.data);
      this.o.onEndpointData?.(this.endOf(r), c.data);
    } else if (c.command === 'rendezvous') return this.onRendezvous(r, c.cookie);
    else if (c.command === 'join') return this.onJoin(r, c.cookie);
    else if (c.command === 'establish-intro') return this.onEstablishIntro(r, c.descriptor, c.proof);
    else if (c.command === 'introduce') return this.onIntroduce(r, c);
  }

  /** Sends a relay command back along a circuit we end. */
  private async answer(r: Relayed, c: RelayCommand): Promise<void> {
    const cell = await r.backward.seal(DELIVER, encodeCommand(c));
    await this.sendFrame(r.prev, { type: 'relay', circuitId: r.prev.circuitId, onion: cell });
  }

  /** A hidden service makes us one of its introduction points: we learn its service key, never who runs it (intro-point.ts). */
  private async onEstablishIntro(r: Relayed, descriptor: Uint8Array, proof: Uint8Array): Promise<void> {
    const outcome = this.introPoints.establish(r, r.binding, descriptor, proof);
    if (outcome === 'established' || outcome === 'renewed') return this.answer(r, { command: 'intro-established' });
    await this.answer(r, { command: 'extend-failed', reason: `not introduced here (${outcome})` });
  }

  /** A downloader asks us to introduce it: pass its rendezvous offer to the service's circuit. */
  private async onIntroduce(r: Relayed, c: Extract<RelayCommand, { command: 'introduce' }>): Promise<void> {
    const service = this.introPoints.circuitFor(c.service);
    if (service === undefined || !service.open || service === r) return this.answer(r, { command: 'introduce-ack', ok: false });
    await this.answer(service, c);
    await this.answer(r, { command: 'introduce-ack', ok: true });
  }

  /** One end asks us to be its rendezvous point: its circuit waits, under the cookie, for the other end. */
  private onRendezvous(r: Relayed, cookie: Uint8Array): void {
    const key = toHex(cookie);
    if (r.spliced !== undefined || this.rendezvous.has(key) || this.rendezvous.size >= MAX_RENDEZVOUS) return;
    this.rendezvous.set(key, r);
  }

  /** The other end arrives with the cookie: splice the two circuits and tell both. */
  private async onJoin(r: Relayed, cookie: Uint8Array): Promise<void> {
    const key = toHex(cookie);
    const waiting = this.rendezvous.get(key);
    if (waiting === undefined || waiting === r || !waiting.open || r.spliced !== undefined) {
      const cell = await r.backward.seal(DELIVER, encodeCommand({ command: 'extend-failed', reason: 'no circuit waits for that cookie here' }));
      return this.sendFrame(r.prev, { type: 'relay', circuitId: r.prev.circuitId, onion: cell });
    }
    this.rendezvous.delete(key);
    waiting.spliced = r;
    r.spliced = waiting;
    for (const end of [waiting, r]) {
      const cell = await end.backward.seal(DELIVER, encodeCommand({ command: 'joined' }));
      await this.sendFrame(end.prev, { type: 'relay', circuitId: end.prev.circuitId, onion: cell });
    }
  }

  private endOf(r: Relayed): CircuitEnd {
    r.end ??= {
      id: r.id,
      reply: (data) => this.replyFromEnd(r, data),
      surplus: () => {
        const extra = r.paidIn - r.paidOut - BigInt(r.bytes);
        return extra > 0n ? extra : 0n;
      },
      onClose: (listener) => {
        if (!r.open) return listener();
        (r.closeListeners ??= []).push(listener);
      },
    };
    return r.end;
  }

  private async replyFromEnd(r: Relayed, data: Uint8Array): Promise<void> {
    if (!this.byPrev.has(this.slot(r.prev.link, r.prev.circuitId))) throw new CircuitError('closed', 'the circuit is closed');
    for (let i = 0; i < data.length || i === 0; i += MAX_DATA_BYTES) {
      const cell = await r.backward.seal(DELIVER, encodeCommand({ command: 'data', data: data.subarray(i, i + MAX_DATA_BYTES) }));
      // What we send down a circuit we end is carried like any cell: its originator pays for it (at a
      // rendezvous point, each end pays for what crossed to it, so no payment for it passes the splice).
      if (!this.count(r, cell.length)) throw new CircuitError('broken', 'the circuit was cut');
      await this.relayOn(r, r.prev, { type: 'relay', circuitId: r.prev.circuitId, onion: cell });
    }
  }

  private async onExtend(r: Relayed, nextKey: Uint8Array, X: Uint8Array): Promise<void> {
    const fail = async (reason: string) => {
      const cell = await r.backward.seal(DELIVER, encodeCommand({ command: 'extend-failed', reason }));
      await this.sendFrame(r.prev, { type: 'relay', circuitId: r.prev.circuitId, onion: cell });
    };
    if (r.next !== undefined || r.extending) return fail('this hop is already extended');
    if (bytesEqual(nextKey, r.prev.link.remoteKey) || bytesEqual(nextKey, this.o.publicKey)) return fail('a circuit cannot turn back on itself');
    r.extending = true;
    try {
      const link = await this.o.connect(nextKey);
      const circuitId = this.freshId(link);
      const next = { link, circuitId };
      const { Y, auth } = await this.create(next, X);
      if (!this.byPrev.has(this.slot(r.prev.link, r.prev.circuitId))) {
        void this.sendFrame(next, { type: 'destroy', circuitId, reason: 'requested' });
        return;
      }
      r.next = next;
      this.byNext.set(this.slot(link, circuitId), r);
      const cell = await r.backward.seal(DELIVER, encodeCommand({ command: 'extended', Y, auth }));
      await this.sendFrame(r.prev, { type: 'relay', circuitId: r.prev.circuitId, onion: cell });
    } catch (err) {
      await fail(err instanceof Error ? err.message : 'the next hop could not be reached');
    } finally {
      r.extending = false;
    }
  }

  private async onBackwardCell(r: Relayed, onion: Uint8Array): Promise<void> {
    r.lastActive = this.o.now();
    if (!this.count(r, onion.length)) return;
    const cell = await r.backward.seal(FORWARD, onion);
    await this.o.throttle?.(cell.length);
    await this.relayOn(r, r.prev, { type: 'relay', circuitId: r.prev.circuitId, onion: cell });
  }

  /**
   * Passes a cell on. The link reader that brought it waits for this (so a
   * slow hop slows the path down), and circuits crossing the same relays in
   * a ring could wait on each other's windows for ever: a write stuck this
   * long cuts its circuit, so the reader goes on and the links drain.
   */
  private async relayOn(r: Relayed, hop: Hop, f: LinkFrame): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), this.o.forwardStallMs ?? FORWARD_STALL_MS)));
    const outcome = await Promise.race([this.sendFrame(hop, f), stalled]);
    clearTimeout(timer);
    // Not awaited: its destroy frames may queue behind the stuck cell.
    if (outcome === 'stalled') void this.teardown(r, 'timeout', 'both');
  }

  /**
   * Counts relayed bytes. A circuit past its byte limit is torn down, and so
   * is one whose previous hop lets its unpaid bytes pass the window. When the
   * previous hop's key owes more than its window over all its circuits, its
   * circuits more than a payment step behind go, and it may build no more
   * until it pays; those within a step stay (a relay's honest traffic, while
   * a free rider it carries, now cut, costs it its window until it settles).
   */
  private count(r: Relayed, bytes: number): boolean {
    r.bytes += bytes;
    this.o.onRelayEvent?.({ type: 'bytes', id: r.id, bytes });
    if (r.bytes > MAX_CIRCUIT_BYTES) {
      void this.teardown(r, 'limit', 'both');
      return false;
    }
    if (this.o.pay === undefined) return true;
    this.debts.add(r.debtor, BigInt(bytes));
    let cut: Relayed[];
    // Cheap checks first: the announcements are walked only for a circuit or key already past its limit.
    if (unpaidOn(r) > WINDOW && unpaidOn(r) - this.inFlight(r.debtor, r) > WINDOW) cut = [r];
    else if (this.overWindow(r.debtor)) cut = [...this.byPrev.values()].filter((c) => c.debtor === r.debtor && unpaidOn(c) > STEP && unpaidOn(c) - this.inFlight(c.debtor, c) > STEP);
    else return true;
    for (const c of cut) void this.teardown(c, 'unpaid', 'both');
    // A cut is stored at once, not with the next batch: a reload right after must not forgive it.
    if (cut.length > 0) void this.debts.flush();
    return !cut.includes(r);
  }

  /**
   * Whether the key owes more than it may: RELAY_UNPAID_WINDOW_BYTES, plus a
   * payment step for each of its circuits that may still be paying (open, or
   * closed lately, not for debt, and awaiting its final payment); see constants.ts.
   */
  private overWindow(debtor: string): boolean {
    const debt = this.debts.of(debtor);
    if (debt <= WINDOW) return false; // the common case, without walking the circuits
    const now = this.o.now();
    const paying = new Set<Relayed>();
    for (const r of this.byPrev.values()) if (r.debtor === debtor) paying.add(r);
    for (const { r } of this.closing.values()) if (r.debtor === debtor && r.excusedUntil > now) paying.add(r);
    return debt - this.inFlight(debtor) > WINDOW + STEP * BigInt(paying.size);
  }

  /**
   * Tokens `debtor` announced on its links (for circuit `r` only, if given)
   * whose proposals are on their way: counted as paid for PAYOUT_IN_FLIGHT_MS,
   * up to MAX_IN_FLIGHT_CREDIT_BYTES. A key that let one lapse gets none.
   */
  private inFlight(debtor: string, r?: Relayed): bigint {
    if (this.lapsed.has(debtor)) return 0n;
    const now = this.o.now();
    let sum = 0n;
    for (const a of this.announced.get(debtor) ?? []) {
      if (a.forward === undefined || (r !== undefined && a.forward !== r)) continue;
      if (now - a.at > PAYOUT_IN_FLIGHT_MS) {
        if (this.lapsed.size >= MAX_RELAY_DEBTORS) this.lapsed.delete(this.lapsed.values().next().value!);
        this.lapsed.add(debtor);
        return 0n;
      }
      sum += a.amount;
    }
    return sum < BigInt(MAX_IN_FLIGHT_CREDIT_BYTES) ? sum : BigInt(MAX_IN_FLIGHT_CREDIT_BYTES);
  }

  /** What the neighbour with this key owes us for relaying, over all its circuits (diagnostics, tests). */
  owedBy(key: Uint8Array): bigint {
    return this.debts.of(toHex(key));
  }

  /** Writes what neighbours owe to storage now (before the tab goes). */
  flushDebts(): Promise<void> {
    return this.debts.flush();
  }

  /**
   * The ledger asks whether to countersign a payout of `amount` from the
   * neighbour with this key: yes if that neighbour announced it for a circuit
   * it runs through us. The payment is credited to that circuit.
   */
  async acceptPayout(fromKey: Uint8Array, amount: bigint): Promise<boolean> {
    const key = toHex(fromKey);
    // The announcement travels on the circuit link, the proposal on a ledger stream: it may come second.
    if (!this.announced.get(key)?.some((a) => a.amount === amount)) await this.announcement(key, amount);
    const list = this.announced.get(key);
    const i = list?.findIndex((a) => a.amount === amount) ?? -1;
    if (list === undefined || i < 0) return false;
    const [entry] = list.splice(i, 1) as [Announced];
    entry.credit(amount, entry.bytesAt);
    return true;
  }

  /**
   * Whom a payout announced on (link, circuit) is for: a circuit we relay,
   * paid from its originator's side (forward) or passed back from the far
   * side (backward), or a circuit we built, paid from the far side.
   */
  private payoutTarget(link: CircuitLink, s: string): Omit<Announced, 'amount' | 'at' | 'bytesAt'> | undefined {
    const r = this.byPrev.get(s) ?? this.byNext.get(s) ?? this.closing.get(s)?.r;
    const from = (hop: Hop | undefined): boolean => hop !== undefined && hop.link === link && this.slot(link, hop.circuitId) === s;
    if (r !== undefined && (from(r.prev) || from(r.next))) {
      const forward = from(r.prev);
      return {
        ...(forward ? { forward: r } : {}),
        live: () => this.mayBePaid(r),
        credit: (amount, bytesAt) => {
          if (forward) {
            r.paidIn += amount;
            if (bytesAt > r.covered) r.covered = bytesAt;
            this.debts.add(r.debtor, -amount);
          } else r.backIn += amount;
          this.o.onRelayEvent?.({ type: 'paid', id: r.id, amount, direction: 'in' });
          void (forward ? this.passOn(r) : this.passBack(r));
        },
      };
    }
    const c = this.originated.get(s) ?? this.closedOrigins.get(s)?.c;
    if (c === undefined) return undefined;
    return { live: () => this.originated.has(s) || this.closedOrigins.has(s), credit: (amount) => c.creditFromFarSide(amount) };
  }

  private mayBePaid(r: Relayed): boolean {
    return r.open || [...this.closing.values()].some((c) => c.r === r);
  }

  /** Resolves when `key` announces a payout of `amount`, or after PAYOUT_ANNOUNCE_WAIT_MS. */
  private announcement(key: string, amount: bigint): Promise<void> {
    return new Promise((resolve) => {
      const waiter = {
        key,
        amount,
        wake: () => {
          clearTimeout(timer);
          this.announceWaiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, PAYOUT_ANNOUNCE_WAIT_MS);
      this.announceWaiters.add(waiter);
    });
  }

  /**
   * Pays the next hop what the previous one paid beyond our own share (one
   * token per byte we carried): the originator pays for its whole path at
   * the first hop and each relay passes the rest on. At a rendezvous point
   * the rest goes to the spliced circuit, back toward the other end. The
   * aggregation is the originator's: it pays in jittered steps.
   *
   * Debt is hop by hop: the next hop holds us to what we handed it, whoever
   * built the circuit. So a while after a circuit we extended closed (its
   * final payment had its time), we pay the next hop at least one token per
   * byte we carried on it, from our own tokens if the previous hop paid too
   * little: what a non-paying originator costs stays with its first hop
   * (bounded by that key's window) and never marks an honest relay down the
   * path as a debtor.
   */
  private passOn(r: Relayed): Promise<void> {
    const owed = (): bigint => {
      // Our share is what the payments cover of our bytes, not what we carried since: that is paid with the next step.
      const rest = r.paidIn - r.paidOut - BigInt(Math.min(r.bytes, r.covered));
      const liable = r.liable && r.next !== undefined ? BigInt(r.bytes) - r.paidOut : 0n;
      return rest > liable ? rest : liable;
    };
    return this.passPayment(r, r.forwardFlow, r.next ?? r.spliced?.prev, owed, (a) => {
      r.paidOut += a;
      // It was the next hop's, not ours: it no longer pays off the previous hop's debt.
      this.debts.add(r.debtor, a);
    });
  }

  /** Passes a payment from the far side on toward the originator, whole. */
  private passBack(r: Relayed): Promise<void> {
    return this.passPayment(r, r.backFlow, r.prev, () => r.backIn - r.backOut, (a) => (r.backOut += a));
  }

  /**
   * Pays `hop` what is owed on one of a circuit's payment flows, after a
   * random pause so the payment in and the payment out are not matched by
   * their timing alone. Up to PAYMENTS_IN_FLIGHT payments per flow are under
   * way at once (a payment arriving while one is passed on goes on at once,
   * not after it); then again for what arrived meanwhile. One not
   * countersigned stays owed and goes with the next.
   */
  private async passPayment(r: Relayed, flow: PaymentFlow, hop: Hop | undefined, owed: () => bigint, paidOut: (amount: bigint) => void): Promise<void> {
    const pay = this.o.pay;
    if (pay === undefined || hop === undefined || flow.payments >= PAYMENTS_IN_FLIGHT || owed() - flow.inFlight <= 0n) return;
    flow.payments++;
    let amount = 0n;
    let ok = false;
    try {
      await new Promise((resolve) => setTimeout(resolve, (this.o.random(1)[0]! / 256) * (this.o.passOnDelayMaxMs ?? PASS_ON_DELAY_MAX_MS)));
      const due = owed() - flow.inFlight;
      if (due <= 0n || this.o.seams?.beforePay?.(hop.link.remoteKey, due) === false) return;
      amount = due;
      flow.inFlight += amount;
      await this.sendFrame(hop, { type: 'payout', circuitId: hop.circuitId, amount });
      await pay(hop.link.remoteKey, amount);
      paidOut(amount);
      this.o.onRelayEvent?.({ type: 'paid', id: r.id, amount, direction: 'out' });
      ok = true;
    } catch {
      // Not countersigned: it stays owed, and is tried again shortly.
    } finally {
      flow.payments--;
      flow.inFlight -= amount;
    }
    if (ok) {
      flow.failures = 0;
      await this.passPayment(r, flow, hop, owed, paidOut);
    } else if (amount > 0n && flow.failures < PAYMENT_RETRIES) {
      setTimeout(() => void this.passPayment(r, flow, hop, owed, paidOut), PAYMENT_RETRY_MS * ++flow.failures);
    }
  }

  private async badCell(r: Relayed): Promise<void> {
    if (++r.badCells > MAX_BAD_CELLS_PER_CIRCUIT) await this.teardown(r, 'protocol', 'both');
  }

  private async teardown(r: Relayed, reason: DestroyReason, notify: 'prev' | 'next' | 'both'): Promise<void> {
    const s = this.slot(r.prev.link, r.prev.circuitId);
    if (this.byPrev.get(s) !== r) return;
    this.byPrev.delete(s);
    r.open = false;
    if (reason !== 'unpaid') r.excusedUntil = this.o.now() + FINAL_PAYMENT_WAIT_MS;
    this.closing.set(s, { r, until: this.o.now() + PAYOUT_GRACE_MS });
    if (r.next !== undefined) {
      const n = this.slot(r.next.link, r.next.circuitId);
      this.byNext.delete(n);
      // Payments passed back from the far side may still be on their way.
      this.closing.set(n, { r, until: this.o.now() + PAYOUT_GRACE_MS });
    }
    for (const [k, w] of this.rendezvous) if (w === r) this.rendezvous.delete(k);
    this.introPoints.drop(r);
    // A spliced pair lives and dies together: the other end learns its partner left.
    if (r.spliced !== undefined) void this.teardown(r.spliced, 'hop-lost', 'prev');
    this.o.onRelayEvent?.({ type: 'closed', id: r.id, reason, bytes: r.bytes });
    for (const l of r.closeListeners?.splice(0) ?? []) l();
    void this.passOn(r);
    if (r.next !== undefined && this.o.pay !== undefined) {
      setTimeout(() => {
        r.liable = true;
        void this.passOn(r);
      }, this.o.liableAfterMs ?? RELAY_LIABLE_AFTER_MS);
    }
    const sends: Promise<void>[] = [];
    if (notify !== 'next') sends.push(this.sendFrame(r.prev, { type: 'destroy', circuitId: r.prev.circuitId, reason }));
    if (notify !== 'prev' && r.next !== undefined) sends.push(this.sendFrame(r.next, { type: 'destroy', circuitId: r.next.circuitId, reason }));
    await Promise.all(sends);
  }

  /** Drops relayed circuits past their lifetime or idle too long; call periodically. */
  async sweep(): Promise<void> {
    const now = this.o.now();
    for (const r of [...this.byPrev.values()]) {
      if (now - r.openedAt > CIRCUIT_LIFETIME_MS || now - r.lastActive > IDLE_TIMEOUT_MS) await this.teardown(r, 'timeout', 'both');
    }
    for (const c of [...this.originated.values()]) await c.keepalive(now);
    for (const [s, c] of this.closing) if (c.until < now) this.closing.delete(s);
    for (const [s, c] of this.closedOrigins) if (c.until < now) this.closedOrigins.delete(s);
    for (const [k, list] of this.announced) {
      const live = list.filter((a) => a.live());
      if (live.length === 0) this.announced.delete(k);
      else this.announced.set(k, live);
    }
  }

  private async sendFrame(hop: Hop, f: LinkFrame): Promise<void> {
    try {
      await hop.link.send(encodeFrame(f));
    } catch {
      // The link is gone; its close handler tears its circuits down.
    }
  }

  /** Sends `create` on a hop and waits for `created`. */
  private create(hop: Hop, X: Uint8Array): Promise<{ Y: Uint8Array; auth: Uint8Array }> {
    const s = this.slot(hop.link, hop.circuitId);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingCreates.delete(s);
        reject(new CircuitError('timeout', 'the next hop did not answer in time'));
      }, HANDSHAKE_TIMEOUT_MS);
      this.pendingCreates.set(s, { resolve, reject, timer });
      void this.sendFrame(hop, { type: 'create', circuitId: hop.circuitId, X });
    });
  }

  // ---- originating ---------------------------------------------------------------

  /**
   * Builds a circuit through `path` (up to MAX_HOPS relays, then the far end:
   * peer identities, in order), proving each hop's identity with a handshake
   * against its key.
   */
  async build(path: readonly Uint8Array[], onData: (data: Uint8Array) => void = () => undefined): Promise<OriginCircuit> {
    if (path.length < 1 || path.length > MAX_PATH_LENGTH) throw new CircuitError('limit', `a circuit runs through 1 to ${MAX_PATH_LENGTH} peers (up to ${MAX_HOPS} relays and the far end)`);
    const link = await this.o.connect(path[0]!);
    const first = { link, circuitId: this.freshId(link) };
    const eph = clientStart(this.o.random);
    const slot = this.slot(link, first.circuitId);
    const forget = (): void => {
      if (this.originated.get(slot) !== circuit) return;
      this.originated.delete(slot);
      this.closedOrigins.set(slot, { c: circuit, until: this.o.now() + PAYOUT_GRACE_MS });
    };
    const circuit: OriginCircuit = new OriginCircuit(this.o, first, onData, forget, (h, f) => this.sendFrame(h, f), () => this.nextPayThreshold());
    const { Y, auth } = await this.create(first, eph.publicKey);
    await circuit.addHop(path[0]!, clientFinish(eph, staticPublicKeyOf(path[0]!), Y, auth));
    this.originated.set(this.slot(link, first.circuitId), circuit);
    try {
      for (const next of path.slice(1)) await circuit.extend(next);
      circuit.state = 'ready';
    } catch (err) {
      await circuit.close();
      throw err;
    }
    return circuit;
  }
}

/** Bytes of a relayed circuit its previous hop has not paid for: what we kept paid for our own bytes, the rest was passed on for others. */
function unpaidOn(r: Relayed): bigint {
  return BigInt(r.bytes) - (r.paidIn - r.paidOut);
}


export { OriginCircuit } from './origin-circuit.ts';
