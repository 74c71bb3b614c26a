import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { webcrypto } from 'node:crypto';
import { HopLayer, ONION_OVERHEAD, RECOGNIZED_BYTES } from './hop-layer.ts';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const random = (n: number) => webcrypto.getRandomValues(new Uint8Array(n));

/** The originator's and the relays' copies of a path's forward layers (same keys on both sides). */
async function path(hops: number): Promise<{ origin: HopLayer[]; relays: HopLayer[] }> {
  const keys = Array.from({ length: hops }, () => ({ key: random(32), prefix: random(4) }));
  const make = () => Promise.all(keys.map((k) => HopLayer.create(subtle, k.key, k.prefix)));
  return { origin: await make(), relays: await make() };
}

/** What the originator sends for hop `target`: sealed for it, under the keystream of every hop before it. */
async function wrap(origin: HopLayer[], target: number, plain: Uint8Array): Promise<Uint8Array> {
  const seal = origin[target]!.reserveSeal();
  const outer = origin.slice(0, target).map((h) => h.reserveWrap()).reverse();
  let cell = (await seal(plain)).cell;
  for (const w of outer) cell = await w(cell);
  return cell;
}

/** Passes a cell along the relays: the index of the first that finds it its own, its plaintext, and the cell's size at each hop. */
async function carry(relays: HopLayer[], cell: Uint8Array): Promise<{ at: number | undefined; plain?: Uint8Array; sizes: number[] }> {
  const sizes: number[] = [];
  for (const [i, hop] of relays.entries()) {
    sizes.push(cell.length);
    const peeled = await hop.peel(cell);
    if (peeled.mine !== undefined) return { at: i, plain: peeled.mine, sizes };
    cell = peeled.cell;
  }
  return { at: undefined, sizes };
}

describe('length-preserving hop layers', () => {
  it('a cell reaches the hop it is for, the same size at every hop; the hops before it pass it on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.nat({ max: 3 }), fc.uint8Array({ maxLength: 2000 }), async (hops, t, plain) => {
        const target = t % hops;
        const { origin, relays } = await path(hops);
        const cell = await wrap(origin, target, plain);
        expect(cell.length).toBe(plain.length + ONION_OVERHEAD);
        const got = await carry(relays, cell);
        expect(got.at).toBe(target);
        expect(got.plain).toEqual(plain);
        expect(new Set(got.sizes)).toEqual(new Set([cell.length]));
      }),
      { numRuns: 40 },
    );
  });

  it('keeps counts in step over many cells to different hops, and equal plaintexts never look alike', async () => {
    const { origin, relays } = await path(3);
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const target = i % 3;
      const cell = await wrap(origin, target, new Uint8Array(64));
      seen.add(Buffer.from(cell).toString('hex'));
      // Only the hops up to the target see it (as on a real path).
      const got = await carry(relays.slice(0, target + 1), cell);
      expect(got.at).toBe(target);
    }
    expect(seen.size).toBe(30);
  });

  it('a cell a relay altered on the way is its target\'s to drop, and the cells after it still open', async () => {
    const { origin, relays } = await path(2);
    const first = await wrap(origin, 1, new Uint8Array([1, 2, 3]));
    const second = await wrap(origin, 1, new Uint8Array([4, 5, 6]));
    // The first relay flips a bit of what it passes on.
    const passed = (await relays[0]!.peel(first)).cell;
    passed[RECOGNIZED_BYTES + 1]! ^= 0x01;
    expect((await relays[1]!.peel(passed)).mine).toBeUndefined();
    expect(await carry(relays, second)).toMatchObject({ at: 1, plain: new Uint8Array([4, 5, 6]) });
  });

  it('a cell a relay replays or injects never opens, and every later cell fails at the hops after it: the circuit breaks, nothing is forged into it', async () => {
    const { origin, relays } = await path(2);
    const first = await wrap(origin, 1, new Uint8Array([1]));
    const passed = (await relays[0]!.peel(first)).cell;
    expect((await relays[1]!.peel(passed)).mine).toEqual(new Uint8Array([1]));
    // The first relay sends the same cell on again, then a cell of its own making.
    expect((await relays[1]!.peel(passed)).mine).toBeUndefined();
    expect((await relays[1]!.peel(random(passed.length))).mine).toBeUndefined();
    const later = await wrap(origin, 1, new Uint8Array([2]));
    expect((await relays[1]!.peel((await relays[0]!.peel(later)).cell)).mine).toBeUndefined();
  });

  it('refuses what is too short to hold the onion, and random cells, without throwing', async () => {
    const { relays } = await path(1);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        expect((await relays[0]!.peel(bytes)).mine).toBeUndefined();
      }),
      { numRuns: 60 },
    );
    expect((await relays[0]!.peel(new Uint8Array(ONION_OVERHEAD - 1))).mine).toBeUndefined();
  });

  it('peels complete in call order, whatever their sizes', async () => {
    const { origin, relays } = await path(1);
    const sizes = [180 * 1024, 16, 64 * 1024, 1];
    const cells = [];
    for (const n of sizes) cells.push(await wrap(origin, 0, new Uint8Array(n).fill(n & 0xff)));
    const order: number[] = [];
    await Promise.all(cells.map((c, i) => relays[0]!.peel(c).then((p) => (expect(p.mine).toHaveLength(sizes[i]!), order.push(i)))));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('takes a 32-byte key and a 4-byte prefix', async () => {
    await expect(HopLayer.create(subtle, random(16), random(4))).rejects.toThrow(RangeError);
    await expect(HopLayer.create(subtle, random(32), random(12))).rejects.toThrow(RangeError);
  });
});
