import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryReader, BinaryWriter, DecodeError } from './binary.ts';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return err.reason;
    throw err;
  }
  return 'no error';
}

describe('BinaryWriter / BinaryReader', () => {
  it('round-trips every field kind, big-endian', () => {
    const bytes = new BinaryWriter(1)
      .u8(0xab).u16(0x1234).u32(0xdeadbeef).u64(0x0102030405060708n)
      .fixed(new Uint8Array([9, 9]), 2).bytes(new Uint8Array([1, 2, 3]), 10).bytes(new Uint8Array(300), 1000)
      .string('héllo', 50).finish();
    expect(Array.from(bytes.subarray(0, 3))).toEqual([0xab, 0x12, 0x34]);
    const r = new BinaryReader(bytes);
    expect(r.u8()).toBe(0xab);
    expect(r.u16()).toBe(0x1234);
    expect(r.u32()).toBe(0xdeadbeef);
    expect(r.u64()).toBe(0x0102030405060708n);
    expect(r.fixed(2, 'pair')).toEqual(new Uint8Array([9, 9]));
    expect(r.bytes(10, 'small')).toEqual(new Uint8Array([1, 2, 3]));
    expect(r.bytes(1000, 'big').length).toBe(300);
    expect(r.string(50, 'text')).toBe('héllo');
    r.end('test');
  });

  it('picks the length prefix width from the limit', () => {
    expect(new BinaryWriter().bytes(new Uint8Array(1), 255).finish().length).toBe(2);
    expect(new BinaryWriter().bytes(new Uint8Array(1), 256).finish().length).toBe(3);
    expect(new BinaryWriter().bytes(new Uint8Array(1), 70_000).finish().length).toBe(5);
  });

  it('refuses to write values outside their range', () => {
    expect(() => new BinaryWriter().u64(-1n)).toThrow(RangeError);
    expect(() => new BinaryWriter().u64(2n ** 64n)).toThrow(RangeError);
    expect(() => new BinaryWriter().fixed(new Uint8Array(3), 2)).toThrow(RangeError);
    expect(() => new BinaryWriter().bytes(new Uint8Array(11), 10)).toThrow(RangeError);
  });

  it('reports truncation, over-long fields, trailing bytes and bad UTF-8 as typed reasons', () => {
    expect(reason(() => new BinaryReader(new Uint8Array([1])).u16())).toBe('truncated');
    expect(reason(() => new BinaryReader(new Uint8Array([0, 0, 0])).u32())).toBe('truncated');
    // Declares 200 bytes against a limit of 100: refused before reading (or allocating) them.
    expect(reason(() => new BinaryReader(new Uint8Array([200])).bytes(100, 'field'))).toBe('too-long');
    expect(reason(() => new BinaryReader(new Uint8Array([5, 1, 2])).bytes(100, 'field'))).toBe('truncated');
    expect(reason(() => new BinaryReader(new Uint8Array([9])).count(8, 'items'))).toBe('too-long');
    expect(reason(() => new BinaryReader(new Uint8Array([1, 2])).end('x'))).toBe('trailing-bytes');
    expect(reason(() => new BinaryReader(new Uint8Array([2, 0xc3, 0x28])).string(10, 'text'))).toBe('invalid-value');
  });

  it('round-trips random sequences of fields', () => {
    const field = fc.oneof(
      fc.record({ k: fc.constant('u8' as const), v: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ k: fc.constant('u32' as const), v: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
      fc.record({ k: fc.constant('u64' as const), v: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
      fc.record({ k: fc.constant('bytes' as const), v: fc.uint8Array({ maxLength: 300 }) }),
      fc.record({ k: fc.constant('string' as const), v: fc.string({ maxLength: 40 }) }),
    );
    fc.assert(fc.property(fc.array(field, { maxLength: 20 }), (fields) => {
      const w = new BinaryWriter(4);
      for (const f of fields) {
        if (f.k === 'u8') w.u8(f.v);
        else if (f.k === 'u32') w.u32(f.v);
        else if (f.k === 'u64') w.u64(f.v);
        else if (f.k === 'bytes') w.bytes(f.v, 1000);
        else w.string(f.v, 1000);
      }
      const r = new BinaryReader(w.finish());
      for (const f of fields) {
        if (f.k === 'u8') expect(r.u8()).toBe(f.v);
        else if (f.k === 'u32') expect(r.u32()).toBe(f.v);
        else if (f.k === 'u64') expect(r.u64()).toBe(f.v);
        else if (f.k === 'bytes') expect(r.bytes(1000, 'b')).toEqual(f.v);
        else expect(r.string(1000, 's')).toBe(f.v);
      }
      r.end('fields');
    }));
  });

  it('throws only DecodeError on random input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 12 }), (bytes, ops) => {
      const r = new BinaryReader(bytes);
      try {
        for (const op of ops) {
          if (op === 0) r.u8();
          else if (op === 1) r.u16();
          else if (op === 2) r.u64();
          else if (op === 3) r.bytes(40, 'b');
          else if (op === 4) r.string(40, 's');
          else r.count(10, 'c');
        }
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError);
      }
    }));
  });
});
