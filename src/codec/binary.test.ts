import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryReader, BinaryWriter, DecodeError } from './binary.ts';

type Reason = DecodeError['reason'];

/** The reason a decode step refused its input; fails the test on any other outcome. */
function refusal(fn: () => unknown): Reason {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return err.reason;
    throw err;
  }
  throw new Error('the input was accepted');
}

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const reader = (...b: number[]): BinaryReader => new BinaryReader(new Uint8Array(b));

describe('BinaryWriter / BinaryReader: every field kind', () => {
  it('writes fixed-width integers big-endian and reads them back at their bounds', () => {
    const w = new BinaryWriter()
      .u8(0).u8(0xff)
      .u16(0).u16(0x1234).u16(0xffff)
      .u32(0).u32(0xdeadbeef).u32(0xffff_ffff)
      .i32(-1).i32(-0x8000_0000).i32(0x7fff_ffff)
      .u64(0n).u64(0x0102_0304_0506_0708n).u64(0xffff_ffff_ffff_ffffn);
    const out = w.finish();
    expect(out.length).toBe(2 + 3 * 2 + 3 * 4 + 3 * 4 + 3 * 8);
    // Spot-check the layout: big-endian, no padding.
    expect(Array.from(out.subarray(0, 6))).toEqual([0x00, 0xff, 0x00, 0x00, 0x12, 0x34]);
    expect(Array.from(out.subarray(12, 16))).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(Array.from(out.subarray(20, 24))).toEqual([0xff, 0xff, 0xff, 0xff]); // i32 -1
    expect(Array.from(out.subarray(40, 48))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const r = new BinaryReader(out);
    expect([r.u8(), r.u8()]).toEqual([0, 0xff]);
    expect([r.u16(), r.u16(), r.u16()]).toEqual([0, 0x1234, 0xffff]);
    expect([r.u32(), r.u32(), r.u32()]).toEqual([0, 0xdeadbeef, 0xffff_ffff]);
    expect([r.i32(), r.i32(), r.i32()]).toEqual([-1, -0x8000_0000, 0x7fff_ffff]);
    expect([r.u64(), r.u64(), r.u64()]).toEqual([0n, 0x0102_0304_0506_0708n, 0xffff_ffff_ffff_ffffn]);
    expect(r.remaining).toBe(0);
    r.end('integers');
  });

  it('writes fixed-length fields raw and reads them back', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const out = new BinaryWriter().fixed(key, 32).fixed(new Uint8Array(0), 0).finish();
    expect(out).toEqual(key);
    const r = new BinaryReader(out);
    expect(r.fixed(32, 'key')).toEqual(key);
    expect(r.fixed(0, 'nothing')).toEqual(new Uint8Array(0));
    r.end('fixed');
  });

  it('reads a view of the input where asked, sharing its bytes rather than copying them, and refuses one past the end', () => {
    const input = bytes(1, 2, 3, 4, 5);
    const r = new BinaryReader(input);
    expect(r.u8('head')).toBe(1);
    const copy = r.fixed(2, 'copied');
    const view = r.view(2, 'viewed');
    expect([copy, view]).toEqual([bytes(2, 3), bytes(4, 5)]);
    input.fill(0);
    expect([copy, view]).toEqual([bytes(2, 3), bytes(0, 0)]);
    expect(refusal(() => reader(1, 2).view(3, 'view'))).toBe('truncated');
  });

  it('prefixes variable fields with a length whose width follows the limit (u8 < 256, u16 < 65536, else u32)', () => {
    for (const [max, width] of [[0, 1], [1, 1], [255, 1], [256, 2], [65_535, 2], [65_536, 4], [1 << 24, 4]] as const) {
      const payload = new Uint8Array(Math.min(max, 3)).fill(7);
      const out = new BinaryWriter().bytes(payload, max).finish();
      expect(out.length, `limit ${max}`).toBe(width + payload.length);
      // The prefix is the big-endian length.
      expect(out[width - 1]).toBe(payload.length);
      const r = new BinaryReader(out);
      expect(r.bytes(max, 'field')).toEqual(payload);
      r.end('field');
    }
  });

  it('round-trips empty and exactly-at-limit variable fields', () => {
    const full = new Uint8Array(300).fill(0xaa);
    const out = new BinaryWriter().bytes(new Uint8Array(0), 10).bytes(full, 300).string('', 10).string('abc', 3).finish();
    const r = new BinaryReader(out);
    expect(r.bytes(10, 'empty')).toEqual(new Uint8Array(0));
    expect(r.bytes(300, 'full')).toEqual(full);
    expect(r.string(10, 'empty text')).toBe('');
    expect(r.string(3, 'full text')).toBe('abc');
    r.end('fields');
  });

  it('round-trips UTF-8 text, counting its limit in bytes rather than characters', () => {
    const texts = ['héllo', '日本語', '🙂 emoji', 'nul\u0000inside', '\uFEFFleading byte-order mark', 'trailing \uFEFF'];
    const w = new BinaryWriter();
    for (const t of texts) w.string(t, 100);
    const r = new BinaryReader(w.finish());
    for (const t of texts) expect(r.string(100, 'text')).toBe(t);
    r.end('texts');

    expect(new BinaryWriter().string('ééé', 6).finish().length).toBe(1 + 6);
    expect(() => new BinaryWriter().string('ééé', 5)).toThrow(RangeError);
  });

  it('writes counts in the width the reader expects for the same limit', () => {
    for (const [max, width] of [[8, 1], [255, 1], [256, 2], [65_535, 2], [65_536, 4]] as const) {
      const out = new BinaryWriter().count(5, max).finish();
      expect(out.length, `limit ${max}`).toBe(width);
      expect(new BinaryReader(out).count(max, 'items')).toBe(5);
    }
    expect(new BinaryReader(new BinaryWriter().count(0, 3).count(3, 3).finish()).count(3, 'n')).toBe(0);
  });

  it('grows from any initial capacity, including zero', () => {
    for (const capacity of [0, 1, 3, 256]) {
      const w = new BinaryWriter(capacity);
      for (let i = 0; i < 1000; i++) w.u16(i);
      const r = new BinaryReader(w.finish());
      for (let i = 0; i < 1000; i++) expect(r.u16()).toBe(i);
      r.end('grown');
    }
  });

  it('finish() returns an independent copy; the writer can keep going', () => {
    const w = new BinaryWriter(4).u8(1);
    const first = w.finish();
    w.u8(2);
    const second = w.finish();
    expect(first).toEqual(bytes(1));
    expect(second).toEqual(bytes(1, 2));
    second[0] = 99;
    expect(w.finish()).toEqual(bytes(1, 2));
  });

  it('reads from a view into a larger buffer, at its offset', () => {
    const backing = bytes(0xee, 0xee, 0x12, 0x34, 0x00, 0x00, 0x00, 0x05, 0xee);
    const r = new BinaryReader(backing.subarray(2, 8));
    expect(r.u16()).toBe(0x1234);
    expect(r.u32()).toBe(5);
    r.end('view');
  });

  it('returns copies, so decoded fields do not change when the input buffer is reused', () => {
    const input = new BinaryWriter().fixed(bytes(1, 2, 3), 3).bytes(bytes(4, 5), 10).finish();
    const r = new BinaryReader(input);
    const fixed = r.fixed(3, 'fixed');
    const variable = r.bytes(10, 'variable');
    input.fill(0);
    expect(fixed).toEqual(bytes(1, 2, 3));
    expect(variable).toEqual(bytes(4, 5));
  });

  it('tracks the bytes remaining', () => {
    const r = reader(1, 2, 3, 4, 5, 6, 7);
    expect(r.remaining).toBe(7);
    r.u8();
    expect(r.remaining).toBe(6);
    r.u32();
    expect(r.remaining).toBe(2);
    expect(refusal(() => r.u32())).toBe('truncated');
    expect(r.remaining).toBe(2); // a refused read consumes nothing
  });
});

