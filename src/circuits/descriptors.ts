/**
 * Hidden-service descriptors and introduction proofs (pure; the signature
 * check is injected, the one Trustmesh rule of crypto/signature.ts).
 *
 * A descriptor is signed by the swarm's service key; a downloader uses an
 * introduction point only from a descriptor that is validly signed, is for
 * the lookup key of the infohash it asked about, and has not expired.
 *
 * An introduction proof shows an introduction point that whoever establishes
 * the service on this circuit holds the service key: a signature over
 * INTRO_PROOF_DOMAIN ‖ circuit binding ‖ SHA-256(descriptor). The binding is
 * a hash of the key material of the circuit's handshake with that very hop,
 * which only the hop and the circuit's originator know, fresh for each
 * circuit (ephemeral X25519 on both sides). So a proof seen on one circuit
 * (by the introduction point itself, or anyone) fails on any other: an
 * attacker cannot replay a seeder's establish-intro, nor re-use the public
 * descriptor, to take the service's place at an introduction point.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes, toHex, utf8 } from '../codec/bytes.ts';
import { DecodeError } from '../codec/binary.ts';
import { signEd25519 } from '../crypto/signature.ts';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { CIRCUIT_LIFETIME_MS } from './constants.ts';
import { decodeDescriptor, descriptorSigningBytes, encodeDescriptor, type DescriptorBody, type HiddenDescriptor } from './descriptor-wire.ts';
import type { HopKeys } from './handshake.ts';

export type Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

/**
 * How long a seeder's descriptor holds: its introduction circuits end after
 * CIRCUIT_LIFETIME_MS and it publishes a new one, so a little longer than that.
 */
export const DESCRIPTOR_LIFETIME_MS = CIRCUIT_LIFETIME_MS + 5 * 60_000;
/** The longest lifetime a descriptor may claim: a leaked or stale one cannot stay usable for days. */
export const MAX_DESCRIPTOR_LIFETIME_MS = 2 * DESCRIPTOR_LIFETIME_MS;
/** Clock difference tolerated between the seeder and those who check its descriptor. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const INTRO_PROOF_DOMAIN = utf8.encode('trustmesh/intro-proof/1');
const BINDING_DOMAIN = utf8.encode('trustmesh/circuit-binding/1');

/** Signs a descriptor with the service key's seed. */
export function signDescriptor(serviceSeed: Uint8Array, body: Omit<DescriptorBody, 'serviceKey'>): Uint8Array {
  const full: DescriptorBody = { ...body, serviceKey: publicKeyFromSeed(serviceSeed) };
  return encodeDescriptor({ ...full, signature: signEd25519(serviceSeed, descriptorSigningBytes(full)) });
}

/** Why a descriptor is not used; `ok` with the descriptor when it is. */
export type DescriptorCheck =
  | { ok: true; descriptor: HiddenDescriptor }
  | { ok: false; reason: 'malformed' | 'other-swarm' | 'expired' | 'not-yet-valid' | 'too-long-lived' | 'forged' };

/**
 * Checks a descriptor for the swarm with lookup key `lookup` at time `now`.
 * The cheap checks come before the signature, so junk costs no curve work.
 */
export function checkDescriptor(bytes: Uint8Array, lookup: Uint8Array, now: number, verify: Verify): DescriptorCheck {
  let d: HiddenDescriptor;
  try {
    d = decodeDescriptor(bytes);
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, reason: 'malformed' };
    throw err;
  }
  if (!bytesEqual(d.lookup, lookup)) return { ok: false, reason: 'other-swarm' };
  const late = timeFault(d, now);
  if (late !== undefined) return { ok: false, reason: late };
  if (!verify(d.signature, descriptorSigningBytes(d), d.serviceKey)) return { ok: false, reason: 'forged' };
  return { ok: true, descriptor: d };
}

/** Whether a descriptor holds at `now` as far as its times go (no signature check). */
export function timeFault(d: DescriptorBody, now: number): 'expired' | 'not-yet-valid' | 'too-long-lived' | undefined {
  if (d.expiresAt <= BigInt(now)) return 'expired';
  if (d.issuedAt > BigInt(now + MAX_CLOCK_SKEW_MS)) return 'not-yet-valid';
  if (d.expiresAt - d.issuedAt > BigInt(MAX_DESCRIPTOR_LIFETIME_MS)) return 'too-long-lived';
  return undefined;
}

/**
 * The valid descriptors among lookup answers, best first: one per service key
 * (its newest); the `preferred` key first (the one that last gave us a working
 * seeder for this swarm: trust on first use), then in the order first seen.
 * Anyone who knows a swarm's infohash may sign a descriptor for it with its
 * own key; what it gets is a downloader connecting to its "seeder", whose
 * pieces then fail the infohash's hashes. Counting answers would not help (an
 * impostor signs as many as it likes); the infohash protects the content, the
 * signature only that no one can use another key's introduction points.
 */
export function rankDescriptors(answers: readonly Uint8Array[], lookup: Uint8Array, now: number, verify: Verify, preferred?: Uint8Array, onDiscard?: (c: Extract<DescriptorCheck, { ok: false }>) => void): HiddenDescriptor[] {
  const byKey = new Map<string, HiddenDescriptor>();
  for (const bytes of answers) {
    const c = checkDescriptor(bytes, lookup, now, verify);
    if (!c.ok) {
      onDiscard?.(c);
      continue;
    }
    const key = toHex(c.descriptor.serviceKey);
    const known = byKey.get(key);
    if (known === undefined || c.descriptor.issuedAt > known.issuedAt) byKey.set(key, c.descriptor);
  }
  const ranked = [...byKey.values()];
  const first = preferred === undefined ? -1 : ranked.findIndex((d) => bytesEqual(d.serviceKey, preferred));
  if (first > 0) ranked.unshift(...ranked.splice(first, 1));
  return ranked;
}

/** What ties an introduction proof to one circuit: a hash of that hop's handshake keys (never sent). */
export function circuitBinding(keys: HopKeys): Uint8Array {
  return sha256(concatBytes(BINDING_DOMAIN, keys.forwardKey, keys.backwardKey, keys.forwardNonce, keys.backwardNonce));
}

function introProofBytes(binding: Uint8Array, descriptor: Uint8Array): Uint8Array {
  return concatBytes(INTRO_PROOF_DOMAIN, binding, sha256(descriptor));
}

/** The seeder's proof, on the circuit with this binding, that it holds the service key of `descriptor`. */
export function signIntroProof(serviceSeed: Uint8Array, binding: Uint8Array, descriptor: Uint8Array): Uint8Array {
  return signEd25519(serviceSeed, introProofBytes(binding, descriptor));
}

export function verifyIntroProof(verify: Verify, serviceKey: Uint8Array, binding: Uint8Array, descriptor: Uint8Array, proof: Uint8Array): boolean {
  return verify(proof, introProofBytes(binding, descriptor), serviceKey);
}
