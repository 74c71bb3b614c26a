/**
 * A peer's circuit machinery, the relay core: links and their frames, create,
 * extend, forward and tear down, and building our own circuits hop by hop
 * (origin-circuit.ts is our end of each). Each other role is its own file:
 * who may open a circuit (relay-admission.ts, relay-tables.ts), what
 * neighbours owe and the payments passed on (relay-payments.ts), and the
 * introduction and rendezvous points (service-points.ts). Pure protocol
 * logic: clock, randomness and WebCrypto are injected; the libp2p glue feeds
 * it frames and opens links.
 */
import { OriginCircuit } from './origin-circuit.ts';
import { bytesEqual, compareBytes, toHex } from '../codec/bytes.ts';
import { DecodeError } from '../codec/binary.ts';
import type { CircuitLink } from './circuit-link.ts';
import { decodeCell, decodeFrame, encodeBackwardCell, encodeFrame, type DestroyReason, type FailCode, type LinkFrame, type RelayCommand } from './cell-wire.ts';
import { CIRCUIT_LIFETIME_MS, HANDSHAKE_TIMEOUT_MS, IDLE_PLACE_BYTES, IDLE_TIMEOUT_MS, MAX_BAD_CELLS_PER_CIRCUIT, MAX_CIRCUIT_BYTES, MAX_DATA_BYTES, MAX_HOPS, MAX_PATH_LENGTH, PAYOUT_EVERY_BYTES, PAYOUT_GRACE_MS, PAYOUT_JITTER, FINAL_PAYMENT_WAIT_MS, FORWARD_STALL_MS } from './constants.ts';
import { CircuitError } from './errors.ts';
import { clientFinish, clientStart, HandshakeError, serverRespond, staticPublicKeyOf } from './handshake.ts';
import { DELIVER, FORWARD, layersOf, type LayerCipher } from './layer.ts';
import { RelayAdmission } from './relay-admission.ts';
import { circuitBinding } from './descriptors.ts';
import { RelayPayments } from './relay-payments.ts';
import { ServicePoints } from './service-points.ts';
import { openRelayed, type Announced, type CircuitEnd, type Hop, type Relayed } from './relayed.ts';

export type { CircuitEnd, Hop, RelayEvent } from './relayed.ts';

import type { CircuitNodeOptions } from './circuit-node-options.ts';

