/** An in-memory block store: tests, and overlays of a crawled batch over the real store. */
import { binaryKey } from '../codec/bytes.ts';
import { isAgreement, type HalfBlock } from './block.ts';
import { sameBlock } from './block-codec.ts';
import type { BlockStoreReader, BlockStoreWriter, PutResult } from './block-store.ts';

/** One owner's blocks: by sequence number, the numbers sorted (for before/after/range), and agreements to its proposals. */
interface Chain {
  bySeq: Map<number, HalfBlock>;
  seqs: number[];
  agreements: Map<number, HalfBlock[]>;
}

const NO_AGREEMENTS: readonly HalfBlock[] = [];

export class MemoryBlockStore implements BlockStoreReader, BlockStoreWriter {
  /** Keyed by owner, then sequence number: no string built per lookup (validation does a dozen per block). */
  private readonly chains = new Map<string, Chain>();

  private chain(publicKey: Uint8Array): Chain | undefined {
    return this.chains.get(binaryKey(publicKey));
  }

  private chainToWrite(publicKey: Uint8Array): Chain {
    const owner = binaryKey(publicKey);
    let c = this.chains.get(owner);
    if (c === undefined) this.chains.set(owner, (c = { bySeq: new Map(), seqs: [], agreements: new Map() }));
    return c;
  }

  putSync(block: HalfBlock): PutResult {
    const c = this.chainToWrite(block.publicKey);
    const existing = c.bySeq.get(block.sequenceNumber);
    if (existing !== undefined) return sameBlock(existing, block) ? 'exists' : 'conflict';
    c.bySeq.set(block.sequenceNumber, block);
    const list = c.seqs;
    // Chains mostly arrive in order: appending skips the search.
    if (list.length === 0 || list[list.length - 1]! < block.sequenceNumber) list.push(block.sequenceNumber);
    else list.splice(lowerBound(list, block.sequenceNumber), 0, block.sequenceNumber);
    if (isAgreement(block)) {
      const proposer = this.chainToWrite(block.linkPublicKey);
      const to = proposer.agreements.get(block.linkSequenceNumber);
      if (to === undefined) proposer.agreements.set(block.linkSequenceNumber, [block]);
      else to.push(block);
    }
    return 'added';
  }

  async put(block: HalfBlock): Promise<PutResult> {
    return this.putSync(block);
  }

  getSync(publicKey: Uint8Array, seq: number): HalfBlock | undefined {
    return this.chain(publicKey)?.bySeq.get(seq);
  }

  async get(publicKey: Uint8Array, seq: number): Promise<HalfBlock | undefined> {
    return this.getSync(publicKey, seq);
  }

  latestSync(publicKey: Uint8Array): HalfBlock | undefined {
    const c = this.chain(publicKey);
    return c === undefined || c.seqs.length === 0 ? undefined : c.bySeq.get(c.seqs[c.seqs.length - 1]!);
  }

  beforeSync(publicKey: Uint8Array, seq: number): HalfBlock | undefined {
    const c = this.chain(publicKey);
    const at = c === undefined ? undefined : c.seqs[lowerBound(c.seqs, seq) - 1];
    return at === undefined ? undefined : c!.bySeq.get(at);
  }

  afterSync(publicKey: Uint8Array, seq: number): HalfBlock | undefined {
    const c = this.chain(publicKey);
    const at = c === undefined ? undefined : c.seqs[lowerBound(c.seqs, seq + 1)];
    return at === undefined ? undefined : c!.bySeq.get(at);
  }

  agreementsForSync(proposerKey: Uint8Array, proposalSeq: number): readonly HalfBlock[] {
    return this.chain(proposerKey)?.agreements.get(proposalSeq) ?? NO_AGREEMENTS;
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
    const c = this.chain(publicKey);
    const out: HalfBlock[] = [];
    if (c === undefined) return out;
    for (let i = lowerBound(c.seqs, from); i < c.seqs.length && c.seqs[i]! <= to; i++) out.push(c.bySeq.get(c.seqs[i]!)!);
    return out;
  }

  async agreementsFor(proposerKey: Uint8Array, proposalSeq: number): Promise<HalfBlock[]> {
    return [...this.agreementsForSync(proposerKey, proposalSeq)];
  }

  async agreementsInRange(proposerKey: Uint8Array, from: number, to: number): Promise<HalfBlock[]> {
    const c = this.chain(proposerKey);
    const out: HalfBlock[] = [];
    if (c !== undefined) for (let s = from; s <= to; s++) out.push(...(c.agreements.get(s) ?? NO_AGREEMENTS));
    return out;
  }

  get size(): number {
    let n = 0;
    for (const c of this.chains.values()) n += c.bySeq.size;
    return n;
  }

  all(): HalfBlock[] {
    return [...this.chains.values()].flatMap((c) => [...c.bySeq.values()]);
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
