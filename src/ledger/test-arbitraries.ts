/**
 * fast-check arbitraries for ledger codecs (test support, used only by
 * *.test.ts). Blocks here are well-formed but not validly signed: codecs do
 * not care, validation does.
 */
import fc from 'fast-check';
import type { HalfBlock } from './block.ts';
import { KEY_BYTES, MAX_CRAWL_BLOCKS, MAX_SEQ, MAX_TYPE_LENGTH, SIGNATURE_BYTES } from './constants.ts';
import { makeFraudProof, type FraudKind, type FraudProof } from './fraud.ts';
import { MAX_CONTEXT_BLOCKS, type LedgerMessage } from './ledger-wire.ts';
import type { GossipPayload } from './ledger-gossip-wire.ts';

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

export function arbitraryBlock(maxTransactionBytes = 200): fc.Arbitrary<HalfBlock> {
  return fc.record({
    publicKey: bytes(KEY_BYTES),
    sequenceNumber: fc.integer({ min: 1, max: MAX_SEQ }),
    linkPublicKey: bytes(KEY_BYTES),
    linkSequenceNumber: fc.integer({ min: 0, max: MAX_SEQ }),
    previousHash: bytes(32),
    timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    type: fc.stringMatching(new RegExp(`^[a-z0-9_-]{1,${MAX_TYPE_LENGTH}}$`)),
    transaction: fc.uint8Array({ maxLength: maxTransactionBytes }),
    signature: bytes(SIGNATURE_BYTES),
  });
}

export function arbitraryFraudProof(): fc.Arbitrary<FraudProof> {
  const kind = fc.constantFrom<FraudKind>('double-sign', 'double-countersign', 'broken-chain');
  return fc.tuple(kind, arbitraryBlock(64), arbitraryBlock(64)).map(([k, a, b]) => makeFraudProof(k, a, b));
}

export function arbitraryLedgerMessage(): fc.Arbitrary<LedgerMessage> {
  const block = arbitraryBlock(64);
  const refusal = fc.constantFrom('fraudster', 'not-addressed', 'invalid', 'not-a-proposal', 'already-signed', 'policy', 'unknown-history' as const);
  return fc.oneof(
    fc.record({ type: fc.constant('sign-request' as const), proposal: block, context: fc.array(block, { maxLength: MAX_CONTEXT_BLOCKS }) }),
    fc.record({ type: fc.constant('sign-response' as const), agreement: block }),
    // Reasons within the limit (up to 4 bytes a code point), so they round-trip unchanged.
    fc.record({ type: fc.constant('sign-refused' as const), code: refusal, reason: fc.string({ maxLength: 60, unit: 'binary' }) }),
    fc.record({
      type: fc.constant('crawl-request' as const),
      publicKey: bytes(KEY_BYTES),
      start: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
      end: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
      limit: fc.integer({ min: 1, max: MAX_CRAWL_BLOCKS }),
    }),
    fc.record({ type: fc.constant('crawl-response' as const), latestSeq: fc.integer({ min: 0, max: MAX_SEQ }), blocks: fc.array(block, { maxLength: 8 }) }),
  );
}

export function arbitraryGossipPayload(): fc.Arbitrary<GossipPayload> {
  const block = arbitraryBlock(64);
  return fc.oneof(
    fc.record({ kind: fc.constant('pair' as const), proposal: block, agreement: block }),
    fc.record({ kind: fc.constant('fraud' as const), proof: arbitraryFraudProof() }),
  );
}
