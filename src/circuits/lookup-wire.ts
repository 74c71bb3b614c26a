/**
 * Wire format of /trustmesh/hidden-lookup/1.0.0: where is the hidden swarm
 * with this lookup key introduced? One request and one response per stream.
 *   request   lookup key (32) | ttl u8 (how many more peers may pass it on)
 *   response  count u8 (≤ MAX_LOOKUP_ANSWERS) | count × (service key (32) | introduction point (32))
 * The introduction point answers for itself; other peers ask their own
 * neighbours while the ttl lasts. Decoders take untrusted bytes.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';

export const LOOKUP_PROTOCOL = '/trustmesh/hidden-lookup/1.0.0';
/** Answers in one response: a few introduction points are enough to reach a swarm. */
export const MAX_LOOKUP_ANSWERS = 8;
/** A lookup goes at most this many peers deep: far enough in a mesh of browser peers, bounded work. */
export const MAX_LOOKUP_TTL = 3;

export interface LookupRequest {
  lookup: Uint8Array;
  ttl: number;
}

export interface LookupAnswer {
  service: Uint8Array;
  introPoint: Uint8Array;
}

export function encodeLookupRequest(r: LookupRequest): Uint8Array {
  return new BinaryWriter(33).fixed(r.lookup, 32).u8(r.ttl).finish();
}

export function decodeLookupRequest(bytes: Uint8Array): LookupRequest {
  const r = new BinaryReader(bytes);
  const lookup = r.fixed(32, 'lookup key');
  const ttl = r.u8('ttl');
  r.end('lookup request');
  if (ttl > MAX_LOOKUP_TTL) throw new DecodeError('invalid-value', `a lookup ttl is at most ${MAX_LOOKUP_TTL}`);
  return { lookup, ttl };
}

export function encodeLookupResponse(answers: readonly LookupAnswer[]): Uint8Array {
  const w = new BinaryWriter(1 + answers.length * 64).count(answers.length, MAX_LOOKUP_ANSWERS);
  for (const a of answers) w.fixed(a.service, 32).fixed(a.introPoint, 32);
  return w.finish();
}

export function decodeLookupResponse(bytes: Uint8Array): LookupAnswer[] {
  const r = new BinaryReader(bytes);
  const n = r.count(MAX_LOOKUP_ANSWERS, 'answers');
  const out: LookupAnswer[] = [];
  for (let i = 0; i < n; i++) out.push({ service: r.fixed(32, 'service key'), introPoint: r.fixed(32, 'introduction point') });
  r.end('lookup response');
  return out;
}
