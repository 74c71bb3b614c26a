/**
 * A peer's circuit machinery, the relay core: links and their frames, create,
 * extend, forward and tear down. Each other role is its own file: our own
 * circuits (originator.ts, origin-circuit.ts), who may open a circuit
 * (relay-admission.ts, relay-tables.ts), what neighbours owe and the payments
 * passed on (relay-payments.ts), per-circuit queues and end-to-end windows
 * (relay-queue.ts, far-end.ts), and the introduction and rendezvous points
 * (service-points.ts). Pure protocol
 * logic: clock, randomness and WebCrypto are injected; the libp2p glue feeds
 * it frames and opens links.
 */
import type { OriginCircuit } from './origin-circuit.ts';
import { Originator } from './originator.ts';
import { bytesEqual, toHex } from '../codec/bytes.ts';
import { DecodeError } from '../codec/binary.ts';
import type { CircuitLink } from './circuit-link.ts';
import { decodeCell, decodeFrame, encodeCell, encodeFrame, type DestroyReason, type FailCode, type LinkFrame, type RelayCommand } from './cell-wire.ts';
import { CIRCUIT_LIFETIME_MS, IDLE_PLACE_BYTES, IDLE_TIMEOUT_MS, MAX_BAD_CELLS_PER_CIRCUIT, MAX_CIRCUIT_BYTES, PAYOUT_GRACE_MS, FINAL_PAYMENT_WAIT_MS } from './constants.ts';
import { CircuitError } from './errors.ts';
import { HandshakeError, serverRespond } from './handshake.ts';
import { hopLayersOf, ONION_OVERHEAD, type HopLayer } from './hop-layer.ts';
import { FarEnds, openFlow, stalled, windowBytesOf } from './far-end.ts';
import { tagOf } from './circuit-window.ts';
import type { CircuitQueue } from './relay-queue.ts';
import { RelayAdmission } from './relay-admission.ts';
import { circuitBinding } from './descriptors.ts';
import { RelayPayments } from './relay-payments.ts';
import { ServicePoints } from './service-points.ts';
import { OrphanedSlots } from './orphaned-slots.ts';
import { openRelayed, type AnnouncedTarget, type Hop, type Relayed } from './relayed.ts';

export type { CircuitEnd, Hop, RelayEvent } from './relayed.ts';

import type { CircuitNodeOptions } from './circuit-node-options.ts';

export type { CircuitNodeOptions } from './circuit-node-options.ts';


export class CircuitNode {
  private readonly linkIds = new WeakMap<CircuitLink, number>();
  private nextLinkId = 1;
  /** Relayed circuits by the side they came from, and by the side we extended them to. */
  private readonly byPrev = new Map<string, Relayed>();
  private readonly byNext = new Map<string, Relayed>();
  /** Torn-down circuits that may still receive their final payment, until the time given. */
  private readonly closing = new Map<string, { r: Relayed; until: number }>();
  /** Closed circuits (relayed or ours) whose link went: their payouts come on another link (orphaned-slots.ts). */
  private readonly orphans = new OrphanedSlots();
  /** Our own circuits and the creates we wait on (originator.ts). */
  private readonly origins: Originator;
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
  /** The end-to-end flow of circuits we end (far-end.ts). */
  private readonly ends: FarEnds;

