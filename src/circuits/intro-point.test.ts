import { describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { verifyEd25519 } from '../crypto/signature.ts';
import { MAX_INTROS, MAX_INTROS_PER_NEIGHBOUR } from './constants.ts';
import { DESCRIPTOR_LIFETIME_MS, signDescriptor, signIntroProof } from './descriptors.ts';
import { lookupKeyOf } from './hidden-service.ts';
import { IntroductionPoints } from './intro-point.ts';
import { rng } from './test-support.ts';

interface FakeCircuit {
  name: string;
  open: boolean;
  binding: Uint8Array;
  /** The neighbour it came through. */
  from: string;
}

const ME = rng(1)(32);
const seeder = rng(2)(32);
const squatter = rng(3)(32);
const lookup = lookupKeyOf(rng(4)(20));

function setup() {
  let clock = 1_000_000;
  const table = new IntroductionPoints<FakeCircuit>({ ownKey: ME, now: () => clock, verify: verifyEd25519, isOpen: (c) => c.open, neighbourOf: (c) => c.from });
  let n = 0;
  /** A circuit from `from`, or else from one of 8 neighbours in turn (so the whole table can fill). */
  const circuit = (from?: string): FakeCircuit => ({ name: `c${++n}`, open: true, binding: rng(100 + n)(32), from: from ?? `n${n % 8}` });
  const descriptor = (seed: Uint8Array, over: { lookup?: Uint8Array; introPoints?: Uint8Array[]; issuedAt?: number } = {}) =>
    signDescriptor(seed, { lookup: over.lookup ?? lookup, issuedAt: BigInt(over.issuedAt ?? clock), expiresAt: BigInt((over.issuedAt ?? clock) + DESCRIPTOR_LIFETIME_MS), introPoints: over.introPoints ?? [ME] });
  /** Establishes `d` on `c` with a proof by `seed` bound to `c` (or to `boundTo`). */
  const establish = (c: FakeCircuit, seed: Uint8Array, d: Uint8Array, boundTo: FakeCircuit = c) => table.establish(c, c.binding, d, signIntroProof(seed, boundTo.binding, d));
  return { table, circuit, descriptor, establish, advance: (ms: number) => (clock += ms) };
}

describe('an introduction point', () => {
  it('introduces a service that proves its key on this circuit, and answers lookups with its signed descriptor', () => {
    const { table, circuit, descriptor, establish } = setup();
    const c = circuit();
    const d = descriptor(seeder);
    expect(establish(c, seeder, d)).toBe('established');
    expect(table.circuitFor(publicKeyFromSeed(seeder))).toBe(c);
    expect(table.descriptorsFor(lookup)).toEqual([d]);
    expect(table.descriptorsFor(lookupKeyOf(rng(5)(20)))).toEqual([]);
  });

  it('refuses a replayed establish-intro: the seeder\'s own descriptor and proof, sent on another circuit', () => {
    const { table, circuit, descriptor, establish } = setup();
    const seederCircuit = circuit();
    const attacker = circuit();
    const d = descriptor(seeder);
    // The attacker saw (or, as another introduction point, was sent) the seeder's proof for the seeder's circuit.
    expect(establish(attacker, seeder, d, seederCircuit)).toBe('bad-proof');
    // The public descriptor with a proof by another key does not pass either.
    expect(establish(attacker, squatter, d)).toBe('bad-proof');
    expect(table.circuitFor(publicKeyFromSeed(seeder))).toBeUndefined();
  });

  it('never overwrites another key\'s entry for the same swarm: first come keeps it until its circuit closes or its descriptor expires', () => {
    const { table, circuit, descriptor, establish, advance } = setup();
    const first = circuit();
    const real = descriptor(seeder);
    expect(establish(first, seeder, real)).toBe('established');
    // Another key, validly signed and proven, for the same swarm: refused, the entry kept.
    const rival = circuit();
    expect(establish(rival, squatter, descriptor(squatter))).toBe('taken');
    expect(table.descriptorsFor(lookup)).toEqual([real]);
    expect(table.circuitFor(publicKeyFromSeed(seeder))).toBe(first);
    expect(table.circuitFor(publicKeyFromSeed(squatter))).toBeUndefined();
    // The holder's circuit closes: the place is free.
    first.open = false;
    expect(establish(rival, squatter, descriptor(squatter))).toBe('established');
    // Now the seeder is the one refused, until the other's descriptor expires.
    const again = circuit();
    expect(establish(again, seeder, descriptor(seeder))).toBe('taken');
    advance(DESCRIPTOR_LIFETIME_MS);
    expect(establish(again, seeder, descriptor(seeder))).toBe('established');
  });

  it('lets the same key move to a new circuit, but not back to an older descriptor', () => {
    const { table, circuit, descriptor, establish, advance } = setup();
    const old = descriptor(seeder);
    expect(establish(circuit(), seeder, old)).toBe('established');
    advance(1_000);
    const fresh = circuit();
    expect(establish(fresh, seeder, descriptor(seeder))).toBe('renewed');
    expect(table.circuitFor(publicKeyFromSeed(seeder))).toBe(fresh);
    expect(establish(circuit(), seeder, old)).toBe('stale');
    expect(table.circuitFor(publicKeyFromSeed(seeder))).toBe(fresh);
  });

  it('refuses descriptors that are forged, expired, not naming it, or junk, and keeps to its size', () => {
    const { table, circuit, descriptor, establish, advance } = setup();
    const d = descriptor(seeder);
    const forged = d.slice();
    forged[40]! ^= 1;
    expect(establish(circuit(), seeder, forged)).toBe('forged');
    expect(establish(circuit(), seeder, descriptor(seeder, { introPoints: [rng(6)(32)] }))).toBe('not-listed');
    expect(table.establish(circuit(), rng(7)(32), rng(8)(100), rng(9)(64))).toBe('malformed');
    advance(DESCRIPTOR_LIFETIME_MS);
    expect(establish(circuit(), seeder, d)).toBe('expired');
    for (let i = 0; i < MAX_INTROS; i++) expect(establish(circuit(), rng(1000 + i)(32), descriptor(rng(1000 + i)(32), { lookup: rng(2000 + i)(32) }))).toBe('established');
    expect(establish(circuit(), seeder, descriptor(seeder))).toBe('full');
    expect(table.size).toBe(MAX_INTROS);
  });

  it('gives each neighbour a share: one neighbour over all its streams fills only its quarter, and another is still introduced', () => {
    const { table, circuit, descriptor, establish } = setup();
    const service = (i: number) => rng(3000 + i)(32);
    for (let i = 0; i < MAX_INTROS_PER_NEIGHBOUR; i++) expect(establish(circuit('mallory'), service(i), descriptor(service(i), { lookup: rng(4000 + i)(32) }))).toBe('established');
    expect(establish(circuit('mallory'), service(99), descriptor(service(99), { lookup: rng(4099)(32) }))).toBe('full');
    expect(establish(circuit('honest'), seeder, descriptor(seeder))).toBe('established');
    expect(table.size).toBe(MAX_INTROS_PER_NEIGHBOUR + 1);
  });
});