describe('BinaryWriter refuses values it cannot represent', () => {
  it.each([
    ['u8 256', (w: BinaryWriter) => w.u8(256)],
    ['u8 -1', (w: BinaryWriter) => w.u8(-1)],
    ['u8 1.5', (w: BinaryWriter) => w.u8(1.5)],
    ['u8 NaN', (w: BinaryWriter) => w.u8(Number.NaN)],
    ['u16 65536', (w: BinaryWriter) => w.u16(0x1_0000)],
    ['u16 -1', (w: BinaryWriter) => w.u16(-1)],
    ['u32 2^32', (w: BinaryWriter) => w.u32(2 ** 32)],
    ['u32 -1', (w: BinaryWriter) => w.u32(-1)],
    ['u32 0.5', (w: BinaryWriter) => w.u32(0.5)],
    ['i32 2^31', (w: BinaryWriter) => w.i32(2 ** 31)],
    ['i32 -2^31-1', (w: BinaryWriter) => w.i32(-(2 ** 31) - 1)],
    ['i32 0.5', (w: BinaryWriter) => w.i32(0.5)],
    ['u64 -1', (w: BinaryWriter) => w.u64(-1n)],
    ['u64 2^64', (w: BinaryWriter) => w.u64(2n ** 64n)],
    ['fixed of the wrong length', (w: BinaryWriter) => w.fixed(new Uint8Array(3), 2)],
    ['bytes over the limit', (w: BinaryWriter) => w.bytes(new Uint8Array(11), 10)],
    ['string over the limit', (w: BinaryWriter) => w.string('x'.repeat(11), 10)],
    ['count over the limit', (w: BinaryWriter) => w.count(11, 10)],
    ['negative count', (w: BinaryWriter) => w.count(-1, 10)],
    ['fractional count', (w: BinaryWriter) => w.count(1.5, 10)],
  ])('%s: RangeError, nothing written', (_, write) => {
    const w = new BinaryWriter().u8(42);
    expect(() => write(w)).toThrow(RangeError);
    expect(w.finish()).toEqual(bytes(42));
  });
});

