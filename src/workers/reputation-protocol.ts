/**
 * Pure: messages between the page and the reputation worker, and decoders
 * that trust nothing (each side checks what it receives: shape, bounds, key
 * format), failing with a typed ReputationMessageError.
 *
 * Page → worker:
 *   { id, op: 'add', contributions: WireContribution[] }   feed a batch
 *   { id, op: 'recompute', seeds: string[] }               exactReputation from my keys
 *   { id, op: 'explain', seeds: string[], key }            whyPaths from my keys to key
 * Worker → page:
 *   { id, op: 'added', edges, dropped }                    graph size after the batch
 *   { id, op: 'scores', scores: [key, score][], edges, computeMs }
 *   { id, op: 'paths', paths: WirePath[] }                 at most MAX_WHY_PATHS, each 1..MAX_WHY_HOPS steps
 *   { id, op: 'error', message }
 *
 * Bytes travel as decimal strings: amounts are u64 bigints, and a JS number
 * loses exactness above 2^53, which a Sybil ring can sign at will.
 */
import { KEY_BYTES } from '../ledger/constants.ts';
import { MAX_EDGES, MAX_WHY_HOPS, MAX_WHY_PATHS } from '../reputation/constants.ts';
import type { Contribution } from '../reputation/contribution-graph.ts';
import type { WhyPath } from '../reputation/why-paths.ts';

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

/** A WhyPath with its amounts as decimal strings. */
export interface WirePath {
  seed: string;
  steps: { key: string; bytes: string }[];
  strength: number;
}

export type ReputationRequest =
  | { id: number; op: 'add'; contributions: WireContribution[] }
  | { id: number; op: 'recompute'; seeds: string[] }
  | { id: number; op: 'explain'; seeds: string[]; key: string };

export type ReputationResponse =
  | { id: number; op: 'added'; edges: number; dropped: number }
  | { id: number; op: 'scores'; scores: [string, number][]; edges: number; computeMs: number }
  | { id: number; op: 'paths'; paths: WirePath[] }
  | { id: number; op: 'error'; message: string };

/** A decoded response, path amounts already as bigints. */
export type DecodedResponse = Exclude<ReputationResponse, { op: 'paths' }> | { id: number; op: 'paths'; paths: WhyPath[] };

export class ReputationMessageError extends Error {
  override name = 'ReputationMessageError';
}

export function toWire(c: Contribution): WireContribution {
  return { from: c.from, to: c.to, bytes: c.bytes.toString(), at: c.at };
}

export function pathToWire(p: WhyPath): WirePath {
  return { seed: p.seed, steps: p.steps.map((s) => ({ key: s.key, bytes: s.bytes.toString() })), strength: p.strength };
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

function positiveBytes(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !BYTES_PATTERN.test(v)) fail(`${what} is not a positive decimal`);
  const bytes = BigInt(v);
  if (bytes > MAX_BYTES) fail(`${what} is over 2^64 - 1`);
  return bytes;
}

function seedKeys(v: unknown): string[] {
  const seeds = array(v, MAX_SEEDS, 'seeds').map((s, i) => key(s, `seed ${i}`));
  if (seeds.length === 0) fail('no seeds');
  return seeds;
}

function contribution(x: unknown, i: number): Contribution {
  const c = record(x, `contribution ${i}`);
  const from = key(c.from, `contribution ${i} from`);
  const to = key(c.to, `contribution ${i} to`);
  const bytes = positiveBytes(c.bytes, `contribution ${i} bytes`);
  if (typeof c.at !== 'number' || !Number.isFinite(c.at) || c.at < 0) fail(`contribution ${i} at is not a time`);
  return { from, to, bytes, at: c.at };
}

function path(x: unknown, i: number): WhyPath {
  const p = record(x, `path ${i}`);
  const seed = key(p.seed, `path ${i} seed`);
  const steps = array(p.steps, MAX_WHY_HOPS, `path ${i} steps`).map((y, j) => {
    const s = record(y, `path ${i} step ${j}`);
    return { key: key(s.key, `path ${i} step ${j} key`), bytes: positiveBytes(s.bytes, `path ${i} step ${j} bytes`) };
  });
  if (steps.length === 0) fail(`path ${i} has no steps`);
  const strength = p.strength;
  if (typeof strength !== 'number' || !(strength > 0 && strength <= SCORE_CEILING)) fail(`path ${i} strength is not in (0, 1]`);
  return { seed, steps, strength };
}

/** A decoded request, contributions already as bigints. */
export type DecodedRequest =
  | { id: number; op: 'add'; contributions: Contribution[] }
  | { id: number; op: 'recompute'; seeds: string[] }
  | { id: number; op: 'explain'; seeds: string[]; key: string };

export function decodeRequest(data: unknown): DecodedRequest {
  const m = record(data, 'request');
  const rid = id(m);
  switch (m.op) {
    case 'add':
      return { id: rid, op: 'add', contributions: array(m.contributions, MAX_BATCH, 'contributions').map(contribution) };
    case 'recompute':
      return { id: rid, op: 'recompute', seeds: seedKeys(m.seeds) };
    case 'explain':
      return { id: rid, op: 'explain', seeds: seedKeys(m.seeds), key: key(m.key, 'key') };
    default:
      fail('unknown op');
  }
}

export function decodeResponse(data: unknown): DecodedResponse {
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
    case 'paths':
      return { id: rid, op: 'paths', paths: array(m.paths, MAX_WHY_PATHS, 'paths').map(path) };
    case 'error':
      if (typeof m.message !== 'string') fail('error message is not text');
      return { id: rid, op: 'error', message: m.message.slice(0, MAX_ERROR_CHARS) };
    default:
      fail('unknown op');
  }
}
