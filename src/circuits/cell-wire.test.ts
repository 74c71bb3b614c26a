import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { cellClass, decodeCell, decodeCommand, decodeFrame, encodeCell, encodeCommand, encodeFrame, FAIL_CODES, type LinkFrame, type RelayCommand } from './cell-wire.ts';
import { CELL_SIZE_CONTROL, CELL_SIZE_FULL, CELL_SIZES, MAX_DATA_BYTES, MAX_FRAME_BYTES } from './constants.ts';
import { MAX_DESCRIPTOR_BYTES } from './descriptor-wire.ts';
import { ONION_OVERHEAD } from './hop-layer.ts';
import { RECEIPT_BYTES } from './receipt-wire.ts';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const circuitId = fc.nat({ max: 0xffff_ffff });

const frames: fc.Arbitrary<LinkFrame> = fc.oneof(
  fc.record({ type: fc.constant('create' as const), circuitId, X: key }),
  fc.record({ type: fc.constant('created' as const), circuitId, Y: key, auth: key }),
  fc.record({ type: fc.constant('relay' as const), circuitId, onion: fc.uint8Array({ maxLength: 4096 }) }),
  fc.record({ type: fc.constant('destroy' as const), circuitId, reason: fc.constantFrom('requested', 'protocol', 'limit', 'unpaid', 'refused', 'hop-lost', 'timeout') as fc.Arbitrary<'requested'> }),
  fc.record({ type: fc.constant('credit' as const), circuitId, bytes: fc.nat({ max: 0xffff_ffff }) }),
  fc.record({ type: fc.constant('payout' as const), circuitId, amount: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), total: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
);

const commands: fc.Arbitrary<RelayCommand> = fc.oneof(
  fc.record({ command: fc.constant('extend' as const), next: key, X: key }),
  fc.record({ command: fc.constant('extended' as const), Y: key, auth: key }),
  fc.record({ command: fc.constant('data' as const), data: fc.uint8Array({ maxLength: 4096 }) }),
  fc.record({ command: fc.constant('extend-failed' as const), code: fc.constantFrom(...FAIL_CODES) }),
  fc.record({ command: fc.constantFrom('rendezvous' as const, 'join' as const), cookie: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
  fc.constant({ command: 'joined' as const }),
  fc.constant({ command: 'rendezvous-established' as const }),
  fc.constant({ command: 'intro-established' as const }),
  fc.record({ command: fc.constant('establish-intro' as const), descriptor: fc.uint8Array({ maxLength: MAX_DESCRIPTOR_BYTES }), proof: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
  fc.record({ command: fc.constant('introduce' as const), service: key, X: key, sealed: fc.uint8Array({ minLength: 68, maxLength: 68 }) }),
  fc.record({ command: fc.constant('introduce-ack' as const), ok: fc.boolean() }),
  fc.constant({ command: 'drop' as const }),
  fc.record({ command: fc.constant('sendme' as const), tag: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  fc.record({ command: fc.constant('receipt' as const), receipt: fc.uint8Array({ minLength: RECEIPT_BYTES, maxLength: RECEIPT_BYTES }) }),
);

/** A command padded to its cell. */
const cells = commands.map((c) => [c, encodeCell(c)] as const);

describe('circuit wire format', () => {
  it('round-trips frames and commands', () => {
    fc.assert(
      fc.property(frames, (f) => {
        expect(decodeFrame(encodeFrame(f))).toEqual(f);
      }),
    );
    fc.assert(
      fc.property(commands, (c) => {
        expect(decodeCommand(encodeCommand(c))).toEqual(c);
      }),
    );
  });

  it('decodes random and mutated frames or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeFrame, encode: encodeFrame, values: frames, runs: 400 });
    checkDecoderProperties({ decode: decodeCommand, encode: encodeCommand, values: commands, runs: 400 });
  });

  it('refuses oversized frames and data, unknown types and trailing bytes', () => {
    expect(() => decodeFrame(new Uint8Array(MAX_FRAME_BYTES + 1))).toThrow(DecodeError);
    expect(() => decodeCommand(new Uint8Array([3, ...new Uint8Array(MAX_DATA_BYTES + 1)]))).toThrow(/over/);
    expect(() => decodeFrame(new Uint8Array([9, 0, 0, 0, 1]))).toThrow(DecodeError);
    expect(() => decodeFrame(new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/unexpected bytes/);
    expect(() => encodeCommand({ command: 'data', data: new Uint8Array(MAX_DATA_BYTES + 1) })).toThrow(RangeError);
  });
});

describe('cells', () => {
  it('decodes random and mutated cells or refuses them with DecodeError', () => {
    fc.assert(
      fc.property(cells, ([c, cell]) => {
        expect(decodeCell(cell)).toEqual(c);
      }),
    );
    checkDecoderProperties({ decode: decodeCell, encode: encodeCell, values: commands, runs: 400 });
  });

  it('refuses a cell whose length overruns it or whose padding is not zeros', () => {
    const cell = encodeCell({ command: 'drop' });
    const long = cell.slice();
    new DataView(long.buffer).setUint32(0, cell.length);
    expect(() => decodeCell(long)).toThrow(DecodeError);
    const dirty = cell.slice();
    dirty[dirty.length - 1] = 1;
    expect(() => decodeCell(dirty)).toThrow(/padded with zeros/);
  });

  it('an extend-failed carries a code, never text', () => {
    for (const code of FAIL_CODES) expect(encodeCommand({ command: 'extend-failed', code })).toHaveLength(2);
    expect(() => decodeCommand(new Uint8Array([4, FAIL_CODES.length]))).toThrow(DecodeError);
    // What a 1.0.0 relay sent (a UTF-8 reason) is refused, not shown.
    expect(() => decodeCommand(new Uint8Array([4, 0, 5, ...new TextEncoder().encode('oops!')]))).toThrow(DecodeError);
  });

  it('pads every onion to a size class, the same whatever the payload inside a class, for every hop either way', () => {
    // One cell size for a command, whichever hop it is for and whichever way it goes (hop-layer.ts keeps it along the path).
    const onion = (c: RelayCommand) => encodeCell(c).length + ONION_OVERHEAD;
    fc.assert(
      fc.property(commands, (c) => {
        expect(CELL_SIZES).toContain(onion(c));
      }),
    );
    const sizes = [0, 1, 100, 500].map((n) => onion({ command: 'data', data: new Uint8Array(n) }));
    expect(new Set(sizes)).toEqual(new Set([CELL_SIZE_CONTROL]));
    expect(onion({ command: 'data', data: new Uint8Array(MAX_DATA_BYTES) })).toBe(CELL_SIZE_FULL);
    expect(cellClass(encodeCommand({ command: 'extend', next: new Uint8Array(32), X: new Uint8Array(32) }).length)).toBe(CELL_SIZE_CONTROL);
    expect(cellClass(encodeCommand({ command: 'establish-intro', descriptor: new Uint8Array(MAX_DESCRIPTOR_BYTES), proof: new Uint8Array(64) }).length)).toBe(CELL_SIZE_CONTROL);
    // The largest cell fits a frame.
    expect(CELL_SIZE_FULL + 5).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });
});
