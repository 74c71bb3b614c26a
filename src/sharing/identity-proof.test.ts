import { describe, expect, it } from 'vitest';
import { signEd25519 } from '../crypto/signature.ts';
import { testPeer } from '../ledger/test-support.ts';
import { identityChallenge, verifyIdentityProof } from './identity-proof.ts';

const infoHash = 'aa'.repeat(20);
const prover = '11'.repeat(20);
const verifier = '22'.repeat(20);
const nonce = new Uint8Array(16).fill(5);
const alice = testPeer('alice', 1);

describe('identity proof on the BitTorrent wire', () => {
  const sig = signEd25519(alice.seed, identityChallenge(infoHash, prover, verifier, nonce));

  it('verifies for the key, torrent, connection and nonce it was made for', () => {
    expect(verifyIdentityProof(sig, alice.publicKey, infoHash, prover, verifier, nonce)).toBe(true);
  });

  it('fails for another key, torrent, swapped peers or another nonce (no replay, no reflection)', () => {
    expect(verifyIdentityProof(sig, testPeer('bob', 2).publicKey, infoHash, prover, verifier, nonce)).toBe(false);
    expect(verifyIdentityProof(sig, alice.publicKey, 'bb'.repeat(20), prover, verifier, nonce)).toBe(false);
    expect(verifyIdentityProof(sig, alice.publicKey, infoHash, verifier, prover, nonce)).toBe(false);
    expect(verifyIdentityProof(sig, alice.publicKey, infoHash, prover, verifier, new Uint8Array(16))).toBe(false);
    expect(verifyIdentityProof(new Uint8Array(64), alice.publicKey, infoHash, prover, verifier, nonce)).toBe(false);
  });
});
