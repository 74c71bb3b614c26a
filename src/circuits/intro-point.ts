/**
 * The introduction point's table (pure; clock and signature check injected):
 * which hidden services we introduce, each with its signed descriptor and the
 * circuit that reaches it.
 *
 * Invariant: an entry changes hands only to the key that holds it. A service
 * is established only with a valid descriptor that names us and a proof of
 * its key bound to the establishing circuit (descriptors.ts). For one swarm
 * (lookup key) the first key keeps its place until its descriptor expires or
 * its circuit closes; another key for the same swarm is refused ('taken'),
 * not held beside it: an honest seeder uses one key per swarm, so a second
 * key at the same point is an impostor or a squatter, and refusing keeps the
 * table bounded by one entry per swarm. A squatter that came first only keeps
 * this point; the seeder, refused, introduces itself elsewhere.
 */
import { bytesEqual, toHex } from '../codec/bytes.ts';
import { MAX_INTROS, MAX_INTROS_PER_NEIGHBOUR } from './constants.ts';
import { tableRoom, type TableLimits } from './relay-tables.ts';
import { DecodeError } from '../codec/binary.ts';
import { timeFault, verifyIntroProof, type Verify } from './descriptors.ts';
import { decodeDescriptor, descriptorSigningBytes, type HiddenDescriptor } from './descriptor-wire.ts';

const INTRO_LIMITS: TableLimits = { total: MAX_INTROS, perNeighbour: MAX_INTROS_PER_NEIGHBOUR };

export type EstablishOutcome =
  | 'established'
  /** The same key established again (a new circuit or a newer descriptor). */
  | 'renewed'
  | 'malformed'
  | 'expired'
  | 'not-yet-valid'
  | 'too-long-lived'
  | 'forged'
  /** The descriptor does not name us as an introduction point. */
  | 'not-listed'
  /** The proof does not hold for this circuit: replayed from another, or no key behind it. */
  | 'bad-proof'
  /** Another key holds this swarm here. */
  | 'taken'
  /** The same key sent an older descriptor than the one held. */
  | 'stale'
  /** This table, or the establishing neighbour's share of it, is full. */
  | 'full';

interface Entry<C> {
  descriptor: HiddenDescriptor;
  bytes: Uint8Array;
  lookup: string;
  circuit: C;
}

export interface IntroPointDeps<C> {
  /** Our identity: descriptors must name it. */
  ownKey: Uint8Array;
  now(): number;
  verify: Verify;
  isOpen(circuit: C): boolean;
  /** The neighbour (key, hex) a circuit came through: each has its share of the table. */
  neighbourOf(circuit: C): string;
}

export class IntroductionPoints<C> {
  /** By service key (hex). */
  private readonly entries = new Map<string, Entry<C>>();

  constructor(private readonly deps: IntroPointDeps<C>) {}

  get size(): number {
    return this.entries.size;
  }

  /** A service asks, on `circuit` (whose handshake gave `binding`), to be introduced here. */
  establish(circuit: C, binding: Uint8Array, bytes: Uint8Array, proof: Uint8Array): EstablishOutcome {
    let d: HiddenDescriptor;
    try {
      d = decodeDescriptor(bytes);
    } catch (err) {
      if (err instanceof DecodeError) return 'malformed';
      throw err;
    }
    this.purge();
    // Cheap checks first: times, naming us, the table; the two signatures last.
    const late = timeFault(d, this.deps.now());
    if (late !== undefined) return late;
    if (!d.introPoints.some((p) => bytesEqual(p, this.deps.ownKey))) return 'not-listed';
    const key = toHex(d.serviceKey);
    const lookupHex = toHex(d.lookup);
    const mine = this.entries.get(key);
    const holder = [...this.entries.entries()].find(([k, e]) => e.lookup === lookupHex && k !== key);
    if (holder !== undefined) return 'taken';
    if (mine === undefined && tableRoom(this.placesBy(), this.deps.neighbourOf(circuit), INTRO_LIMITS) !== undefined) return 'full';
    if (!this.deps.verify(d.signature, descriptorSigningBytes(d), d.serviceKey)) return 'forged';
    if (!verifyIntroProof(this.deps.verify, d.serviceKey, binding, bytes, proof)) return 'bad-proof';
    // The same key may move its entry to a new circuit, but not back to an older descriptor.
    if (mine !== undefined && d.issuedAt < mine.descriptor.issuedAt) return 'stale';
    this.entries.set(key, { descriptor: d, bytes, lookup: lookupHex, circuit });
    return mine === undefined ? 'established' : 'renewed';
  }

  /** The circuit to the service with this key, while its entry holds. */
  circuitFor(serviceKey: Uint8Array): C | undefined {
    this.purge();
    return this.entries.get(toHex(serviceKey))?.circuit;
  }

  /** The descriptors we hold for the swarm with this lookup key (what lookups are answered with). */
  descriptorsFor(lookup: Uint8Array): Uint8Array[] {
    this.purge();
    const hex = toHex(lookup);
    return [...this.entries.values()].filter((e) => e.lookup === hex).map((e) => e.bytes);
  }

  private *placesBy(): Iterable<{ neighbour: string }> {
    for (const e of this.entries.values()) yield { neighbour: this.deps.neighbourOf(e.circuit) };
  }

  /** Whether `circuit` holds an introduction here. */
  holds(circuit: C): boolean {
    for (const e of this.entries.values()) if (e.circuit === circuit) return true;
    return false;
  }

  /** A circuit closed: the services it reached are no longer introduced here. */
  drop(circuit: C): void {
    for (const [k, e] of this.entries) if (e.circuit === circuit) this.entries.delete(k);
  }

  /** Forgets entries whose descriptor expired or whose circuit closed. */
  private purge(): void {
    const now = BigInt(this.deps.now());
    for (const [k, e] of this.entries) if (e.descriptor.expiresAt <= now || !this.deps.isOpen(e.circuit)) this.entries.delete(k);
  }
}
