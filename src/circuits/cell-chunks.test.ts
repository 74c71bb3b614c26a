import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellChunks, cutForCells, dataCapacity } from './cell-chunks.ts';
import { cellClass } from './cell-wire.ts';
import { CELL_SIZE_BLOCK, CELL_SIZE_FULL, MAX_DATA_BYTES } from './constants.ts';
import { LAYER_OVERHEAD } from './layer.ts';

const BLOCK = 16 * 1024;
/** What the cells for `total` bytes cost the payer: their padded sizes. */
const padded = (total: number, framing: number) => cellChunks(total, framing).reduce((n, c) => n + cellClass(1 + framing + c), 0);

describe('cutting data into cells', () => {
  it('puts a BitTorrent block and its message in one block cell, and two blocks in two, not in a full cell', () => {
    const message = BLOCK + 13;
    expect(cellChunks(message, LAYER_OVERHEAD)).toEqual([message]);
    expect(padded(message, LAYER_OVERHEAD)).toBe(CELL_SIZE_BLOCK);
    expect(padded(2 * message, LAYER_OVERHEAD)).toBeLessThanOrEqual(2 * CELL_SIZE_BLOCK);
  });

  it('fills full cells when there is much to send', () => {
    const full = dataCapacity(CELL_SIZE_FULL, LAYER_OVERHEAD);
    expect(full).toBe(MAX_DATA_BYTES - LAYER_OVERHEAD);
    expect(cellChunks(3 * full, LAYER_OVERHEAD)).toEqual([full, full, full]);
  });

  it('never pads more than a block cell and a tenth beyond the data, and cuts every byte exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000 }), fc.constantFrom(0, 3, LAYER_OVERHEAD), (total, framing) => {
        const chunks = cellChunks(total, framing);
        expect(chunks.reduce((a, b) => a + b, 0)).toBe(total);
        for (const c of chunks) expect(1 + framing + c).toBeLessThanOrEqual(MAX_DATA_BYTES + 1);
        expect(padded(total, framing)).toBeLessThanOrEqual(total * 1.1 + CELL_SIZE_BLOCK);
      }),
    );
  });

  it('cuts views of the data in order', () => {
    const data = new Uint8Array(300_000).map((_, i) => i & 0xff);
    const parts = cutForCells(data, LAYER_OVERHEAD);
    expect(Buffer.concat(parts)).toEqual(Buffer.from(data));
    expect(cutForCells(new Uint8Array(0), 0)).toEqual([new Uint8Array(0)]);
  });
});
