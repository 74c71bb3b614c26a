/**
 * Takes blocks from the network (crawls, gossip, sign requests): verifies
 * their signatures in one batch, validates each against the batch overlaid on
 * the store, stores what is not invalid in one transaction, and turns every
 * fork it meets into a verified fraud proof.
 *
 * Each stored block gets the tier we have reason for (see idb-store.ts):
 * pinned if it is ours or the other half of a pair we signed (our signature
 * on the linked half, in the batch or the store); general if we asked for it
 * or its chain is linked to us (its owner, or the half it pairs with, is a
 * partner's); stranger otherwise, and always for types we do not know.
 */
import { binaryKey, bytesEqual, compareBytes } from '../codec/bytes.ts';
import { isAgreement, type HalfBlock } from './block.ts';
import { blockHash, encodeBlock } from './block-codec.ts';
import type { BlockStoreReader, PutResult } from './block-store.ts';
import type { Placement, Tier } from './idb-store.ts';
import { isLinkedPair } from './intake-limits.ts';
import { makeFraudProof, verifyFraudProof, type FraudProof } from './fraud.ts';
import type { MemoryBlockStore } from './memory-store.ts';
import { loadWindow } from './window.ts';
import type { LedgerSeams } from './seams.ts';
import type { TransactionRegistry } from './transactions/registry.ts';
import { neighbourhoodIn, validateBlock, type ValidationResult } from './validation.ts';
import type { SignatureVerifier } from './verifier.ts';

export interface IngestStore extends BlockStoreReader {
  putMany(blocks: readonly HalfBlock[], durability: 'strict' | 'relaxed', placement?: Placement): Promise<PutResult[]>;
  /** Whether a chain has a verified link to us; a store without partners treats every other chain as a stranger's. */
  isPartner?(publicKey: Uint8Array): boolean;
}