  constructor(private readonly o: CircuitNodeOptions) {
    this.origins = new Originator(o, { slot: (link, id) => this.slot(link, id), relayedNext: (s) => this.byNext.has(s), sendFrame: (hop, f) => this.sendFrame(hop, f) });
    this.points = new ServicePoints({ publicKey: o.publicKey, now: o.now, answer: (r, c) => this.answer(r, c) });
    this.payments = new RelayPayments(o, {
      open: () => this.byPrev.values(),
      closing: () => [...this.closing.values()].map((c) => c.r),
      cut: (r, reason) => void this.teardown(r, reason, 'both'),
      sendFrame: (hop, f) => this.behindCells(hop, f),
      sendReceipt: (r, c) => void this.sendBack(r, c, undefined, false),
    });
    this.admission = new RelayAdmission(o, {
      overWindow: (neighbour) => this.payments.overWindow(neighbour),
      relayed: () => [...this.byPrev.values()].map((r) => ({ r, exempt: this.points.holds(r) })),
      evict: (r) => void this.teardown(r, 'limit', 'both'),
    });
    this.ends = new FarEnds({
      sendBack: (r, c, sealed) => this.sendBack(r, c, sealed),
      // At a rendezvous point, what one end sends is the other end's to receive.
      deliver: (r, data) => (r.spliced !== undefined ? this.ends.reply(r.spliced, data) : this.o.onEndpointData?.(this.ends.endOf(r), data)),
      cut: (r) => void this.teardown(r, 'protocol', 'both'),
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

  /** The next payment's trigger (originator.ts). */
  nextPayThreshold(): number {
    return this.origins.nextPayThreshold();
  }

  /** Circuits we built that are open. */
  originatedCircuits(): OriginCircuit[] {
    return this.origins.circuits();
  }

  /** How many of them go through the neighbour with this key first. */
  originatedThrough(key: Uint8Array): number {
    return this.origins.throughNeighbour(key);
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
      case 'created':
        return this.origins.created(s, { Y: f.Y, auth: f.auth });
      case 'relay': {
        const prev = this.byPrev.get(s);
        if (prev !== undefined) return this.onForwardCell(prev, f.onion);
        const next = this.byNext.get(s);
        if (next !== undefined) return this.onBackwardCell(next, f.onion);
        await this.origins.circuitAt(s)?.onCell(f.onion);
        return;
      }
      case 'destroy': {
        const prev = this.byPrev.get(s);
        if (prev !== undefined) return this.teardown(prev, f.reason, 'next');
        const next = this.byNext.get(s);
        if (next !== undefined) return this.teardown(next, f.reason === 'requested' ? 'hop-lost' : f.reason, 'prev');
        return this.origins.destroyed(s, f.reason);
      }
      case 'credit':
        return; // the link's own flow control, consumed by the link
      case 'payout': {
        // One for a circuit whose link went comes on another link from the same neighbour (see sendFrame).
        const orphan = this.orphans.find(link.remoteKey, f.circuitId);
        const target = this.payoutTarget(link, s) ?? (orphan === undefined ? undefined : this.payoutTarget(orphan.link, orphan.slot));
        if (target === undefined) return;
        this.payments.announce(toHex(link.remoteKey), target, f.amount, f.total);
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
    this.o.onRelayEvent?.({ type: 'link-closed', to: link.remoteKey });
    this.origins.linkClosed(link);
    // Circuits on it, closed now or before, may still be paid: their payers use another link.
    for (const [s, { r }] of this.closing) for (const hop of [r.prev, r.next]) if (hop?.link === link && this.slot(link, hop.circuitId) === s) this.orphans.add(link, hop.circuitId, s);
    for (const circuitId of this.origins.closedOn(link)) this.orphans.add(link, circuitId, this.slot(link, circuitId));
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
    let forward: HopLayer, backward: HopLayer;
    try {
      answer = serverRespond(this.o.staticKey, X, this.o.random);
      [forward, backward] = await hopLayersOf(this.o.subtle, answer.keys);
    } catch (err) {
      if (err instanceof HandshakeError) return refuse('protocol');
      throw err;
    } finally {
      decision.settled();
    }
    const r = openRelayed({ id: toHex(this.o.random(8)), prev: { link, circuitId }, forward, backward, binding: circuitBinding(answer.keys), now: this.o.now(), newcomer: decision.newcomer, balance: decision.balance, flow: openFlow(windowBytesOf(this.o), this.o.now) });
    this.byPrev.set(s, r);
    this.o.onRelayEvent?.({ type: 'opened', id: r.id, from: link.remoteKey });
    this.o.seams?.relayedOpened?.((c) => this.sendBack(r, c));
    await this.sendFrame(r.prev, { type: 'created', circuitId, Y: answer.Y, auth: answer.auth });
  }

  private async onForwardCell(r: Relayed, onion: Uint8Array): Promise<void> {
    // Numbered now, in arrival order (hop-layer.ts); every cell takes a number, ours or not.
    const layer = await r.forward.peel(onion);
    r.lastActive = this.o.now();
    if (!this.count(r, onion.length)) return;
    if (layer.mine === undefined) {
      // Not ours: on to the next hop, the same size. With no next hop, no honest path sends it (every cell
      // that reaches the last hop is its own): a relay before us altered or inserted it, and the hops after
      // that relay have lost step with the originator. The circuit is cut at once, as Tor does.
      if (r.next === undefined) return this.teardown(r, 'protocol', 'both');
      this.queue(r, r.flow.toNext, r.next, layer.cell, layer.cell.length, true);
      return;
    }
    let c: RelayCommand;
    try {
      c = decodeCell(layer.mine);
    } catch {
      return this.badCell(r);
    }
    // The originator's keepalive: it refreshed lastActive above, like any cell; nothing else to do.
    if (c.command === 'drop') return;
    // Not awaited: the link's other circuits go on while this one's next hop is reached.
    if (c.command === 'extend') return void this.onExtend(r, c.next, c.X);
    if (r.next !== undefined) return;
    if (c.command === 'data') return this.ends.onData(r, c.data, tagOf(layer.cell));
    if (c.command === 'sendme') return this.ends.onSendme(r, c.tag);
    const handled = this.points.handle(r, c);
    if (handled !== false) return handled;
  }

  /** Sends a relay command back along a circuit we end. */
  private async answer(r: Relayed, c: RelayCommand): Promise<void> {
    this.sendBack(r, c);
  }

  /**
   * Seals a command for the originator, padded to its size class (cell-wire.ts), and queues it behind
   * what waits for that link (its number is taken now, so cells go in sealing order). `sealed` sees
   * its sealed form first (a sendme carries its tag).
   */
  private sendBack(r: Relayed, c: RelayCommand, sealed?: (cell: Uint8Array) => void, counted = true): boolean {
    const plain = encodeCell(c);
    const done = r.backward.reserveSeal()(plain);
    const bytes = plain.length + ONION_OVERHEAD;
    // Counted like every cell we send down a circuit: its originator counts it too, and pays for it (at a
    // rendezvous point, each end pays for what crossed to it, so no payment for it passes the splice).
    // Not our receipts (`counted` false): they are for us, and one crossing the close would stay owed.
    if (counted && !this.count(r, bytes)) return false;
    return this.queue(r, r.flow.toPrev, r.prev, done.then((d) => (sealed?.(d.sealed), d.cell)), bytes, false);
  }

  private async onExtend(r: Relayed, nextKey: Uint8Array, X: Uint8Array): Promise<void> {
    const fail = (code: FailCode) => this.answer(r, { command: 'extend-failed', code });
    // Already extended, or turning back on itself.
    if (r.next !== undefined || r.extending) return fail('protocol');
    if (bytesEqual(nextKey, r.prev.link.remoteKey) || bytesEqual(nextKey, this.o.publicKey)) return fail('protocol');
    r.extending = true;
    try {
      const link = await this.o.connect(nextKey);
      const circuitId = this.origins.freshId(link);
      const next = { link, circuitId };
      const { Y, auth } = await this.origins.create(next, X);
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

  private onBackwardCell(r: Relayed, onion: Uint8Array): void {
    r.lastActive = this.o.now();
    if (!this.count(r, onion.length)) return;
    this.queue(r, r.flow.toPrev, r.prev, r.backward.reserveWrap()(onion), onion.length, true);
  }

  /**
   * Queues a cell of `r` for `hop` behind its others (relay-queue.ts): the link reader that brought
   * it goes on, and its link credit returns now. A queue past its bound is an end ignoring its window: cut.
   */
  private queue(r: Relayed, q: CircuitQueue, hop: Hop, onion: Uint8Array | Promise<Uint8Array>, bytes: number, relayed: boolean): boolean {
    const queued = q.push(bytes, async () => {
      const cell = await onion;
      if (relayed) await this.o.throttle?.(cell.length);
      await this.sendFrame(hop, { type: 'relay', circuitId: hop.circuitId, onion: cell });
    });
    if (!queued) void this.teardown(r, 'protocol', 'both');
    return queued;
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
  private payoutTarget(link: CircuitLink, s: string): AnnouncedTarget | undefined {
    const r = this.byPrev.get(s) ?? this.byNext.get(s) ?? this.closing.get(s)?.r;
    const from = (hop: Hop | undefined): boolean => hop !== undefined && hop.link === link && this.slot(link, hop.circuitId) === s;
    if (r !== undefined && (from(r.prev) || from(r.next))) return this.payments.targetOf(r, from(r.prev));
    return this.origins.payoutTarget(s);
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
    this.o.onRelayEvent?.({ type: 'closed', id: r.id, reason, bytes: r.bytes, paidIn: r.paidIn, paidOut: r.paidOut, promisedIn: r.promisedIn });
    for (const l of r.closeListeners?.splice(0) ?? []) l();
    this.payments.closed(r);
    r.flow.window.close(new CircuitError('closed', 'the circuit is closed'));
    // A side that closed it hears nothing more; the other gets what is queued for it, then the destroy (cut: at once).
    // Not awaited: a destroy may wait behind a stuck link.
    // Cells toward the originator dropped here were charged to it but never reach it, so it never pays them: uncharged.
    const toOriginator = this.farewell(r.flow.toPrev, r.prev, reason, notify !== 'next', notify === 'prev', (bytes) => this.payments.uncharge(r, bytes));
    void Promise.all([toOriginator, this.farewell(r.flow.toNext, r.next, reason, notify !== 'prev', notify === 'next')]);
  }

  /**
   * Sends a frame about a relayed circuit (a payout passed on) behind the circuit's cells queued for
   * that hop: it never overtakes the cells it pays for, which the hop counts at its announcement.
   */
  private behindCells(hop: Hop, f: LinkFrame): Promise<void> {
    const s = this.slot(hop.link, hop.circuitId);
    const r = this.byPrev.get(s) ?? this.byNext.get(s) ?? this.closing.get(s)?.r;
    const q = r === undefined ? undefined : hop === r.next ? r.flow.toNext : hop === r.prev ? r.flow.toPrev : undefined;
    if (q === undefined || !q.open) return this.sendFrame(hop, f);
    // Dropped with the queue (the circuit was cut, or its link went): it still goes, straight to the link.
    return new Promise((resolve) => q.push(0, () => this.sendFrame(hop, f).finally(resolve), () => void this.sendFrame(hop, f).finally(resolve)));
  }

  private farewell(q: CircuitQueue, hop: Hop | undefined, reason: DestroyReason, notify: boolean, drain: boolean, onDropped?: (bytes: number) => void): Promise<void> {
    const destroy = (): Promise<void> => (hop === undefined ? Promise.resolve() : this.sendFrame(hop, { type: 'destroy', circuitId: hop.circuitId, reason }));
    if (notify && drain && q.push(0, destroy)) return Promise.resolve();
    onDropped?.(q.close());
    return notify ? destroy() : Promise.resolve();
  }

  /** Drops relayed circuits past their lifetime or idle too long, and rendezvous waits past theirs; call periodically. */
  async sweep(): Promise<void> {
    const now = this.o.now();
    await this.points.expire();
    for (const r of [...this.byPrev.values()]) {
      if (now - r.openedAt > CIRCUIT_LIFETIME_MS || now - r.lastActive > IDLE_TIMEOUT_MS || stalled(r, now, this.o.forwardStallMs)) await this.teardown(r, 'timeout', 'both');
    }
    await this.origins.sweep(now);
    for (const [s, c] of this.closing) if (c.until < now) this.closing.delete(s);
    this.orphans.sweep((s) => this.closing.has(s) || this.origins.circuitAt(s) !== undefined);
    this.payments.sweep();
  }

  private async sendFrame(hop: Hop, f: LinkFrame): Promise<void> {
    const frame = encodeFrame(f);
    try {
      await hop.link.send(frame);
    } catch {
      // The link is gone; its close handler tears its circuits down. A payment is owed whatever became of the
      // circuit: its payout goes to the same neighbour on another link, which finds the circuit by our key and its id.
      if (f.type !== 'payout') return;
      try {
        const other = await this.o.connect(hop.link.remoteKey);
        if (other !== hop.link) await other.send(frame);
      } catch {
        // Not connected any more: the payment fails, and is tried again.
      }
    }
  }

  /** Builds a circuit through `path` (originator.ts). */
  build(path: readonly Uint8Array[], onData?: (data: Uint8Array) => void): Promise<OriginCircuit> {
    return this.origins.build(path, onData);
  }
}

export { OriginCircuit } from './origin-circuit.ts';
