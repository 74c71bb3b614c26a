import { describe, expect, it } from 'vitest';
import { createLibp2p } from 'libp2p';
import { memory } from '@libp2p/memory';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { fromHex } from '../codec/bytes.ts';
import { noiseCrypto } from './noise-crypto.ts';

describe('noise crypto', () => {
  it('makes keys that agree on the shared secret of RFC 7748 section 6.1, and fresh pairs that agree', () => {
    const alice = noiseCrypto.generateX25519KeyPairFromSeed(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const bob = noiseCrypto.generateX25519KeyPairFromSeed(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    expect(Uint8Array.from(noiseCrypto.generateX25519SharedKey(alice.privateKey, bob.publicKey))).toEqual(fromHex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'));
    const a = noiseCrypto.generateX25519KeyPair();
    const b = noiseCrypto.generateX25519KeyPair();
    expect(noiseCrypto.generateX25519SharedKey(a.privateKey, b.publicKey)).toEqual(noiseCrypto.generateX25519SharedKey(b.privateKey, a.publicKey));
  });

  it('completes a Noise handshake with a peer on libp2p’s own crypto', async () => {
    const listener = await createLibp2p({ addresses: { listen: ['/memory/noise-crypto-test'] }, transports: [memory()], connectionEncrypters: [noise()], streamMuxers: [yamux()] });
    const dialer = await createLibp2p({ transports: [memory()], connectionEncrypters: [noise({ crypto: noiseCrypto })], streamMuxers: [yamux()] });
    try {
      const connection = await dialer.dial(listener.getMultiaddrs());
      expect(connection.remotePeer.equals(listener.peerId)).toBe(true);
      expect(connection.encryption).toBe('/noise');
    } finally {
      await dialer.stop();
      await listener.stop();
    }
  });
});
