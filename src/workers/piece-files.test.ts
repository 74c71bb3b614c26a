import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PieceFiles } from './piece-files.ts';
import { MIGRATION_BATCH_PIECES } from './piece-store-constants.ts';
import type { PieceCall, PieceResponse } from './piece-store-protocol.ts';
import { MemoryDirectory } from './piece-test-support.ts';

const HASH = 'ab'.repeat(20);
const piece = (n: number, v: number) => new Uint8Array(n).fill(v);

function filesOn(dir = new MemoryDirectory()) {
  const files = new PieceFiles(dir);
  let id = 0;
  const call = (c: PieceCall): Promise<PieceResponse> => files.handle({ ...c, id: ++id } as Parameters<PieceFiles['handle']>[0]);
  const ok = async (c: PieceCall) => {
    const r = await call(c);
    if (!r.ok) throw new Error(`${r.name}: ${r.message}`);
    return r;
  };
  return { dir, files, call, ok };
}

describe('PieceFiles', () => {
  it('keeps each piece in place in one file per torrent, the last one short, and reads back any range of it', async () => {
    const { dir, ok } = filesOn();
    await ok({ op: 'open', file: HASH, pieceLength: 16, length: 40 });
    await ok({ op: 'put', file: HASH, index: 2, data: piece(8, 3) });
    await ok({ op: 'put', file: HASH, index: 0, data: piece(16, 1) });
    expect(dir.files.get(HASH)!.getSize()).toBe(40);
    expect((await ok({ op: 'get', file: HASH, index: 0, offset: 0, length: 16 })).data).toEqual(piece(16, 1));
    expect((await ok({ op: 'get', file: HASH, index: 2, offset: 2, length: 5 })).data).toEqual(piece(5, 3));
  });

  it('says a piece past the end of the file is not stored, and refuses ranges and lengths outside the torrent', async () => {
    const { call, ok } = filesOn();
    await ok({ op: 'open', file: HASH, pieceLength: 16, length: 40 });
    await ok({ op: 'put', file: HASH, index: 0, data: piece(16, 1) });
    expect(await call({ op: 'get', file: HASH, index: 1, offset: 0, length: 16 })).toMatchObject({ ok: false, name: 'NotFoundError' });
    for (const bad of [
      { op: 'put', file: HASH, index: 1, data: piece(15, 1) },
      { op: 'put', file: HASH, index: 2, data: piece(16, 1) },
      { op: 'put', file: HASH, index: 3, data: piece(8, 1) },
      { op: 'put', file: HASH, index: -1, data: piece(16, 1) },
      { op: 'get', file: HASH, index: 0, offset: 10, length: 7 },
      { op: 'get', file: HASH, index: 0, offset: -1, length: 1 },
      { op: 'get', file: HASH, index: 0.5, offset: 0, length: 1 },
    ] as PieceCall[]) {
      expect(await call(bad)).toMatchObject({ ok: false, name: 'RangeError' });
    }
    expect(await call({ op: 'get', file: 'cd'.repeat(20), index: 0, offset: 0, length: 1 })).toMatchObject({ ok: false, name: 'InvalidStateError' });
    expect(await call({ op: 'open', file: HASH + 'x', pieceLength: 0, length: 10 })).toMatchObject({ ok: false, name: 'TypeError' });
  });

  it('reports running out of space as the browser named it, and keeps serving what it stored', async () => {
    const dir = new MemoryDirectory();
    dir.quota = 32;
    const { call, ok } = filesOn(dir);
    await ok({ op: 'open', file: HASH, pieceLength: 16, length: 64 });
    await ok({ op: 'put', file: HASH, index: 0, data: piece(16, 1) });
    expect(await call({ op: 'put', file: HASH, index: 3, data: piece(16, 4) })).toMatchObject({ ok: false, name: 'QuotaExceededError' });
    expect((await ok({ op: 'get', file: HASH, index: 0, offset: 0, length: 16 })).data).toEqual(piece(16, 1));
  });

  it('flushes what was written on its timer and on close; after a crash only flushed pieces remain', async () => {
    const { dir, files, ok } = filesOn();
    await ok({ op: 'open', file: HASH, pieceLength: 16, length: 48 });
    await ok({ op: 'put', file: HASH, index: 0, data: piece(16, 1) });
    files.flushAll();
    await ok({ op: 'put', file: HASH, index: 1, data: piece(16, 2) });
    dir.crash();
    const after = filesOn(dir);
    await after.ok({ op: 'open', file: HASH, pieceLength: 16, length: 48 });
    expect((await after.ok({ op: 'get', file: HASH, index: 0, offset: 0, length: 16 })).data).toEqual(piece(16, 1));
    expect(await after.call({ op: 'get', file: HASH, index: 1, offset: 0, length: 16 })).toMatchObject({ ok: false, name: 'NotFoundError' });
    await after.ok({ op: 'put', file: HASH, index: 1, data: piece(16, 2) });
    await after.ok({ op: 'close', file: HASH });
    dir.crash();
    const again = filesOn(dir);
    await again.ok({ op: 'open', file: HASH, pieceLength: 16, length: 48 });
    expect((await again.ok({ op: 'get', file: HASH, index: 1, offset: 0, length: 16 })).data).toEqual(piece(16, 2));
  });

  it('runs requests in order: a close sent before a reopen of the same file lets the reopen have it', async () => {
    const { dir, call } = filesOn();
    const spec = { file: HASH, pieceLength: 16, length: 32 };
    const answers = await Promise.all([call({ op: 'open', ...spec }), call({ op: 'close', file: HASH }), call({ op: 'open', ...spec }), call({ op: 'put', file: HASH, index: 1, data: piece(16, 9) })]);
    expect(answers.map((a) => a.ok)).toEqual([true, true, true, true]);
    expect(dir.files.get(HASH)!.getSize()).toBe(32);
  });

  it('moves the pieces an earlier version kept into the file, drops partial and foreign ones, and removes the old directory', async () => {
    const dir = new MemoryDirectory();
    const pieces = MIGRATION_BATCH_PIECES + 3;
    const old = new Map<number, Uint8Array>();
    for (let i = 0; i < pieces; i += 1) if (i % 5 !== 1) old.set(i, piece(i === pieces - 1 ? 7 : 16, i));
    old.set(4, piece(9, 4)); // a write the old store never finished
    old.set(pieces + 10, piece(16, 1)); // not a piece of this torrent
    dir.legacyDirs.set('movie - abababab', old);
    const { call, ok } = filesOn(dir);
    await ok({ op: 'open', file: HASH, pieceLength: 16, length: (pieces - 1) * 16 + 7, legacyDir: 'movie - abababab' });
    expect(dir.legacyDirs.has('movie - abababab')).toBe(false);
    // Flushed before the old files went: a crash now loses none of them.
    dir.crash();
    const after = filesOn(dir);
    await after.ok({ op: 'open', file: HASH, pieceLength: 16, length: (pieces - 1) * 16 + 7 });
    for (let i = 0; i < pieces; i += 1) {
      const r = await after.call({ op: 'get', file: HASH, index: i, offset: 0, length: i === pieces - 1 ? 7 : 16 });
      if (i % 5 === 1 || i === 4) expect(r.ok === false || !r.data!.every((b) => b === i)).toBe(true);
      else expect(r).toMatchObject({ ok: true, data: piece(i === pieces - 1 ? 7 : 16, i) });
    }
    void call;
  });

  it('a move cut short by a crash is finished by the next open: nothing kept before is lost', async () => {
    const dir = new MemoryDirectory();
    const old = new Map<number, Uint8Array>();
    const pieces = 2 * MIGRATION_BATCH_PIECES;
    for (let i = 0; i < pieces; i += 1) old.set(i, piece(16, i % 251));
    dir.legacyDirs.set('old', old);
    // The first batch moved and flushed, then the tab died before the second.
    const first = filesOn(dir);
    const legacyOf = dir.legacy.bind(dir);
    dir.legacy = async (name) => {
      const l = await legacyOf(name);
      return l && { ...l, remove: async (ix: number[]) => (await l.remove(ix), dir.crash(), Promise.reject(new Error('the tab died'))) };
    };
    expect(await first.call({ op: 'open', file: HASH, pieceLength: 16, length: pieces * 16, legacyDir: 'old' })).toMatchObject({ ok: false });
    dir.legacy = legacyOf;
    expect(old.size).toBe(pieces - MIGRATION_BATCH_PIECES);
    const second = filesOn(dir);
    await second.ok({ op: 'open', file: HASH, pieceLength: 16, length: pieces * 16, legacyDir: 'old' });
    for (let i = 0; i < pieces; i += 1) expect((await second.ok({ op: 'get', file: HASH, index: i, offset: 0, length: 16 })).data).toEqual(piece(16, i % 251));
    expect(dir.legacyDirs.has('old')).toBe(false);
  });

  it('destroy removes the file and any old directory', async () => {
    const dir = new MemoryDirectory();
    dir.legacyDirs.set('old', new Map([[5, piece(16, 1)]]));
    const { ok } = filesOn(dir);
    await ok({ op: 'open', file: HASH, pieceLength: 16, length: 32 });
    await ok({ op: 'put', file: HASH, index: 0, data: piece(16, 1) });
    await ok({ op: 'destroy', file: HASH, legacyDir: 'old' });
    expect(dir.files.has(HASH)).toBe(false);
    expect(dir.legacyDirs.has('old')).toBe(false);
  });

  it('matches a model of stored pieces over any sequence of puts, gets and reopenings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.oneof(fc.record({ op: fc.constant('put' as const), index: fc.nat(30), v: fc.integer({ min: 1, max: 255 }) }), fc.record({ op: fc.constant('get' as const), index: fc.nat(30), from: fc.nat(50), n: fc.nat(50) }), fc.constant({ op: 'reopen' as const })), { maxLength: 40 }),
        async (pieceLength, length, steps) => {
          const { call } = filesOn();
          const spec = { file: HASH, pieceLength, length };
          const pieces = Math.ceil(length / pieceLength);
          const lengthOf = (i: number) => (i === pieces - 1 ? length - (pieces - 1) * pieceLength : pieceLength);
          const model = new Map<number, number>();
          expect((await call({ op: 'open', ...spec })).ok).toBe(true);
          for (const s of steps) {
            if (s.op === 'reopen') {
              await call({ op: 'close', file: HASH });
              expect((await call({ op: 'open', ...spec })).ok).toBe(true);
            } else if (s.op === 'put') {
              const r = await call({ op: 'put', file: HASH, index: s.index, data: piece(s.index < pieces ? lengthOf(s.index) : pieceLength, s.v) });
              expect(r.ok).toBe(s.index < pieces);
              if (r.ok) model.set(s.index, s.v);
            } else {
              const r = await call({ op: 'get', file: HASH, index: s.index, offset: s.from, length: s.n });
              const inRange = s.index < pieces && s.from + s.n <= lengthOf(s.index);
              const stored = model.get(s.index);
              if (!inRange) expect(r).toMatchObject({ ok: false, name: 'RangeError' });
              else if (stored !== undefined) expect(r).toMatchObject({ ok: true, data: piece(s.n, stored) });
              // Never written: missing past the end, or zeros inside the file (which fail the piece's hash).
              else expect(r.ok === false || r.data!.every((b) => b === 0)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
