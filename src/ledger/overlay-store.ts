/**
 * A batch of incoming blocks seen on top of the durable store, so a crawled
 * range validates against itself and the store without writing first.
 * Adjacent answers from the batch skip the durable store entirely.
 */
import type { HalfBlock } from './block.ts';
import { blockHash } from './block-codec.ts';
import type { BlockStoreReader } from './block-store.ts';
import type { MemoryBlockStore } from './memory-store.ts';
import { toHex } from '../codec/bytes.ts';

export class OverlayStore implements BlockStoreReader {
  constructor(
    private readonly batch: MemoryBlockStore,
    private readonly base: BlockStoreReader,
  ) {}

  async get(pk: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.batch.getSync(pk, seq) ?? this.base.get(pk, seq);
  }

  async latest(pk: Uint8Array): Promise<HalfBlock | undefined> {
    const [a, b] = await Promise.all([this.batch.latest(pk), this.base.latest(pk)]);
    return pick(a, b, (x, y) => x.sequenceNumber >= y.sequenceNumber);
  }

  async before(pk: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    const a = await this.batch.before(pk, seq);
    if (a !== undefined && a.sequenceNumber === seq - 1) return a;
    return pick(a, await this.base.before(pk, seq), (x, y) => x.sequenceNumber >= y.sequenceNumber);
  }

  async after(pk: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    const a = await this.batch.after(pk, seq);
    if (a !== undefined && a.sequenceNumber === seq + 1) return a;
    return pick(a, await this.base.after(pk, seq), (x, y) => x.sequenceNumber <= y.sequenceNumber);
  }

  async range(pk: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    const bySeq = new Map<number, HalfBlock>();
    for (const b of await this.base.range(pk, from, to)) bySeq.set(b.sequenceNumber, b);
    for (const b of await this.batch.range(pk, from, to)) if (!bySeq.has(b.sequenceNumber)) bySeq.set(b.sequenceNumber, b);
    return [...bySeq.values()].sort((x, y) => x.sequenceNumber - y.sequenceNumber);
  }

  async agreementsFor(pk: Uint8Array, seq: number): Promise<HalfBlock[]> {
    const all = [...(await this.base.agreementsFor(pk, seq)), ...(await this.batch.agreementsFor(pk, seq))];
    const seen = new Set<string>();
    return all.filter((b) => {
      const h = toHex(blockHash(b));
      if (seen.has(h)) return false;
      seen.add(h);
      return true;
    });
  }
}

function pick<T>(a: T | undefined, b: T | undefined, aWins: (a: T, b: T) => boolean): T | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return aWins(a, b) ? a : b;
}