describe('BinaryReader refusals carry the right reason', () => {
  it('truncated: input ends inside any fixed-width field', () => {
    expect(refusal(() => reader().u8())).toBe('truncated');
    expect(refusal(() => reader(1).u16())).toBe('truncated');
    expect(refusal(() => reader(1, 2, 3).u32())).toBe('truncated');
    expect(refusal(() => reader(1, 2, 3).i32())).toBe('truncated');
    expect(refusal(() => reader(1, 2, 3, 4, 5, 6, 7).u64())).toBe('truncated');
    expect(refusal(() => reader(1, 2, 3).fixed(4, 'key'))).toBe('truncated');
  });

  it('truncated: input ends inside a length prefix or its payload', () => {
    expect(refusal(() => reader().bytes(10, 'field'))).toBe('truncated');
    expect(refusal(() => reader(0).bytes(1000, 'field'))).toBe('truncated'); // u16 prefix cut
    expect(refusal(() => reader(0, 0, 0).bytes(70_000, 'field'))).toBe('truncated'); // u32 prefix cut
    expect(refusal(() => reader(5, 1, 2).bytes(100, 'field'))).toBe('truncated');
    expect(refusal(() => reader(3, 0x61).string(100, 'text'))).toBe('truncated');
    expect(refusal(() => reader().count(10, 'items'))).toBe('truncated');
    expect(refusal(() => reader(0).count(300, 'items'))).toBe('truncated');
  });

  it('too-long: a declared length over the limit is refused before its payload is read', () => {
    // Only the prefix is present: the payload is never looked at (or allocated).
    expect(refusal(() => reader(11).bytes(10, 'field'))).toBe('too-long');
    expect(refusal(() => reader(0xff).bytes(254, 'field'))).toBe('too-long');
    expect(refusal(() => reader(0x01, 0x2d).bytes(300, 'field'))).toBe('too-long');
    expect(refusal(() => reader(0xff, 0xff, 0xff, 0xff).bytes(70_000, 'field'))).toBe('too-long');
    expect(refusal(() => reader(0x80, 0, 0, 0).bytes(2 ** 31 - 1, 'field'))).toBe('too-long');
    expect(refusal(() => reader(6).string(5, 'text'))).toBe('too-long');
  });

  it('too-long: a declared count over the limit is refused before any item', () => {
    expect(refusal(() => reader(9).count(8, 'items'))).toBe('too-long');
    expect(refusal(() => reader(0x01).count(256, 'items'))).toBe('truncated'); // u16 count cut
    expect(reader(0x01, 0x00).count(256, 'items')).toBe(256); // exactly the limit is fine
    expect(refusal(() => reader(0x01, 0x01).count(256, 'items'))).toBe('too-long');
    expect(refusal(() => reader(0xff, 0xff, 0xff, 0xff).count(100_000, 'items'))).toBe('too-long');
  });

  it('trailing-bytes: end() refuses unread input', () => {
    expect(refusal(() => reader(1, 2).end('frame'))).toBe('trailing-bytes');
    const r = reader(1, 2);
    r.u8();
    expect(refusal(() => r.end('frame'))).toBe('trailing-bytes');
    r.u8();
    expect(() => r.end('frame')).not.toThrow();
    expect(() => reader().end('empty frame')).not.toThrow();
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a cut multi-byte sequence', [0xe2, 0x82]],
    ['a byte never valid in UTF-8', [0xff]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ])('invalid-value: text with %s', (_, raw) => {
    expect(refusal(() => reader(raw.length, ...raw).string(10, 'text'))).toBe('invalid-value');
  });

  it('is an Error named DecodeError whose message names the field', () => {
    let caught: unknown;
    try {
      reader(1).u16('record version');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(caught).toBeInstanceOf(DecodeError);
    expect((caught as DecodeError).name).toBe('DecodeError');
    expect((caught as DecodeError).message).toContain('record version');
    expect(new DecodeError('trailing-bytes', 'x').reason).toBe('trailing-bytes');
  });
});

// ---- properties ----

type Field =
  | { k: 'u8' | 'u16' | 'u32' | 'i32'; v: number }
  | { k: 'u64'; v: bigint }
  | { k: 'fixed'; v: Uint8Array }
  | { k: 'bytes'; v: Uint8Array; max: number }
  | { k: 'string'; v: string; max: number }
  | { k: 'count'; v: number; max: number };

const LIMITS = [255, 300, 65_535, 70_000] as const;
const prefixWidth = (max: number): number => (max < 0x100 ? 1 : max < 0x1_0000 ? 2 : 4);

const fieldArb: fc.Arbitrary<Field> = fc.oneof(
  fc.record({ k: fc.constant('u8' as const), v: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({ k: fc.constant('u16' as const), v: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ k: fc.constant('u32' as const), v: fc.integer({ min: 0, max: 0xffff_ffff }) }),
  fc.record({ k: fc.constant('i32' as const), v: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }) }),
  fc.record({ k: fc.constant('u64' as const), v: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }) }),
  fc.record({ k: fc.constant('fixed' as const), v: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ k: fc.constant('bytes' as const), v: fc.uint8Array({ maxLength: 255 }), max: fc.constantFrom(...LIMITS) }),
  // 'binary': any code point, so multi-byte sequences and U+FEFF appear; at most 4 bytes each.
  fc.record({ k: fc.constant('string' as const), v: fc.string({ unit: 'binary', maxLength: 60 }), max: fc.constantFrom(...LIMITS) }),
  fc.record({ k: fc.constant('count' as const), v: fc.integer({ min: 0, max: 255 }), max: fc.constantFrom(...LIMITS) }),
);

