import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DownloadAccount } from './accounting.ts';
import { Attribution, RequestBook, type PieceOutcome, type Verification } from './attribution.ts';
import { BLOCK_LENGTH, MAX_HASH_FAILURES } from './constants.ts';

const BLOCKS = 4;
const PIECE = BLOCKS * BLOCK_LENGTH;

const truths = new Map<number, Uint8Array>();
/** The true content of a piece: distinct bytes per piece and block. */
function truth(index: number): Uint8Array {
  let piece = truths.get(index);
  if (piece === undefined) {
    piece = new Uint8Array(PIECE);
    for (let i = 0; i < PIECE; i++) piece[i] = (i * 31 + index * 7 + (i >> 14)) & 0xff;
    truths.set(index, piece);
  }
  return piece;
}
const block = (index: number, b: number): Uint8Array => truth(index).slice(b * BLOCK_LENGTH, (b + 1) * BLOCK_LENGTH);
const junk = (index: number, b: number): Uint8Array => block(index, b).map((x) => x ^ 0x5a);

const attribution = <P>() => new Attribution<P>(() => PIECE);

/** The outcome of a verified piece, reading the true piece back when asked. */
function settle<P>(v: Verification<P>, index: number): PieceOutcome<P> {
  return v.kind === 'settled' ? v.outcome : v.resolve(truth(index));
}

