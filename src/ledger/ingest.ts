/**
 * Takes blocks from the network (crawls, gossip, sign requests): verifies
 * their signatures in one batch, validates each against the batch overlaid on
 * the store, stores what is not invalid in one transaction, and turns every
 * fork it meets into a verified fraud proof.
 */
import { binaryKey, compareBytes } from '../codec/bytes.ts';
import type { HalfBlock } from './block.ts';
import { blockHash, encodeBlock } from './block-codec.ts';
import type { BlockStoreReader, PutResult } from './block-store.ts';
import { makeFraudProof, verifyFraudProof, type FraudProof } from './fraud.ts';
import type { MemoryBlockStore } from './memory-store.ts';
import { loadWindow } from './window.ts';
import type { TransactionRegistry } from './transactions/registry.ts';
import { neighbourhoodIn, validateBlock, type ValidationResult } from './validation.ts';
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

  /**
   * Verification and validation only (no writes). Validation runs while the
   * workers verify, assuming every signature holds; if one does not (an
   * attack, never honest traffic) the batch is validated again with the real
   * verdicts, so the result never depends on the assumption.
   */
  async validateBatch(blocks: readonly HalfBlock[]): Promise<{ validated: Validated[]; fraud: FraudProof[] }> {
    const unique = dedupe(blocks);
    const verdicts = this.verifier.verifyEncodedBlocks(unique.map((b) => encodeBlock(b)));
    const optimistic = this.validateWith(unique, await loadWindow(this.store, unique), () => true);
    const real = await verdicts;
    if (real.every(Boolean)) return optimistic;
    const signed = new Set(unique.filter((_, i) => real[i]));
    const offered = new Set(unique);
    // Stored blocks were verified before they were stored; batch blocks by the verdicts.
    return this.validateWith(unique, await loadWindow(this.store, unique), (b) => !offered.has(b) || signed.has(b));
  }

  private validateWith(unique: readonly HalfBlock[], view: MemoryBlockStore, checkSignature: (b: HalfBlock) => boolean): { validated: Validated[]; fraud: FraudProof[] } {
    const fraud: FraudProof[] = [];
    const validated: Validated[] = [];
    const ordered = unique.filter(checkSignature).sort((a, b) => compareBytes(a.publicKey, b.publicKey) || a.sequenceNumber - b.sequenceNumber);
    for (const b of unique) if (!checkSignature(b)) validated.push({ block: b, result: { outcome: 'invalid', errors: ['the signature does not verify'] } });
    // The view holds the stored neighbourhood first, so a batch block at a taken position is a fork.
    const forks = new Set<HalfBlock>();
    for (const b of ordered) {
      if (view.putSync(b) !== 'conflict') continue;
      const proof = makeFraudProof('double-sign', view.getSync(b.publicKey, b.sequenceNumber)!, b);
      fraud.push(proof);
      forks.add(b);
      validated.push({ block: b, result: { outcome: 'invalid', errors: ['a different block holds this position (double sign)'], fraud: proof } });
    }
    for (const b of ordered) {
      if (forks.has(b)) continue;
      const result = validateBlock(b, neighbourhoodIn(view, b, this.registry), this.registry, checkSignature);
      if (result.fraud !== undefined) fraud.push(result.fraud);
      validated.push({ block: b, result });
    }
    return { validated, fraud: fraud.filter((p) => isVerified(p, checkSignature)) };
  }

  /** Validates and stores; `strict` when the blocks must survive a crash (a restored own chain). */
  async ingest(blocks: readonly HalfBlock[], durability: 'strict' | 'relaxed' = 'relaxed'): Promise<IngestResult> {
    const { validated, fraud } = await this.validateBatch(blocks);
    const keep = validated.filter((v) => v.result.outcome !== 'invalid').map((v) => v.block);
    const results = keep.length === 0 ? [] : await this.store.putMany(keep, durability);
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
    const key = binaryKey(blockHash(b));
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
