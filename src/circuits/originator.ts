/**
 * Our own circuits (pure, beside the relay core in circuit-node.ts): building
 * them hop by hop, the `create` handshakes we are waiting on (ours, and a
 * relay's extends), the circuits we built while open and for a while after
 * (their final payments may still come), and their share of the link frames.
 * origin-circuit.ts is our end of each circuit.
 */
import { bytesEqual, compareBytes } from '../codec/bytes.ts';
import type { CircuitLink } from './circuit-link.ts';
import type { CircuitNodeOptions } from './circuit-node-options.ts';
import { encodeFrame, type DestroyReason, type LinkFrame } from './cell-wire.ts';
import { HANDSHAKE_TIMEOUT_MS, MAX_HOPS, MAX_PATH_LENGTH, PAYOUT_EVERY_BYTES, PAYOUT_GRACE_MS, PAYOUT_JITTER } from './constants.ts';
import { CircuitError } from './errors.ts';
import { clientFinish, clientStart, staticPublicKeyOf } from './handshake.ts';
import { OriginCircuit } from './origin-circuit.ts';
import type { AnnouncedTarget, Hop } from './relayed.ts';

const linkLost = (): CircuitError => new CircuitError('broken', 'the link to the next hop closed before it answered');

type Pending = { link: CircuitLink; resolve(v: { Y: Uint8Array; auth: Uint8Array }): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> };

/** What building needs of the relay core. */
export interface OriginatorHost {
  /** The key of a circuit id on a link, unique over all links. */
  slot(link: CircuitLink, circuitId: number): string;
  /** Whether a circuit we relay took this slot on its next hop's side. */
  relayedNext(slot: string): boolean;
  sendFrame(hop: Hop, f: LinkFrame): Promise<void>;
}

export class Originator {
  /** Circuits we built, by their first hop. */
  private readonly originated = new Map<string, OriginCircuit>();
  /** Circuits we built that closed lately: payments passed back to us may still arrive (until the time given). */
  private readonly closedOrigins = new Map<string, { c: OriginCircuit; until: number }>();
  /** Our `create`s waiting for `created`, by link and id. */
  private readonly pendingCreates = new Map<string, Pending>();

  constructor(
    private readonly o: CircuitNodeOptions,
    private readonly host: OriginatorHost,
  ) {}

  /** A fresh circuit id for a `create` we send on `link`, from our half of the id space. */
  freshId(link: CircuitLink): number {
    const top = compareBytes(this.o.publicKey, link.remoteKey) < 0 ? 0x8000_0000 : 0;
    for (;;) {
      const r = this.o.random(4);
      const id = ((((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) & 0x7fff_ffff) | top) >>> 0;
      const s = this.host.slot(link, id);
      if (id !== 0 && !this.host.relayedNext(s) && !this.originated.has(s) && !this.pendingCreates.has(s)) return id;
    }
  }

  /** The next payment's trigger: PAYOUT_EVERY_BYTES plus a random share, so timing does not mark a flow. */
  nextPayThreshold(): number {
    const r = this.o.random(2);
    return Math.round(PAYOUT_EVERY_BYTES * (1 + (PAYOUT_JITTER * ((r[0]! << 8) | r[1]!)) / 0x1_0000));
  }

  /** Circuits we built that are open. */
  circuits(): OriginCircuit[] {
    return [...this.originated.values()];
  }

  /** Our open circuits whose first hop is the neighbour with this key: while we have any, it is of use to us. */
  throughNeighbour(key: Uint8Array): number {
    let n = 0;
    for (const c of this.originated.values()) if (bytesEqual(c.firstHop.link.remoteKey, key)) n++;
    return n;
  }

  /** Our circuit at this slot, open or closed lately (its late cells are still ours). */
  circuitAt(slot: string): OriginCircuit | undefined {
    return this.originated.get(slot) ?? this.closedOrigins.get(slot)?.c;
  }

  /** Sends `create` on a hop and waits for `created`. */
  create(hop: Hop, X: Uint8Array): Promise<{ Y: Uint8Array; auth: Uint8Array }> {
    const s = this.host.slot(hop.link, hop.circuitId);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(s)?.reject(new CircuitError('timeout', 'the next hop did not answer in time')), HANDSHAKE_TIMEOUT_MS);
      this.pendingCreates.set(s, { link: hop.link, resolve, reject, timer });
      hop.link.send(encodeFrame({ type: 'create', circuitId: hop.circuitId, X })).catch(() => this.settle(s)?.reject(linkLost()));
    });
  }

  /** The create waiting at `slot`, no longer waiting; undefined if it was not. */
  private settle(slot: string): Pending | undefined {
    const p = this.pendingCreates.get(slot);
    if (p === undefined) return undefined;
    this.pendingCreates.delete(slot);
    clearTimeout(p.timer);
    return p;
  }

  /** `created` arrived for one of our creates. */
  created(slot: string, answer: { Y: Uint8Array; auth: Uint8Array }): void {
    this.settle(slot)?.resolve(answer);
  }

  /** `destroy` arrived for a slot that is neither side of a circuit we relay. */
  destroyed(slot: string, reason: DestroyReason): void {
    this.originated.get(slot)?.broken(reason);
    this.settle(slot)?.reject(
      reason === 'unpaid'
        ? new CircuitError('unpaid', 'that relay refuses new circuits from you until you pay what you owe it for relaying (unpaid)')
        : new CircuitError('refused', `the hop refused the circuit (${reason})`),
    );
  }

  /** A payout announced on one of our circuits is paid from the far side. */
  payoutTarget(slot: string): AnnouncedTarget | undefined {
    const c = this.circuitAt(slot);
    if (c === undefined) return undefined;
    return { live: () => this.originated.has(slot) || this.closedOrigins.has(slot), credit: (amount) => c.creditFromFarSide(amount) };
  }

  /** Ids of our circuits on `link` that closed lately: payments passed back to us may still come. */
  closedOn(link: CircuitLink): number[] {
    return [...this.closedOrigins.values()].filter(({ c }) => c.firstHop.link === link).map(({ c }) => c.firstHop.circuitId);
  }

  linkClosed(link: CircuitLink): void {
    for (const c of [...this.originated.values()]) if (c.firstHop.link === link) c.broken('hop-lost');
    // No answer can come on it: said now, not after the handshake's time is up.
    for (const [s, p] of [...this.pendingCreates]) if (p.link === link) this.settle(s)?.reject(linkLost());
  }

  async sweep(now: number): Promise<void> {
    for (const c of [...this.originated.values()]) await c.keepalive(now);
    for (const [s, c] of this.closedOrigins) if (c.until < now) this.closedOrigins.delete(s);
  }

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
    const slot = this.host.slot(link, first.circuitId);
    const forget = (): void => {
      if (this.originated.get(slot) !== circuit) return;
      this.originated.delete(slot);
      this.closedOrigins.set(slot, { c: circuit, until: this.o.now() + PAYOUT_GRACE_MS });
    };
    const circuit: OriginCircuit = new OriginCircuit(this.o, first, onData, forget, (h, f) => this.host.sendFrame(h, f), () => this.nextPayThreshold());
    const { Y, auth } = await this.create(first, eph.publicKey);
    await circuit.addHop(path[0]!, clientFinish(eph, staticPublicKeyOf(path[0]!), Y, auth));
    this.originated.set(slot, circuit);
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