export interface IngestOptions {
  /** `strict` when the blocks must survive a crash (a restored own chain). */
  durability?: 'strict' | 'relaxed';
  /** We asked for these blocks (a crawl of ours): known types are kept in the general tier. */
  requested?: boolean;
  /** Store all or nothing: a gossiped pair with an invalid half is not kept in part. */
  whole?: boolean;
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
    /** Our key: blocks pairing with our own are pinned. */
    private readonly me?: Uint8Array,
    private readonly seams?: LedgerSeams,
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
    const optimistic = this.validateWith(unique, await loadWindow(this.store, unique, (t) => this.registry.isTokenType(t)), () => true);
    const real = await verdicts;
    if (real.every(Boolean)) return optimistic;
    const signed = new Set(unique.filter((_, i) => real[i]));
    const offered = new Set(unique);
    // Stored blocks were verified before they were stored; batch blocks by the verdicts.
    return this.validateWith(unique, await loadWindow(this.store, unique, (t) => this.registry.isTokenType(t)), (b) => !offered.has(b) || signed.has(b));
  }

  private validateWith(unique: readonly HalfBlock[], view: MemoryBlockStore, checkSignature: (b: HalfBlock) => boolean): { validated: Validated[]; fraud: FraudProof[] } {
    const fraud: FraudProof[] = [];
    const validated: Validated[] = [];
    const ordered = unique.filter(checkSignature).sort((a, b) => compareBytes(a.publicKey, b.publicKey) || a.sequenceNumber - b.sequenceNumber);
    for (const b of unique) if (!checkSignature(b)) validated.push({ block: b, result: { outcome: 'invalid', errors: ['the signature does not verify'], selfEvident: true } });
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

  /** Validates and stores, each block in the tier we have reason for. */
  async ingest(blocks: readonly HalfBlock[], options: IngestOptions | 'strict' | 'relaxed' = {}): Promise<IngestResult> {
    const { durability = 'relaxed', requested = false, whole = false } = typeof options === 'string' ? { durability: options } : options;
    const { validated, fraud } = await this.validateBatch(blocks);
    const valid = validated.filter((v) => v.result.outcome !== 'invalid' && (this.seams?.keepOwnBlock === undefined || !this.isMe(v.block.publicKey) || this.seams.keepOwnBlock(v.block))).map((v) => v.block);
    const keep = whole && valid.length < validated.length ? [] : valid;
    const tiers = await this.tiers(keep, requested);
    const results = keep.length === 0 ? [] : await this.store.putMany(keep, durability, (b) => tiers.get(b) ?? 'stranger');
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

  private isMe(key: Uint8Array): boolean {
    return this.me !== undefined && bytesEqual(key, this.me);
  }

  private isPartner(key: Uint8Array): boolean {
    return this.store.isPartner?.(key) ?? false;
  }

  /**
   * The tier of each block. Only blocks that name us or a partner are looked
   * up (their other half, in the batch or the store), so a flood of fresh keys
   * costs no reads.
   */
  private async tiers(blocks: readonly HalfBlock[], requested: boolean): Promise<Map<HalfBlock, Tier>> {
    const inBatch = new Map(blocks.map((b) => [`${binaryKey(b.publicKey)}:${b.sequenceNumber}`, b]));
    const out = new Map<HalfBlock, Tier>();
    await Promise.all(
      blocks.map(async (b) => {
        if (this.isMe(b.publicKey)) return out.set(b, 'pinned');
        const linksToUs = this.isMe(b.linkPublicKey);
        const linksToPartner = !linksToUs && this.isPartner(b.linkPublicKey);
        const halves = linksToUs || linksToPartner ? await this.otherHalves(b, inBatch) : [];
        if (linksToUs && halves.some((h) => this.isMe(h.publicKey))) return out.set(b, 'pinned');
        if (!this.registry.isKnown(b.type)) return out.set(b, 'stranger');
        const linked = requested || this.isPartner(b.publicKey) || (linksToPartner && halves.some((h) => this.isPartner(h.publicKey)));
        return out.set(b, linked ? 'general' : 'stranger');
      }),
    );
    return out;
  }

  /** The blocks `b` forms a pair with: an agreement's proposal, or a proposal's agreements (batch first, then the store). */
  private async otherHalves(b: HalfBlock, inBatch: Map<string, HalfBlock>): Promise<HalfBlock[]> {
    if (isAgreement(b)) {
      const p = inBatch.get(`${binaryKey(b.linkPublicKey)}:${b.linkSequenceNumber}`) ?? (await this.store.get(b.linkPublicKey, b.linkSequenceNumber));
      return p !== undefined && isLinkedPair(p, b) ? [p] : [];
    }
    const batchAgreements = [...inBatch.values()].filter((a) => bytesEqual(a.publicKey, b.linkPublicKey) && isLinkedPair(b, a));
    if (batchAgreements.length > 0) return batchAgreements;
    return (await this.store.agreementsFor(b.publicKey, b.sequenceNumber)).filter((a) => isLinkedPair(b, a));
  }
}

/**
 * Distinct blocks, in order. Blocks are told apart by owner and position, and
 * by hash only where two share a position (a fork keeps both): a hash key for
 * every block cost validation more than the lookups it saved.
 */
function dedupe(blocks: readonly HalfBlock[]): HalfBlock[] {
  const byOwner = new Map<string, Map<number, HalfBlock | Set<string>>>();
  const out: HalfBlock[] = [];
  for (const b of blocks) {
    const owner = binaryKey(b.publicKey);
    let positions = byOwner.get(owner);
    if (positions === undefined) byOwner.set(owner, (positions = new Map()));
    const taken = positions.get(b.sequenceNumber);
    if (taken === undefined) {
      positions.set(b.sequenceNumber, b);
      out.push(b);
      continue;
    }
    // A second block at this position: from now on it is keyed by hash.
    const hashes = taken instanceof Set ? taken : new Set([binaryKey(blockHash(taken))]);
    positions.set(b.sequenceNumber, hashes);
    const hash = binaryKey(blockHash(b));
    if (hashes.has(hash)) continue;
    hashes.add(hash);
    out.push(b);
  }
  return out;
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
