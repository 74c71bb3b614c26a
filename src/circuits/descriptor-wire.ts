/**
 * Wire format of hidden-service descriptors (pure). A hidden swarm's seeder
 * signs, with the swarm's service key, where it can be introduced; its
 * introduction points hold the descriptor and answer lookups with it, and
 * downloaders check it before they use any introduction point in it.
 * Decoders take untrusted bytes; signatures are checked by descriptors.ts.
 *
 *   descriptor  version u8 (1) | service key (32, Ed25519) | lookup key (32) |
 *               issuedAt u64 (ms) | expiresAt u64 (ms, > issuedAt) |
 *               count u8 (1..MAX_DESCRIPTOR_INTRO_POINTS) | count × introduction point (32, distinct) |
 *               signature (64) by the service key over DESCRIPTOR_DOMAIN ‖ the bytes before it
 *
 * The descriptor names the swarm by its lookup key (lookupKeyOf(infohash)),
 * not the infohash itself: a downloader that knows the infohash checks it just
 * as well, and the introduction points and the peers that pass lookups on do
 * not learn which torrent it is.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { bytesEqual, concatBytes, utf8 } from '../codec/bytes.ts';

export const DESCRIPTOR_VERSION = 1;
/** Domain separation: a descriptor signature never passes for an announcement, a block or an introduction proof. */
export const DESCRIPTOR_DOMAIN = utf8.encode('trustmesh/hidden-descriptor/1');
/** Introduction points one descriptor names: a seeder uses two; a few more leave room, and bound the bytes. */
export const MAX_DESCRIPTOR_INTRO_POINTS = 8;
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
/** Version, service key, lookup key, two times, count. */
const HEADER_BYTES = 1 + KEY_BYTES + KEY_BYTES + 8 + 8 + 1;
/** The largest well-formed descriptor, for readers that bound their input. */
export const MAX_DESCRIPTOR_BYTES = HEADER_BYTES + MAX_DESCRIPTOR_INTRO_POINTS * KEY_BYTES + SIGNATURE_BYTES;

export interface DescriptorBody {
  /** The swarm's service key (Ed25519): it signs this, proves itself at introduction points, and its X25519 form answers downloaders' handshakes. */
  serviceKey: Uint8Array;
  /** lookupKeyOf(infohash) of the swarm. */
  lookup: Uint8Array;
  /** The seeder's clock when it signed, and until when the descriptor holds (ms). */
  issuedAt: bigint;
  expiresAt: bigint;
  /** Identities of the peers that introduce the service. */
  introPoints: Uint8Array[];
}

export interface HiddenDescriptor extends DescriptorBody {
  signature: Uint8Array;
}

function writeBody(w: BinaryWriter, d: DescriptorBody): BinaryWriter {
  if (d.expiresAt <= d.issuedAt) throw new RangeError('a descriptor expires after it is issued');
  if (d.introPoints.length < 1) throw new RangeError('a descriptor names at least one introduction point');
  if (hasDuplicate(d.introPoints)) throw new RangeError('a descriptor names each introduction point once');
  w.u8(DESCRIPTOR_VERSION).fixed(d.serviceKey, KEY_BYTES).fixed(d.lookup, KEY_BYTES).u64(d.issuedAt).u64(d.expiresAt).count(d.introPoints.length, MAX_DESCRIPTOR_INTRO_POINTS);
  for (const p of d.introPoints) w.fixed(p, KEY_BYTES);
  return w;
}

function hasDuplicate(keys: readonly Uint8Array[]): boolean {
  return keys.some((k, i) => keys.slice(0, i).some((j) => bytesEqual(j, k)));
}

/** The bytes a descriptor's signature covers. */
export function descriptorSigningBytes(d: DescriptorBody): Uint8Array {
  return concatBytes(DESCRIPTOR_DOMAIN, writeBody(new BinaryWriter(MAX_DESCRIPTOR_BYTES), d).finish());
}

export function encodeDescriptor(d: HiddenDescriptor): Uint8Array {
  return writeBody(new BinaryWriter(MAX_DESCRIPTOR_BYTES), d).fixed(d.signature, SIGNATURE_BYTES).finish();
}

export function decodeDescriptor(bytes: Uint8Array): HiddenDescriptor {
  if (bytes.length > MAX_DESCRIPTOR_BYTES) throw new DecodeError('too-long', `a descriptor of ${bytes.length} bytes is over ${MAX_DESCRIPTOR_BYTES}`);
  const r = new BinaryReader(bytes);
  const version = r.u8('descriptor version');
  if (version !== DESCRIPTOR_VERSION) throw new DecodeError('unknown-version', `hidden-service descriptor version ${version} is not supported`);
  const serviceKey = r.fixed(KEY_BYTES, 'service key');
  const lookup = r.fixed(KEY_BYTES, 'lookup key');
  const issuedAt = r.u64('issued at');
  const expiresAt = r.u64('expires at');
  if (expiresAt <= issuedAt) throw new DecodeError('invalid-value', 'a descriptor expires after it is issued');
  const n = r.count(MAX_DESCRIPTOR_INTRO_POINTS, 'introduction points');
  if (n < 1) throw new DecodeError('invalid-value', 'a descriptor names at least one introduction point');
  const introPoints: Uint8Array[] = [];
  for (let i = 0; i < n; i++) introPoints.push(r.fixed(KEY_BYTES, 'introduction point'));
  if (hasDuplicate(introPoints)) throw new DecodeError('invalid-value', 'a descriptor names each introduction point once');
  const signature = r.fixed(SIGNATURE_BYTES, 'signature');
  r.end('hidden-service descriptor');
  return { serviceKey, lookup, issuedAt, expiresAt, introPoints, signature };
}