function writeField(w: BinaryWriter, f: Field): void {
  switch (f.k) {
    case 'u8': w.u8(f.v); break;
    case 'u16': w.u16(f.v); break;
    case 'u32': w.u32(f.v); break;
    case 'i32': w.i32(f.v); break;
    case 'u64': w.u64(f.v); break;
    case 'fixed': w.fixed(f.v, f.v.length); break;
    case 'bytes': w.bytes(f.v, f.max); break;
    case 'string': w.string(f.v, f.max); break;
    case 'count': w.count(f.v, f.max); break;
  }
}

function readField(r: BinaryReader, f: Field): unknown {
  switch (f.k) {
    case 'u8': return r.u8();
    case 'u16': return r.u16();
    case 'u32': return r.u32();
    case 'i32': return r.i32();
    case 'u64': return r.u64();
    case 'fixed': return r.fixed(f.v.length, 'fixed');
    case 'bytes': return r.bytes(f.max, 'bytes');
    case 'string': return r.string(f.max, 'string');
    case 'count': return r.count(f.max, 'count');
  }
}

function encodedSize(f: Field): number {
  switch (f.k) {
    case 'u8': return 1;
    case 'u16': return 2;
    case 'u32': case 'i32': return 4;
    case 'u64': return 8;
    case 'fixed': return f.v.length;
    case 'bytes': return prefixWidth(f.max) + f.v.length;
    case 'string': return prefixWidth(f.max) + new TextEncoder().encode(f.v).length;
    case 'count': return prefixWidth(f.max);
  }
}

