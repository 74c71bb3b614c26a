/** An in-memory block store: tests, and overlays of a crawled batch over the real store. */
import { binaryKey } from '../codec/bytes.ts';
import { isAgreement, type HalfBlock } from './block.ts';
import { sameBlock } from './block-codec.ts';
import type { BlockStoreReader, BlockStoreWriter, PutResult } from './block-store.ts';

const key = (pk: Uint8Array, seq: number): string => `${binaryKey(pk)}:${seq}`;

export class MemoryBlockStore implements BlockStoreReader, BlockStoreWriter {
  private readonly blocks = new Map<string, HalfBlock>();
  /** Sorted sequence numbers per owner, for before/after/range. */
  private readonly seqs = new Map<string, number[]>();
  private readonly agreements = new Map<string, HalfBlock[]>();

  putSync(block: HalfBlock): PutResult {
    const k = key(block.publicKey, block.sequenceNumber);
    const existing = this.blocks.get(k);
    if (existing !== undefined) return sameBlock(existing, block) ? 'exists' : 'conflict';
    this.blocks.set(k, block);
    const owner = binaryKey(block.publicKey);
    const list = this.seqs.get(owner) ?? [];
    list.splice(lowerBound(list, block.sequenceNumber), 0, block.sequenceNumber);
    this.seqs.set(owner, list);
    if (isAgreement(block)) {
      const lk = key(block.linkPublicKey, block.linkSequenceNumber);
      this.agreements.set(lk, [...(this.agreements.get(lk) ?? []), block]);
    }
    return 'added';
  }

  async put(block: HalfBlock): Promise<PutResult> {
    return this.putSync(block);
  }

  getSync(publicKey: Uint8Array, seq: number): HalfBlock | undefined {
    return this.blocks.get(key(publicKey, seq));
  }

  private owner(publicKey: Uint8Array): { hex: string; list: number[] } {
    const hex = binaryKey(publicKey);
    return { hex, list: this.seqs.get(hex) ?? [] };
  }

  private at(hex: string, seq: number | undefined): HalfBlock | undefined {
    return seq === undefined ? undefined : this.blocks.get(`${hex}:${seq}`);
  }

  async get(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.getSync(publicKey, seq);
  }

  latestSync(publicKey: Uint8Array): HalfBlock | undefined {
    const { hex, list } = this.owner(publicKey);
    return this.at(hex, list.at(-1));
  }

  beforeSync(publicKey: Uint8Array, seq: number): HalfBlock | undefined {
    const { hex, list } = this.owner(publicKey);
    return this.at(hex, list[lowerBound(list, seq) - 1]);
  }

  afterSync(publicKey: Uint8Array, seq: number): HalfBlock | undefined {
    const { hex, list } = this.owner(publicKey);
    return this.at(hex, list[lowerBound(list, seq + 1)]);
  }

  agreementsForSync(proposerKey: Uint8Array, proposalSeq: number): readonly HalfBlock[] {
    return this.agreements.get(key(proposerKey, proposalSeq)) ?? [];
  }

  async latest(publicKey: Uint8Array): Promise<HalfBlock | undefined> {
    return this.latestSync(publicKey);
  }

  async before(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.beforeSync(publicKey, seq);
  }

  async after(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.afterSync(publicKey, seq);
  }

  async range(publicKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    const { hex, list } = this.owner(publicKey);
    const out: HalfBlock[] = [];
    for (let i = lowerBound(list, from); i < list.length && list[i]! <= to; i++) out.push(this.at(hex, list[i])!);
    return out;
  }

  async agreementsFor(proposerKey: Uint8Array, proposalSeq: number): Promise<HalfBlock[]> {
    return [...(this.agreements.get(key(proposerKey, proposalSeq)) ?? [])];
  }

  async agreementsInRange(proposerKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    const out: HalfBlock[] = [];
    for (let s = from; s <= to; s++) out.push(...(this.agreements.get(key(proposerKey, s)) ?? []));
    return out;
  }

  get size(): number {
    return this.blocks.size;
  }

  all(): HalfBlock[] {
    return [...this.blocks.values()];
  }
}

/** First index whose value is >= x. */
export function lowerBound(list: number[], x: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
