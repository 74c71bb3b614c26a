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
import { MAX_TOTALS_WALK } from './constants.ts';

/** Blocks fetched per step when walking back to an owner's previous token block: one range query covers a typical run of orders and trade records. */
const TOTALS_STEP = 64;

/**
 * `isTokenType`: when given, each owner's window also reaches back (up to
 * MAX_TOTALS_WALK blocks) to the nearest token-carrying block before it, so
 * running totals are known across runs of blocks that carry none (orders,
 * trade records); without it, a token block after two such blocks would be
 * graded as if its history were missing.
 */
export async function loadWindow(stored: BlockStoreReader, blocks: readonly HalfBlock[], isTokenType?: (type: string) => boolean): Promise<MemoryBlockStore> {
  const store = stored.batchReader?.() ?? stored;
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
  if (isTokenType !== undefined) await Promise.all([...spans.values()].map((span) => reachPreviousTokenBlock(store, view, span.pk, span.min, isTokenType)));
  return view;
}

/** Loads the owner's blocks back from `seq` until a token block, a gap, the genesis or MAX_TOTALS_WALK blocks. */
async function reachPreviousTokenBlock(store: BlockStoreReader, view: MemoryBlockStore, pk: Uint8Array, seq: number, isTokenType: (type: string) => boolean): Promise<void> {
  let s = seq - 1;
  for (let walked = 0; s >= 1 && walked < MAX_TOTALS_WALK; walked++, s--) {
    let b = view.getSync(pk, s);
    if (b === undefined) {
      for (const fetched of await store.range(pk, Math.max(1, s - TOTALS_STEP + 1), s)) view.putSync(fetched);
      b = view.getSync(pk, s);
    }
    if (b === undefined || isTokenType(b.type)) return;
  }
}