function encode(fields: readonly Field[], capacity = 1): Uint8Array {
  const w = new BinaryWriter(capacity);
  for (const f of fields) writeField(w, f);
  return w.finish();
}

describe('BinaryWriter / BinaryReader properties', () => {
  const fields = fc.array(fieldArb, { maxLength: 24 });

  it('any sequence of field writes reads back field by field, at exactly the documented size', () => {
    fc.assert(
      fc.property(fields, fc.integer({ min: 0, max: 64 }), (fs, capacity) => {
        const out = encode(fs, capacity);
        expect(out.length).toBe(fs.reduce((n, f) => n + encodedSize(f), 0));
        const r = new BinaryReader(out);
        for (const f of fs) expect(readField(r, f)).toEqual(f.v);
        r.end('fields');
      }),
      { numRuns: 500 },
    );
  });

  it('every strict prefix of a valid encoding is refused as truncated', () => {
    fc.assert(
      fc.property(fields.filter((fs) => encode(fs).length > 0), fc.nat(), (fs, cut) => {
        const out = encode(fs);
        const r = new BinaryReader(out.subarray(0, cut % out.length));
        expect(refusal(() => {
          for (const f of fs) readField(r, f);
        })).toBe('truncated');
      }),
      { numRuns: 300 },
    );
  });

  it('a valid encoding with bytes appended reads back, then end() refuses the extra', () => {
    fc.assert(
      fc.property(fields, fc.uint8Array({ minLength: 1, maxLength: 16 }), (fs, extra) => {
        const out = encode(fs);
        const r = new BinaryReader(new Uint8Array([...out, ...extra]));
        for (const f of fs) expect(readField(r, f)).toEqual(f.v);
        expect(r.remaining).toBe(extra.length);
        expect(refusal(() => r.end('fields'))).toBe('trailing-bytes');
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes read as any field sequence yield values or DecodeError, never another error', () => {
    const op = fc.record({
      kind: fc.constantFrom('u8', 'u16', 'u32', 'i32', 'u64', 'fixed', 'bytes', 'string', 'count', 'end'),
      n: fc.integer({ min: 0, max: 70_000 }),
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), fc.array(op, { maxLength: 16 }), (input, ops) => {
        const r = new BinaryReader(input);
        try {
          for (const { kind, n } of ops) {
            const before = r.remaining;
            switch (kind) {
              case 'u8': r.u8(); break;
              case 'u16': r.u16(); break;
              case 'u32': r.u32(); break;
              case 'i32': r.i32(); break;
              case 'u64': r.u64(); break;
              case 'fixed': r.fixed(n % 64, 'fixed'); break;
              case 'bytes': expect(r.bytes(n, 'bytes').length).toBeLessThanOrEqual(n); break;
              case 'string': r.string(n, 'string'); break;
              case 'count': expect(r.count(n, 'count')).toBeLessThanOrEqual(n); break;
              case 'end': r.end('input'); break;
            }
            // Reads only move forward, and never past the end.
            expect(r.remaining).toBeLessThanOrEqual(before);
            expect(r.remaining).toBeGreaterThanOrEqual(0);
          }
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
