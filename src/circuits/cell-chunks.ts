/**
 * How data is cut into cells. Every cell is padded to its size class
 * (cell-wire.ts) and every hop is paid for the padded size, so a sender that
 * put 32 KiB (two BitTorrent blocks) in one cell would pay for a full 181 KiB
 * cell: 5.6 times the data. Cutting fills full cells first and sends what is
 * left in block-sized cells when that pads less than one more full cell.
 */
import { CELL_SIZE_BLOCK, CELL_SIZE_FULL, MAX_DATA_BYTES } from './constants.ts';
import { cellClass } from './cell-wire.ts';

/** A data command's own bytes beside its data (its command byte). */
const DATA_COMMAND_BYTES = 1;

/** Capacities found so far, by class and framing: cutting runs per message on the data path, the search once. */
const capacities = new Map<string, number>();

/** The most data, with `framing` bytes of headers of the sender's own, that a cell of class `size` holds. */
export function dataCapacity(size: number, framing: number): number {
  const key = `${size}:${framing}`;
  let capacity = capacities.get(key);
  if (capacity === undefined) capacities.set(key, (capacity = searchCapacity(size, framing)));
  return capacity;
}

function searchCapacity(size: number, framing: number): number {
  // cellClass is monotonic: search the largest length that still lands in `size`.
  let lo = 0;
  let hi = MAX_DATA_BYTES - framing;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (cellClass(DATA_COMMAND_BYTES + framing + mid) <= size) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The lengths to cut `total` bytes of data into, each cell carrying `framing`
 * bytes of headers beside its share (an end-to-end seal, an exit message's
 * header): as much as possible in full cells, then the rest in block cells
 * if they cost less than one full cell. Empty data is one empty cell.
 */
export function cellChunks(total: number, framing: number): number[] {
  if (total === 0) return [0];
  const full = dataCapacity(CELL_SIZE_FULL, framing);
  const block = dataCapacity(CELL_SIZE_BLOCK, framing);
  const chunks: number[] = [];
  let rest = total;
  for (; rest > full; rest -= full) chunks.push(full);
  const blocks = Math.ceil(rest / block);
  if (blocks * CELL_SIZE_BLOCK >= CELL_SIZE_FULL) chunks.push(rest);
  else {
    for (; rest > block; rest -= block) chunks.push(block);
    chunks.push(rest);
  }
  return chunks;
}

/** `data` cut per cellChunks, as views into it. */
export function cutForCells(data: Uint8Array, framing: number): Uint8Array[] {
  let at = 0;
  return cellChunks(data.length, framing).map((n) => data.subarray(at, (at += n)));
}