describe('Attribution', () => {
  it('credits every requested block of a piece that passes, without reading it back', () => {
    const a = attribution<string>();
    for (let b = 0; b < BLOCKS; b++) a.deliver(b % 2 === 0 ? 'x' : 'y', 0, b * BLOCK_LENGTH, block(0, b));
    const v = a.verified(0);
    expect(v.kind).toBe('settled');
    expect(settle(v, 0).credits).toEqual(new Map([['x', 2 * BLOCK_LENGTH], ['y', 2 * BLOCK_LENGTH]]));
    expect(a.held).toBe(0);
  });

  it('takes nothing that is not a whole block of the piece', () => {
    const a = new Attribution<string>(() => BLOCK_LENGTH + 100);
    expect(a.deliver('x', 0, 1, new Uint8Array(BLOCK_LENGTH))).toBe(false); // misaligned
    expect(a.deliver('x', 0, 0, new Uint8Array(BLOCK_LENGTH - 1))).toBe(false); // short
    expect(a.deliver('x', 0, BLOCK_LENGTH, new Uint8Array(BLOCK_LENGTH))).toBe(false); // the last block is 100 bytes
    expect(a.deliver('x', 0, 2 * BLOCK_LENGTH, new Uint8Array(100))).toBe(false); // past the piece
    expect(a.deliver('x', 0, BLOCK_LENGTH, new Uint8Array(100))).toBe(true);
  });

  it('junk in a piece an honest peer completes earns the junk sender nothing and a strike; the honest peer its bytes', () => {
    const a = attribution<string>();
    a.deliver('junk', 0, 0, junk(0, 0));
    for (let b = 1; b < BLOCKS; b++) a.deliver('honest', 0, b * BLOCK_LENGTH, block(0, b));
    const failed = a.failed(0);
    expect(failed.credits.size).toBe(0);
    expect(failed.strikes.size).toBe(0); // two suppliers: blame waits for the verified piece
    for (let b = 0; b < BLOCKS; b++) a.deliver('honest', 0, b * BLOCK_LENGTH, block(0, b));
    const v = a.verified(0);
    expect(v.kind).toBe('needs-piece');
    const outcome = settle(v, 0);
    expect(outcome.credits).toEqual(new Map([['honest', PIECE]]));
    expect(outcome.strikes).toEqual(new Map([['junk', 1]]));
    expect(a.held).toBe(0);
  });

  it('credits only the copy that matches when two deliveries of a block differ (endgame junk)', () => {
    const a = attribution<string>();
    for (let b = 0; b < BLOCKS; b++) a.deliver('honest', 0, b * BLOCK_LENGTH, block(0, b));
    a.deliver('junk', 0, 2 * BLOCK_LENGTH, junk(0, 2));
    a.deliver('twin', 0, 3 * BLOCK_LENGTH, block(0, 3)); // an honest duplicate we asked for
    const v = a.verified(0);
    expect(v.kind).toBe('needs-piece');
    const outcome = settle(v, 0);
    expect(outcome.credits).toEqual(new Map([['honest', PIECE], ['twin', BLOCK_LENGTH]]));
    expect(outcome.strikes).toEqual(new Map([['junk', 1]]));
  });

  it('judges a short last piece against its own length, and nobody on a short read', () => {
    const length = BLOCK_LENGTH + 100;
    const real = truth(5).slice(0, length);
    const a = new Attribution<string>(() => length);
    a.deliver('junk', 5, 0, real.slice(0, BLOCK_LENGTH).map((x) => x ^ 1));
    a.deliver('honest', 5, 0, real.slice(0, BLOCK_LENGTH));
    a.deliver('honest', 5, BLOCK_LENGTH, real.slice(BLOCK_LENGTH));
    const v = a.verified(5);
    if (v.kind !== 'needs-piece') throw new Error('expected a read-back');
    const padded = new Uint8Array(2 * BLOCK_LENGTH);
    padded.set(real);
    expect(v.resolve(padded)).toEqual({ credits: new Map([['honest', length]]), strikes: new Map([['junk', 1]]) });
    expect(v.resolve(real.subarray(0, BLOCK_LENGTH))).toEqual({ credits: new Map(), strikes: new Map() });
  });

  it('reads the piece back when a block came by a path it did not see, and credits no lone junk', () => {
    const a = attribution<string>();
    a.deliver('junk', 0, 0, junk(0, 0)); // block 0 was really filled by an unwatched source
    const outcome = settle(a.verified(0), 0);
    expect(outcome.credits.size).toBe(0);
    expect(outcome.strikes).toEqual(new Map([['junk', 1]]));
  });

  it('does not blame a sole supplier for a failed piece it did not wholly supply, until the piece passes', () => {
    const a = attribution<string>();
    a.deliver('honest', 0, 0, block(0, 0)); // the other blocks came by a path it did not see
    expect(a.failed(0).strikes.size).toBe(0);
    for (let b = 0; b < BLOCKS; b++) a.deliver('other', 0, b * BLOCK_LENGTH, block(0, b));
    expect(settle(a.verified(0), 0)).toEqual({ credits: new Map([['other', PIECE]]), strikes: new Map() });
  });

  it('strikes the sole supplier of a failed piece at once; MAX_HASH_FAILURES strikes drop it', () => {
    const a = attribution<DownloadAccount>();
    const attacker = new DownloadAccount();
    const drops: boolean[] = [];
    for (let index = 0; index < MAX_HASH_FAILURES; index++) {
      for (let b = 0; b < BLOCKS; b++) a.deliver(attacker, index, b * BLOCK_LENGTH, junk(index, b));
      const outcome = a.failed(index);
      expect(outcome.strikes.get(attacker)).toBe(1);
      drops.push(attacker.strike(outcome.strikes.get(attacker)));
    }
    expect(drops).toEqual([...Array<boolean>(MAX_HASH_FAILURES - 1).fill(false), true]);
    expect(attacker.verified).toBe(0n);
    expect(a.held).toBe(0); // nothing kept: the blame is already proven
  });

  it('never strikes an honest co-supplier of failed pieces, and strikes a junk sender once per failed attempt', () => {
    const suppliers = ['honest', 'other', 'junk'] as const;
    const attemptsArb = fc.array(fc.array(fc.constantFrom(...suppliers), { minLength: BLOCKS, maxLength: BLOCKS }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(attemptsArb, (attempts) => {
        const a = attribution<string>();
        const strikes = new Map<string, number>();
        let junkAttempts = 0;
        for (const who of attempts) {
          who.forEach((s, b) => a.deliver(s, 0, b * BLOCK_LENGTH, s === 'junk' ? junk(0, b) : block(0, b)));
          // A piece with a junk block fails its hash check; one without passes.
          const outcome = who.includes('junk') ? a.failed(0) : settle(a.verified(0), 0);
          for (const [s, n] of outcome.strikes) strikes.set(s, (strikes.get(s) ?? 0) + n);
          if (who.includes('junk')) {
            junkAttempts++;
            expect(outcome.credits.size).toBe(0);
            continue;
          }
          expect(outcome.credits.get('junk')).toBeUndefined();
          expect([...outcome.credits.values()].reduce((x, y) => x + y, 0)).toBe(PIECE);
          expect(strikes.get('junk') ?? 0).toBe(junkAttempts);
          break;
        }
        expect(strikes.get('honest')).toBeUndefined();
        expect(strikes.get('other')).toBeUndefined();
      }),
    );
  });
});

describe('RequestBook', () => {
  it('counts a delivery only when it answers an outstanding request exactly, once', () => {
    const book = new RequestBook();
    book.requested(3, BLOCK_LENGTH, BLOCK_LENGTH);
    expect(book.take(3, 0, BLOCK_LENGTH)).toBe(false); // never asked for
    expect(book.take(3, BLOCK_LENGTH, BLOCK_LENGTH - 1)).toBe(false); // another length
    expect(book.take(3, BLOCK_LENGTH, BLOCK_LENGTH)).toBe(true);
    expect(book.take(3, BLOCK_LENGTH, BLOCK_LENGTH)).toBe(false); // a second copy was not asked for
    book.requested(4, 0, BLOCK_LENGTH);
    book.ended(4, 0, BLOCK_LENGTH); // cancelled, choked, timed out
    expect(book.take(4, 0, BLOCK_LENGTH)).toBe(false);
    expect(book.size).toBe(0);
  });
});
