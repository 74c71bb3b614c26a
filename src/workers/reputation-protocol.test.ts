import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEY_BYTES } from '../ledger/constants.ts';
import { MAX_WHY_HOPS, MAX_WHY_PATHS } from '../reputation/constants.ts';
import { decodeRequest, decodeResponse, MAX_BATCH, MAX_ERROR_CHARS, MAX_SEEDS, pathToWire, ReputationMessageError, toWire } from './reputation-protocol.ts';

const hexKey = fc.uint8Array({ minLength: KEY_BYTES, maxLength: KEY_BYTES }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
const u64 = fc.bigInt({ min: 1n, max: (1n << 64n) - 1n });
const contribution = fc.record({ from: hexKey, to: hexKey, bytes: u64, at: fc.nat() });
const whyPath = fc.record({
  seed: hexKey,
  steps: fc.array(fc.record({ key: hexKey, bytes: u64 }), { minLength: 1, maxLength: MAX_WHY_HOPS }),
  strength: fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }),
});
const A = 'a'.repeat(2 * KEY_BYTES);
const B = 'b'.repeat(2 * KEY_BYTES);

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof ReputationMessageError) return err.message;
    throw err;
  }
  throw new Error('the message was accepted');
}

describe('reputation worker messages', () => {
  it('round-trips any batch of contributions, amounts exact up to 2^64 - 1', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(contribution, { maxLength: 20 }), (id, cs) => {
        const wire = structuredClone({ id, op: 'add', contributions: cs.map(toWire) });
        expect(decodeRequest(wire)).toEqual({ id, op: 'add', contributions: cs });
      }),
    );
  });

  it('never throws anything but ReputationMessageError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        for (const decode of [decodeRequest, decodeResponse]) {
          try {
            decode(x);
          } catch (err) {
            expect(err).toBeInstanceOf(ReputationMessageError);
          }
        }
      }),
    );
  });

  it('refuses any single corrupted field of a valid contribution', () => {
    const good = { from: A, to: B, bytes: '1000', at: 5 };
    const bad: [keyof typeof good, unknown][] = [
      ['from', A.toUpperCase()],
      ['from', A.slice(2)],
      ['to', 42],
      ['bytes', 1000],
      ['bytes', '0'],
      ['bytes', '-5'],
      ['bytes', '01'],
      ['bytes', '18446744073709551616'],
      ['bytes', '1e3'],
      ['at', -1],
      ['at', Number.NaN],
      ['at', '5'],
    ];
    expect(decodeRequest({ id: 1, op: 'add', contributions: [good] }).op).toBe('add');
    for (const [field, value] of bad) refusal(() => decodeRequest({ id: 1, op: 'add', contributions: [{ ...good, [field]: value }] }));
  });

  it('bounds batches and seeds before looking at their entries', () => {
    const tooMany = new Array(MAX_BATCH + 1).fill(null);
    expect(refusal(() => decodeRequest({ id: 1, op: 'add', contributions: tooMany }))).toContain(`over ${MAX_BATCH}`);
    expect(refusal(() => decodeRequest({ id: 1, op: 'recompute', seeds: new Array(MAX_SEEDS + 1).fill(A) }))).toContain(`over ${MAX_SEEDS}`);
    refusal(() => decodeRequest({ id: 1, op: 'recompute', seeds: [] }));
    refusal(() => decodeRequest({ id: -1, op: 'recompute', seeds: [A] }));
    refusal(() => decodeRequest({ id: 1.5, op: 'recompute', seeds: [A] }));
  });

  it('refuses scores outside [0, 1], malformed pairs and bad timings, and truncates long errors', () => {
    const ok = { id: 2, op: 'scores', scores: [[A, 0.5]], edges: 1, computeMs: 3 };
    expect(decodeResponse(ok)).toEqual(ok);
    for (const scores of [[[A, 1.5]], [[A, -0.1]], [[A, Number.NaN]], [[A]], [[A, 0.5, 1]], [['zz', 0.5]]]) refusal(() => decodeResponse({ ...ok, scores }));
    refusal(() => decodeResponse({ ...ok, computeMs: Number.POSITIVE_INFINITY }));
    refusal(() => decodeResponse({ ...ok, edges: -1 }));
    expect(decodeResponse({ id: 3, op: 'error', message: 'x'.repeat(10 * MAX_ERROR_CHARS) })).toMatchObject({ message: 'x'.repeat(MAX_ERROR_CHARS) });
  });

  it('round-trips any explain request and any paths answer, amounts exact up to 2^64 - 1', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(hexKey, { minLength: 1, maxLength: MAX_SEEDS }), hexKey, (id, seeds, key) => {
        expect(decodeRequest(structuredClone({ id, op: 'explain', seeds, key }))).toEqual({ id, op: 'explain', seeds, key });
      }),
    );
    fc.assert(
      fc.property(fc.nat(), fc.array(whyPath, { maxLength: MAX_WHY_PATHS }), (id, paths) => {
        expect(decodeResponse(structuredClone({ id, op: 'paths', paths: paths.map(pathToWire) }))).toEqual({ id, op: 'paths', paths });
      }),
    );
  });

  it('refuses an explain request without seeds or with a bad key', () => {
    refusal(() => decodeRequest({ id: 1, op: 'explain', seeds: [], key: B }));
    refusal(() => decodeRequest({ id: 1, op: 'explain', seeds: [A] }));
    refusal(() => decodeRequest({ id: 1, op: 'explain', seeds: [A], key: B.toUpperCase() }));
    expect(refusal(() => decodeRequest({ id: 1, op: 'explain', seeds: new Array(MAX_SEEDS + 1).fill(A), key: B }))).toContain(`over ${MAX_SEEDS}`);
  });

  it('bounds paths and their steps, and refuses any single corrupted field of a valid path', () => {
    const step = { key: B, bytes: '1000' };
    const good = { seed: A, steps: [step], strength: 0.5 };
    expect(decodeResponse({ id: 1, op: 'paths', paths: [good] }).op).toBe('paths');
    expect(refusal(() => decodeResponse({ id: 1, op: 'paths', paths: new Array(MAX_WHY_PATHS + 1).fill(good) }))).toContain(`over ${MAX_WHY_PATHS}`);
    expect(refusal(() => decodeResponse({ id: 1, op: 'paths', paths: [{ ...good, steps: new Array(MAX_WHY_HOPS + 1).fill(step) }] }))).toContain(`over ${MAX_WHY_HOPS}`);
    const bad: unknown[] = [
      { ...good, seed: 'zz' },
      { ...good, steps: [] },
      { ...good, steps: [{ ...step, key: 7 }] },
      { ...good, steps: [{ ...step, bytes: '0' }] },
      { ...good, steps: [{ ...step, bytes: 1000 }] },
      { ...good, steps: [{ ...step, bytes: '18446744073709551616' }] },
      { ...good, steps: [null] },
      { ...good, strength: 0 },
      { ...good, strength: 1.5 },
      { ...good, strength: Number.NaN },
      { ...good, strength: '0.5' },
      null,
    ];
    for (const p of bad) refusal(() => decodeResponse({ id: 1, op: 'paths', paths: [p] }));
    refusal(() => decodeResponse({ id: 1, op: 'paths', paths: 'none' }));
  });
});
