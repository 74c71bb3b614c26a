/**
 * Takes blocks from the network (crawls, gossip, sign requests): verifies
 * their signatures in one batch, validates each against the batch overlaid on
 * the store, stores what is not invalid in one transaction, and turns every
 * fork it meets into a verified fraud proof.
 */
import { compareBytes } from '../codec/bytes.ts';
import type { HalfBlock } from './block.ts';
import { blockHash, encodeBlock, verifyItemFromEncoding } from './block-codec.ts';
import type { BlockStoreReader, PutResult } from './block-store.ts';
import { makeFraudProof, verifyFraudProof, type FraudProof } from './fraud.ts';
import { MemoryBlockStore } from './memory-store.ts';
import { OverlayStore } from './overlay-store.ts';
import type { TransactionRegistry } from './transactions/registry.ts';
import { loadNeighbourhood, validateBlock, type ValidationResult } from './validation.ts';
import type { SignatureVerifier } from './verifier.ts';

export interface IngestStore extends BlockStoreReader {
  putMany(blocks: readonly HalfBlock[], durability: 'strict' | 'relaxed'): Promise<PutResult[]>;
}

export interface Validated {
  block: HalfBlock;
  result: ValidationResult;
}

export interface IngestResult {
  /** Every distinct block offered, with its validation (bad signatures are invalid). */
  validated: Validated[];
  /** Blocks that were new to the store. */
  added: HalfBlock[];
  /** Verified fraud proofs met on the way. */
  fraud: FraudProof[];
}

export class Ingestor {
  constructor(
    private readonly store: IngestStore,
    private readonly registry: TransactionRegistry,
    private readonly verifier: SignatureVerifier,
  ) {}

  /** Verification and validation only (no writes). */
  async validateBatch(blocks: readonly HalfBlock[]): Promise<{ validated: Validated[]; fraud: FraudProof[] }> {
    const unique = dedupe(blocks);
    const verdicts = await this.verifier.verifyMany(unique.map((b) => verifyItemFromEncoding(encodeBlock(b))));
    const signed = new Set<HalfBlock>();
    unique.forEach((b, i) => verdicts[i] && signed.add(b));
    // Stored blocks were verified before they were stored; batch blocks by the verdicts above.
    const offered = new Set(unique);
    const checkSignature = (b: HalfBlock): boolean => !offered.has(b) || signed.has(b);

    const batch = new MemoryBlockStore();
    const fraud: FraudProof[] = [];
    const validated: Validated[] = [];
    const ordered = [...unique].sort((a, b) => compareBytes(a.publicKey, b.publicKey) || a.sequenceNumber - b.sequenceNumber);
    for (const b of ordered) {
      if (!signed.has(b)) {
        validated.push({ block: b, result: { outcome: 'invalid', errors: ['the signature does not verify'] } });
        continue;
      }
      if (batch.putSync(b) === 'conflict') {
        const first = batch.getSync(b.publicKey, b.sequenceNumber)!;
        const proof = makeFraudProof('double-sign', first, b);
        fraud.push(proof);
        validated.push({ block: b, result: { outcome: 'invalid', errors: ['a different block holds this position (double sign)'], fraud: proof } });
      }
    }
    const overlay = new OverlayStore(batch, this.store);
    for (const b of ordered) {
      if (!signed.has(b) || batch.getSync(b.publicKey, b.sequenceNumber) !== b) continue;
      const result = validateBlock(b, await loadNeighbourhood(overlay, b, this.registry), this.registry, checkSignature);
      if (result.fraud !== undefined) fraud.push(result.fraud);
      validated.push({ block: b, result });
    }
    return { validated, fraud: fraud.filter((p) => isVerified(p, checkSignature)) };
  }

  async ingest(blocks: readonly HalfBlock[]): Promise<IngestResult> {
    const { validated, fraud } = await this.validateBatch(blocks);
    const keep = validated.filter((v) => v.result.outcome !== 'invalid').map((v) => v.block);
    const results = keep.length === 0 ? [] : await this.store.putMany(keep, 'relaxed');
    const added: HalfBlock[] = [];
    for (let i = 0; i < keep.length; i++) {
      const b = keep[i]!;
      if (results[i] === 'added') added.push(b);
      if (results[i] !== 'conflict') continue;
      // The store holds a different, earlier-verified block here: a fork.
      const existing = await this.store.get(b.publicKey, b.sequenceNumber);
      if (existing !== undefined) {
        const proof = makeFraudProof('double-sign', existing, b);
        fraud.push(proof);
        const v = validated.find((x) => x.block === b);
        if (v !== undefined) v.result = { outcome: 'invalid', errors: ['a different block is already stored at this position (double sign)'], fraud: proof };
      }
    }
    return { validated, added, fraud: uniqueProofs(fraud) };
  }
}

function dedupe(blocks: readonly HalfBlock[]): HalfBlock[] {
  const seen = new Set<string>();
  return blocks.filter((b) => {
    let key = '';
    for (const x of blockHash(b)) key += String.fromCharCode(x);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isVerified(p: FraudProof, checkSignature: (b: HalfBlock) => boolean): boolean {
  try {
    verifyFraudProof(p, checkSignature);
    return true;
  } catch {
    return false;
  }
}

function uniqueProofs(proofs: FraudProof[]): FraudProof[] {
  const seen = new Set<string>();
  return proofs.filter((p) => {
    const key = `${p.kind}:${[...blockHash(p.first), ...blockHash(p.second)].join(',')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
