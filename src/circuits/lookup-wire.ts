/**
 * Wire format of /trustmesh/hidden-lookup/2.0.0 (pure): where is the hidden
 * swarm with this lookup key introduced? One request and one response per stream.
 *   request   request id (16) | lookup key (32) | ttl u8 (how many more peers may pass it on)
 *   response  count u8 (≤ MAX_LOOKUP_ANSWERS) | count × descriptor (u16 length ≤ MAX_DESCRIPTOR_BYTES)
 * An introduction point answers with the signed descriptors it holds; other
 * peers ask their own neighbours while the ttl lasts, under the same request
 * id, and each peer handles an id once (lookup-router.ts). Descriptors are
 * passed on as bytes; the downloader checks them (descriptors.ts).
 * Version 2 added the request id and replaced 1.0.0's unsigned
 * (service key, introduction point) pairs with descriptors.
 * Decoders take untrusted bytes.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { MAX_DESCRIPTOR_BYTES } from './descriptor-wire.ts';

export const LOOKUP_PROTOCOL = '/trustmesh/hidden-lookup/2.0.0';
/** Answers in one response: a few descriptors are enough to reach a swarm. */
export const MAX_LOOKUP_ANSWERS = 8;
/** A lookup goes at most this many peers deep: far enough in a mesh of browser peers, bounded work. */
export const MAX_LOOKUP_TTL = 3;
/** Random request ids: 128 bits never collide by chance. */
export const LOOKUP_ID_BYTES = 16;
export const LOOKUP_REQUEST_BYTES = LOOKUP_ID_BYTES + 32 + 1;
/** Upper bound of a well-formed response, for the stream reader. */
export const MAX_LOOKUP_RESPONSE_BYTES = 1 + MAX_LOOKUP_ANSWERS * (2 + MAX_DESCRIPTOR_BYTES);

export interface LookupRequest {
  id: Uint8Array;
  lookup: Uint8Array;
  ttl: number;
}

export function encodeLookupRequest(r: LookupRequest): Uint8Array {
  return new BinaryWriter(LOOKUP_REQUEST_BYTES).fixed(r.id, LOOKUP_ID_BYTES).fixed(r.lookup, 32).u8(r.ttl).finish();
}

export function decodeLookupRequest(bytes: Uint8Array): LookupRequest {
  const r = new BinaryReader(bytes);
  const id = r.fixed(LOOKUP_ID_BYTES, 'request id');
  const lookup = r.fixed(32, 'lookup key');
  const ttl = r.u8('ttl');
  r.end('lookup request');
  if (ttl > MAX_LOOKUP_TTL) throw new DecodeError('invalid-value', `a lookup ttl is at most ${MAX_LOOKUP_TTL}`);
  return { id, lookup, ttl };
}

/** Encodes descriptors (bytes, each at most MAX_DESCRIPTOR_BYTES). */
export function encodeLookupResponse(descriptors: readonly Uint8Array[]): Uint8Array {
  const w = new BinaryWriter(MAX_LOOKUP_RESPONSE_BYTES).count(descriptors.length, MAX_LOOKUP_ANSWERS);
  for (const d of descriptors) w.bytes(d, MAX_DESCRIPTOR_BYTES);
  return w.finish();
}

export function decodeLookupResponse(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length > MAX_LOOKUP_RESPONSE_BYTES) throw new DecodeError('too-long', `a lookup response of ${bytes.length} bytes is over ${MAX_LOOKUP_RESPONSE_BYTES}`);
  const r = new BinaryReader(bytes);
  const n = r.count(MAX_LOOKUP_ANSWERS, 'answers');
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(r.bytes(MAX_DESCRIPTOR_BYTES, 'descriptor'));
  r.end('lookup response');
  return out;
}
