/**
 * Pure: messages between the page and the reputation worker, and decoders
 * that trust nothing (each side checks what it receives: shape, bounds, key
 * format), failing with a typed ReputationMessageError.
 *
 * Page → worker:
 *   { id, op: 'add', contributions: WireContribution[] }   feed a batch
 *   { id, op: 'recompute', seeds: string[] }               exactReputation from my keys
 * Worker → page:
 *   { id, op: 'added', edges, dropped }                    graph size after the batch
 *   { id, op: 'scores', scores: [key, score][], edges, computeMs }
 *   { id, op: 'error', message }
 *
 * Bytes travel as decimal strings: amounts are u64 bigints, and a JS number
 * loses exactness above 2^53, which a Sybil ring can sign at will.
 */
import { KEY_BYTES } from '../ledger/constants.ts';
import { MAX_EDGES } from '../reputation/constants.ts';
import type { Contribution } from '../reputation/contribution-graph.ts';

/** Contributions per 'add' message: large enough to amortize messaging, small enough that cloning one batch never blocks the page for long. */
export const MAX_BATCH = 5_000;
/** Seed keys per recompute: my own keys, a handful at most. */
export const MAX_SEEDS = 64;
/** Scores per answer: each scored key touches an edge, so at most twice the graph's edge bound. */
export const MAX_SCORES = 2 * MAX_EDGES;
/** Longest error text carried: enough for a message, not a dump. */
export const MAX_ERROR_CHARS = 500;
/** Amounts are u64 on the ledger. */
const MAX_BYTES = (1n << 64n) - 1n;
const KEY_PATTERN = new RegExp(`^[0-9a-f]{${2 * KEY_BYTES}}$`);
/** Scores sum to at most 1; rounding in the power iteration may overshoot by a few ulps. */
const SCORE_CEILING = 1 + 1e-9;
/** At most 20 digits: 2^64 − 1 has 20. */
const BYTES_PATTERN = /^[1-9][0-9]{0,19}$/;

export interface WireContribution {
  from: string;
  to: string;
  /** Decimal string of a positive u64. */
  bytes: string;
  at: number;
}

export type ReputationRequest =
  | { id: number; op: 'add'; contributions: WireContribution[] }
  | { id: number; op: 'recompute'; seeds: string[] };

export type ReputationResponse =
  | { id: number; op: 'added'; edges: number; dropped: number }
  | { id: number; op: 'scores'; scores: [string, number][]; edges: number; computeMs: number }
  | { id: number; op: 'error'; message: string };

export class ReputationMessageError extends Error {
  override name = 'ReputationMessageError';
}

export function toWire(c: Contribution): WireContribution {
  return { from: c.from, to: c.to, bytes: c.bytes.toString(), at: c.at };
}

function fail(what: string): never {
  throw new ReputationMessageError(`malformed reputation message: ${what}`);
}

function record(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(`${what} is not an object`);
  return x as Record<string, unknown>;
}

function id(m: Record<string, unknown>): number {
  const v = m.id;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('id is not a non-negative integer');
  return v;
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${what} is not a count`);
  return v;
}

function array(v: unknown, max: number, what: string): unknown[] {
  if (!Array.isArray(v)) fail(`${what} is not an array`);
  if (v.length > max) fail(`${what} has ${v.length} entries, over ${max}`);
  return v;
}

function key(v: unknown, what: string): string {
  if (typeof v !== 'string' || !KEY_PATTERN.test(v)) fail(`${what} is not a ${KEY_BYTES}-byte lowercase hex key`);
  return v;
}

function contribution(x: unknown, i: number): Contribution {
  const c = record(x, `contribution ${i}`);
  const from = key(c.from, `contribution ${i} from`);
  const to = key(c.to, `contribution ${i} to`);
  if (typeof c.bytes !== 'string' || !BYTES_PATTERN.test(c.bytes)) fail(`contribution ${i} bytes is not a positive decimal`);
  const bytes = BigInt(c.bytes);
  if (bytes > MAX_BYTES) fail(`contribution ${i} bytes is over 2^64 - 1`);
  if (typeof c.at !== 'number' || !Number.isFinite(c.at) || c.at < 0) fail(`contribution ${i} at is not a time`);
  return { from, to, bytes, at: c.at };
}

/** A decoded request, contributions already as bigints. */
export type DecodedRequest = { id: number; op: 'add'; contributions: Contribution[] } | { id: number; op: 'recompute'; seeds: string[] };

export function decodeRequest(data: unknown): DecodedRequest {
  const m = record(data, 'request');
  const rid = id(m);
  switch (m.op) {
    case 'add':
      return { id: rid, op: 'add', contributions: array(m.contributions, MAX_BATCH, 'contributions').map(contribution) };
    case 'recompute': {
      const seeds = array(m.seeds, MAX_SEEDS, 'seeds').map((s, i) => key(s, `seed ${i}`));
      if (seeds.length === 0) fail('no seeds');
      return { id: rid, op: 'recompute', seeds };
    }
    default:
      fail('unknown op');
  }
}

export function decodeResponse(data: unknown): ReputationResponse {
  const m = record(data, 'response');
  const rid = id(m);
  switch (m.op) {
    case 'added':
      return { id: rid, op: 'added', edges: count(m.edges, 'edges'), dropped: count(m.dropped, 'dropped') };
    case 'scores': {
      const scores = array(m.scores, MAX_SCORES, 'scores').map((p, i): [string, number] => {
        const pair = array(p, 2, `score ${i}`);
        const s = pair[1];
        if (pair.length !== 2 || typeof s !== 'number' || !(s >= 0 && s <= SCORE_CEILING)) fail(`score ${i} is not a [key, 0..1] pair`);
        return [key(pair[0], `score ${i} key`), s];
      });
      const computeMs = m.computeMs;
      if (typeof computeMs !== 'number' || !Number.isFinite(computeMs) || computeMs < 0) fail('computeMs is not a duration');
      return { id: rid, op: 'scores', scores, edges: count(m.edges, 'edges'), computeMs };
    }
    case 'error':
      if (typeof m.message !== 'string') fail('error message is not text');
      return { id: rid, op: 'error', message: m.message.slice(0, MAX_ERROR_CHARS) };
    default:
      fail('unknown op');
  }
}
