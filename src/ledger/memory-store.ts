/** An in-memory block store: tests, and overlays of a crawled batch over the real store. */
import { toHex } from '../codec/bytes.ts';
import { blockKey, isAgreement, type HalfBlock } from './block.ts';
import { sameBlock } from './block-codec.ts';
import type { BlockStoreReader, BlockStoreWriter, PutResult } from './block-store.ts';

export class MemoryBlockStore implements BlockStoreReader, BlockStoreWriter {
  private readonly blocks = new Map<string, HalfBlock>();
  /** Sorted sequence numbers per owner, for before/after/range. */
  private readonly seqs = new Map<string, number[]>();
  private readonly agreements = new Map<string, HalfBlock[]>();

  putSync(block: HalfBlock): PutResult {
    const key = blockKey(block.publicKey, block.sequenceNumber);
    const existing = this.blocks.get(key);
    if (existing !== undefined) return sameBlock(existing, block) ? 'exists' : 'conflict';
    this.blocks.set(key, block);
    const owner = toHex(block.publicKey);
    const list = this.seqs.get(owner) ?? [];
    list.splice(lowerBound(list, block.sequenceNumber), 0, block.sequenceNumber);
    this.seqs.set(owner, list);
    if (isAgreement(block)) {
      const lk = blockKey(block.linkPublicKey, block.linkSequenceNumber);
      this.agreements.set(lk, [...(this.agreements.get(lk) ?? []), block]);
    }
    return 'added';
  }

  async put(block: HalfBlock): Promise<PutResult> {
    return this.putSync(block);
  }

  getSync(publicKey: Uint8Array, seq: number): HalfBlock | undefined {
    return this.blocks.get(blockKey(publicKey, seq));
  }

  private owner(publicKey: Uint8Array): { hex: string; list: number[] } {
    const hex = toHex(publicKey);
    return { hex, list: this.seqs.get(hex) ?? [] };
  }

  private at(hex: string, seq: number | undefined): HalfBlock | undefined {
    return seq === undefined ? undefined : this.blocks.get(`${hex}:${seq}`);
  }

  async get(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.getSync(publicKey, seq);
  }

  async latest(publicKey: Uint8Array): Promise<HalfBlock | undefined> {
    const { hex, list } = this.owner(publicKey);
    return this.at(hex, list.at(-1));
  }

  async before(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    const { hex, list } = this.owner(publicKey);
    return this.at(hex, list[lowerBound(list, seq) - 1]);
  }

  async after(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    const { hex, list } = this.owner(publicKey);
    return this.at(hex, list[lowerBound(list, seq + 1)]);
  }

  async range(publicKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    const { hex, list } = this.owner(publicKey);
    const out: HalfBlock[] = [];
    for (let i = lowerBound(list, from); i < list.length && list[i]! <= to; i++) out.push(this.at(hex, list[i])!);
    return out;
  }

  async agreementsFor(proposerKey: Uint8Array, proposalSeq: number): Promise<HalfBlock[]> {
    return [...(this.agreements.get(blockKey(proposerKey, proposalSeq)) ?? [])];
  }

  get size(): number {
    return this.blocks.size;
  }

  all(): HalfBlock[] {
    return [...this.blocks.values()];
  }
}

/** First index whose value is >= x. */
function lowerBound(list: number[], x: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
