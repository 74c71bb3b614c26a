/**
 * Hidden-swarm lookups among peers (pure; neighbours, asking and the clock
 * injected; hidden-swarms.ts wires it to libp2p streams).
 *
 * Invariant: a peer handles a request id once. The first time it sees an id
 * it answers from its own introductions or asks up to LOOKUP_FANOUT
 * neighbours under the same id with one less ttl; a later query with an id it
 * has seen gets an empty answer at once and goes no further. Without this a
 * lookup at ttl 3 reached 6 + 36 + 216 = 258 queries, most of them to peers
 * that already had it. Seen ids are kept in a bounded map, oldest first, for
 * SEEN_LOOKUP_MS: longer than a lookup can last, so a late duplicate is still
 * recognised.
 *
 * Answers are passed on as they came, checked only for what costs no curve
 * work (they decode, are for this lookup key, and hold now): the downloader
 * checks signatures. Neighbours' answers are merged in turn, one from each,
 * so one neighbour answering with many descriptors cannot crowd out the rest.
 */
import { binaryKey, bytesEqual } from '../codec/bytes.ts';
import { DecodeError } from '../codec/binary.ts';
import { decodeDescriptor } from './descriptor-wire.ts';
import { timeFault } from './descriptors.ts';
import { LOOKUP_ID_BYTES, MAX_LOOKUP_ANSWERS, MAX_LOOKUP_TTL, type LookupRequest } from './lookup-wire.ts';

/** Neighbours a peer asks at once when it does not know the answer. */
export const LOOKUP_FANOUT = 6;
/** Request ids remembered: many more than the lookups a peer sees in SEEN_LOOKUP_MS; bounds memory. */
export const MAX_SEEN_LOOKUPS = 4096;
/** How long a seen id is remembered: a lookup is over well within this (each hop times out after seconds). */
export const SEEN_LOOKUP_MS = 60_000;

export interface LookupRouterDeps {
  now(): number;
  random(n: number): Uint8Array;
  /** Signed descriptors we hold as introduction point for this lookup key. */
  own(lookup: Uint8Array): Uint8Array[];
  /** Neighbours we may ask (never `except`, who asked us). */
  neighbours(except: string | undefined): string[];
  /** Asks one neighbour; rejects or returns [] when it cannot. */
  ask(peer: string, request: LookupRequest): Promise<Uint8Array[]>;
}

export class LookupRouter {
  /** Seen request ids (binary key) and until when they count, oldest first. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly deps: LookupRouterDeps) {}

  /** Starts a lookup of our own: a fresh id at the full ttl. */
  lookup(lookup: Uint8Array): Promise<Uint8Array[]> {
    return this.answer({ id: this.deps.random(LOOKUP_ID_BYTES), lookup, ttl: MAX_LOOKUP_TTL });
  }

  /** Answers a request from `from` (undefined: our own), once per id. */
  async answer(request: LookupRequest, from?: string): Promise<Uint8Array[]> {
    if (!this.firstSight(request.id)) return [];
    const own = this.deps.own(request.lookup);
    if (own.length > 0) return own.slice(0, MAX_LOOKUP_ANSWERS);
    if (request.ttl <= 0) return [];
    const onward: LookupRequest = { id: request.id, lookup: request.lookup, ttl: request.ttl - 1 };
    const peers = this.deps.neighbours(from).slice(0, LOOKUP_FANOUT);
    const found = await Promise.all(peers.map((p) => this.deps.ask(p, onward).catch(() => [] as Uint8Array[])));
    const now = this.deps.now();
    const lists = found.map((list) => list.filter((d) => plausible(d, request.lookup, now)));
    const out: Uint8Array[] = [];
    for (let i = 0; out.length < MAX_LOOKUP_ANSWERS && lists.some((l) => i < l.length); i++) {
      for (const l of lists) {
        const d = l[i];
        if (d !== undefined && out.length < MAX_LOOKUP_ANSWERS && !out.some((o) => bytesEqual(o, d))) out.push(d);
      }
    }
    return out;
  }

  /** Records `id`; false if it was seen within SEEN_LOOKUP_MS. */
  private firstSight(id: Uint8Array): boolean {
    const now = this.deps.now();
    for (const [k, until] of this.seen) {
      if (until > now && this.seen.size < MAX_SEEN_LOOKUPS) break;
      this.seen.delete(k); // expired, or the oldest when full
    }
    const key = binaryKey(id);
    if ((this.seen.get(key) ?? 0) > now) return false;
    this.seen.set(key, now + SEEN_LOOKUP_MS);
    return true;
  }
}

/** Whether a descriptor could be an answer to this lookup, before any signature check. */
function plausible(bytes: Uint8Array, lookup: Uint8Array, now: number): boolean {
  try {
    const d = decodeDescriptor(bytes);
    return bytesEqual(d.lookup, lookup) && timeFault(d, now) === undefined;
  } catch (err) {
    if (err instanceof DecodeError) return false;
    throw err;
  }
}
