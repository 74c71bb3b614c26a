/**
 * Noise's crypto for tabs: libp2p's own, except that X25519 keys (the static
 * one, and the ephemeral one of every handshake) are made by the ladder
 * (crypto/x25519.ts), not from @noble/curves' base-point table, whose
 * building fell in the middle of the first handshake with the relay.
 */
import type { ICryptoInterface } from '@libp2p/noise';
import { defaultCrypto } from '@libp2p/noise/crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { x25519PublicKey } from '../crypto/x25519.ts';

export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  generateX25519KeyPair() {
    const privateKey = x25519.utils.randomSecretKey();
    return { privateKey, publicKey: x25519PublicKey(privateKey) };
  },
  generateX25519KeyPairFromSeed(seed: Uint8Array) {
    return { privateKey: seed, publicKey: x25519PublicKey(seed) };
  },
};