export type { CircuitNodeOptions } from './circuit-node-options.ts';

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
  /** Circuits we built that closed lately: payments passed back to us may still arrive (until the time given). */
  private readonly closedOrigins = new Map<string, { c: OriginCircuit; until: number }>();
  /** Our introduction and rendezvous points (service-points.ts). */
  private readonly points: ServicePoints;
  /** What neighbours owe us and the payments we pass on (relay-payments.ts). */
  private readonly payments: RelayPayments;

  /** The signed descriptors we hold as introduction point for this lookup key (answers lookups). */
  introducedDescriptors(lookup: Uint8Array): Uint8Array[] {
    return this.points.descriptorsFor(lookup);
  }
  /** Who may open a circuit through us (relay-admission.ts). */
  private readonly admission: RelayAdmission;

  constructor(private readonly o: CircuitNodeOptions) {
    this.points = new ServicePoints({ publicKey: o.publicKey, now: o.now, answer: (r, c) => this.answer(r, c) });
    this.payments = new RelayPayments(o, {
      open: () => this.byPrev.values(),
      closing: () => [...this.closing.values()].map((c) => c.r),
      cut: (r, reason) => void this.teardown(r, reason, 'both'),
      sendFrame: (hop, f) => this.sendFrame(hop, f),
    });
    this.admission = new RelayAdmission(o, {
      overWindow: (neighbour) => this.payments.overWindow(neighbour),
      relayed: () => [...this.byPrev.values()].map((r) => ({ r, exempt: this.points.holds(r) })),
      evict: (r) => void this.teardown(r, 'limit', 'both'),
    });
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
        this.payments.announce(toHex(link.remoteKey), target, f.amount);
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
    const decision = await this.admission.decide(link.remoteKey, () => !this.byPrev.has(s));
    if (decision === 'taken') return;
    if (!decision.admit) return refuse(decision.reason);
    // The place it was given counts until the circuit is in the table or the handshake failed.
    let answer: ReturnType<typeof serverRespond>;
    let forward: LayerCipher, backward: LayerCipher;
    try {
      answer = serverRespond(this.o.staticKey, X, this.o.random);
      [forward, backward] = await layersOf(this.o.subtle, answer.keys);
    } catch (err) {
      if (err instanceof HandshakeError) return refuse('protocol');
      throw err;
    } finally {
      decision.settled();
    }
    const r = openRelayed({ id: toHex(this.o.random(8)), prev: { link, circuitId }, forward, backward, binding: circuitBinding(answer.keys), now: this.o.now(), newcomer: decision.newcomer, balance: decision.balance });
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
      c = decodeCell(layer.body);
    } catch {
      return this.badCell(r);
    }
    // The originator's keepalive: it refreshed lastActive above, like any cell; nothing else to do.
    if (c.command === 'drop') return;
    if (c.command === 'extend') return this.onExtend(r, c.next, c.X);
    if (r.next !== undefined) return;
    if (c.command === 'data') {
      // At a rendezvous point, what one end sends is the other end's to receive.
      if (r.spliced !== undefined) return this.replyFromEnd(r.spliced, c.data);
      this.o.onEndpointData?.(this.endOf(r), c.data);
      return;
    }
    const handled = this.points.handle(r, c);
    if (handled !== false) return handled;
  }

  /** Sends a relay command back along a circuit we end. */
  private async answer(r: Relayed, c: RelayCommand): Promise<void> {
    const cell = await this.sealBack(r, c);
    // Counted like every cell we send down a circuit (replyFromEnd): its originator counts it too, and pays for it.
    if (!this.count(r, cell.length)) return;
    await this.sendFrame(r.prev, { type: 'relay', circuitId: r.prev.circuitId, onion: cell });
  }

  /**
   * Seals a command for the originator, padded to its size class as if we were 0..MAX_HOPS hops
   * further (cell-wire.ts): the same on a circuit for its life (a byte of its binding, a hash
   * known only to its two ends), so relays cannot take the largest size over many cells.
   */
  private sealBack(r: Relayed, c: RelayCommand): Promise<Uint8Array> {
    return r.backward.seal(DELIVER, encodeBackwardCell(c, r.binding[0]! % (MAX_HOPS + 1)));
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
      const cell = await this.sealBack(r, { command: 'data', data: data.subarray(i, i + MAX_DATA_BYTES) });
      // What we send down a circuit we end is carried like any cell: its originator pays for it (at a
      // rendezvous point, each end pays for what crossed to it, so no payment for it passes the splice).
      if (!this.count(r, cell.length)) throw new CircuitError('broken', 'the circuit was cut');
      await this.relayOn(r, r.prev, { type: 'relay', circuitId: r.prev.circuitId, onion: cell });
    }
  }

  private async onExtend(r: Relayed, nextKey: Uint8Array, X: Uint8Array): Promise<void> {
    const fail = (code: FailCode) => this.answer(r, { command: 'extend-failed', code });
    // Already extended, or turning back on itself.
    if (r.next !== undefined || r.extending) return fail('protocol');
    if (bytesEqual(nextKey, r.prev.link.remoteKey) || bytesEqual(nextKey, this.o.publicKey)) return fail('protocol');
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
      await this.answer(r, { command: 'extended', Y, auth });
    } catch (err) {
      // Our own error text stays here: the originator gets a code.
      await fail(err instanceof CircuitError && (err.code === 'refused' || err.code === 'unpaid') ? 'refused' : 'unreachable');
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
    if (r.bytes - r.busyMark >= IDLE_PLACE_BYTES) {
      r.busyMark = r.bytes;
      r.busyAt = this.o.now();
    }
    this.o.onRelayEvent?.({ type: 'bytes', id: r.id, bytes });
    if (r.bytes > MAX_CIRCUIT_BYTES) {
      void this.teardown(r, 'limit', 'both');
      return false;
    }
    return this.payments.charge(r, bytes);
  }

  /** What the neighbour with this key owes us for relaying, over all its circuits (diagnostics, tests). */
  owedBy(key: Uint8Array): bigint {
    return this.payments.owedBy(key);
  }

  /** Writes what neighbours owe to storage now (before the tab goes). */
  flushDebts(): Promise<void> {
    return this.payments.flush();
  }

  /**
   * The ledger asks whether to countersign a payout of `amount` from the
   * neighbour with this key: yes if that neighbour announced it for a circuit
   * it runs through us. The payment is credited to that circuit.
   */
  acceptPayout(fromKey: Uint8Array, amount: bigint): Promise<boolean> {
    return this.payments.acceptPayout(fromKey, amount);
  }

  /**
   * Whom a payout announced on (link, circuit) is for: a circuit we relay,
   * paid from its originator's side (forward) or passed back from the far
   * side (backward), or a circuit we built, paid from the far side.
   */
  private payoutTarget(link: CircuitLink, s: string): Omit<Announced, 'amount' | 'at' | 'bytesAt'> | undefined {
    const r = this.byPrev.get(s) ?? this.byNext.get(s) ?? this.closing.get(s)?.r;
    const from = (hop: Hop | undefined): boolean => hop !== undefined && hop.link === link && this.slot(link, hop.circuitId) === s;
    if (r !== undefined && (from(r.prev) || from(r.next))) return this.payments.targetOf(r, from(r.prev));
    const c = this.originated.get(s) ?? this.closedOrigins.get(s)?.c;
    if (c === undefined) return undefined;
    return { live: () => this.originated.has(s) || this.closedOrigins.has(s), credit: (amount) => c.creditFromFarSide(amount) };
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
    this.points.drop(r);
    // A spliced pair lives and dies together: the other end learns its partner left.
    if (r.spliced !== undefined) void this.teardown(r.spliced, 'hop-lost', 'prev');
    this.o.onRelayEvent?.({ type: 'closed', id: r.id, reason, bytes: r.bytes });
    for (const l of r.closeListeners?.splice(0) ?? []) l();
    this.payments.closed(r);
    const sends: Promise<void>[] = [];
    if (notify !== 'next') sends.push(this.sendFrame(r.prev, { type: 'destroy', circuitId: r.prev.circuitId, reason }));
    if (notify !== 'prev' && r.next !== undefined) sends.push(this.sendFrame(r.next, { type: 'destroy', circuitId: r.next.circuitId, reason }));
    await Promise.all(sends);
  }

  /** Drops relayed circuits past their lifetime or idle too long, and rendezvous waits past theirs; call periodically. */
  async sweep(): Promise<void> {
    const now = this.o.now();
    await this.points.expire();
    for (const r of [...this.byPrev.values()]) {
      if (now - r.openedAt > CIRCUIT_LIFETIME_MS || now - r.lastActive > IDLE_TIMEOUT_MS) await this.teardown(r, 'timeout', 'both');
    }
    for (const c of [...this.originated.values()]) await c.keepalive(now);
    for (const [s, c] of this.closing) if (c.until < now) this.closing.delete(s);
    for (const [s, c] of this.closedOrigins) if (c.until < now) this.closedOrigins.delete(s);
    this.payments.sweep();
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
    const circuit: OriginCircuit = new OriginCircuit(this.o, first, onData, forget, (h, f) => this.sendFrame(h, f), () => this.nextPayThreshold(), path.length);
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

export { OriginCircuit } from './origin-circuit.ts';
