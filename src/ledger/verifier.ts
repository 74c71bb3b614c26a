/**
 * What the ledger needs from a signature verifier: verdicts for encoded
 * half-blocks under the Trustmesh rule (a worker pool in tabs, inline in Node).
 */
import { verifyItemFromEncoding } from './block-codec.ts';

export interface VerifyItem {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

export interface SignatureVerifier {
  verifyEncodedBlocks(encodings: readonly Uint8Array[]): Promise<boolean[]>;
}

/** Any engine that verifies items (noble, WebCrypto) as a block verifier, on this thread. */
export function inlineVerifier(engine: { verifyMany(items: readonly VerifyItem[]): Promise<boolean[]> }): SignatureVerifier {
  return { verifyEncodedBlocks: (encodings) => engine.verifyMany(encodings.map(verifyItemFromEncoding)) };
}
