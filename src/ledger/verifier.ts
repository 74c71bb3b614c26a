/** What the ledger needs from a signature verifier (a worker pool in tabs, noble inline in Node). */
export interface VerifyItem {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

export interface SignatureVerifier {
  verifyMany(items: readonly VerifyItem[]): Promise<boolean[]>;
}
