/**
 * Loads, with a few range queries, every stored block that validating a set of
 * blocks may look at: per owner, the positions covered plus one on each side
 * and the nearest stored block beyond; agreements to the covered blocks; and,
 * for agreements, the proposals they answer (and rival agreements).
 */
import { binaryKey } from '../codec/bytes.ts';
import { isAgreement, type HalfBlock } from './block.ts';
import type { BlockStoreReader } from './block-store.ts';
import { MemoryBlockStore } from './memory-store.ts';

export async function loadWindow(store: BlockStoreReader, blocks: readonly HalfBlock[]): Promise<MemoryBlockStore> {
  const spans = new Map<string, { pk: Uint8Array; min: number; max: number }>();
  const widen = (pk: Uint8Array, seq: number): void => {
    const k = binaryKey(pk);
    const s = spans.get(k);
    if (s === undefined) spans.set(k, { pk, min: seq, max: seq });
    else {
      s.min = Math.min(s.min, seq);
      s.max = Math.max(s.max, seq);
    }
  };
  for (const b of blocks) {
    widen(b.publicKey, b.sequenceNumber);
    if (isAgreement(b)) widen(b.linkPublicKey, b.linkSequenceNumber);
  }
  const fetched = await Promise.all(
    [...spans.values()].map(async ({ pk, min, max }) => {
      const [inRange, before, after, agreements] = await Promise.all([
        store.range(pk, Math.max(1, min - 1), max + 1),
        store.before(pk, min - 1),
        store.after(pk, max + 1),
        store.agreementsInRange(pk, min, max),
      ]);
      return [...inRange, ...(before === undefined ? [] : [before]), ...(after === undefined ? [] : [after]), ...agreements];
    }),
  );
  const view = new MemoryBlockStore();
  for (const list of fetched) for (const b of list) view.putSync(b);
  return view;
}
