import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import fc from 'fast-check';
import { signBlock } from './block-codec.ts';
import { MAX_TRANSACTION_BYTES, MAX_TYPE_LENGTH } from './constants.ts';
import { makeFraudProof } from './fraud.ts';
import { decodeGossipPayload, encodeGossipPayload, LEDGER_GOSSIP_TOPIC, MAX_LEDGER_GOSSIP_BYTES, type GossipPayload } from './ledger-gossip-wire.ts';
import { arbitraryGossipPayload } from './test-arbitraries.ts';
import { testPeer, transfer } from './test-support.ts';
import { GOSSIPSUB_SETTINGS } from '../net/gossipsub-config.ts';

const alice = testPeer('alice', 1);
const bob = testPeer('bob', 2);
const { proposal, agreement } = transfer(alice, bob, 5n);
const { signature: _, ...rest } = { ...proposal, timestamp: 3 };
const fork = signBlock(rest, alice.seed);

const payloads: GossipPayload[] = [
  { kind: 'pair', proposal, agreement },
  { kind: 'fraud', proof: makeFraudProof('double-sign', proposal, fork) },
];

describe('ledger gossip wire format', () => {
  it('round-trips pairs and fraud proofs, on a versioned topic', () => {
    for (const p of payloads) expect(decodeGossipPayload(encodeGossipPayload(p))).toEqual(p);
    expect(LEDGER_GOSSIP_TOPIC).toBe('/trustmesh/ledger-gossip/1.0.0');
  });

  it('is canonical: one payload, one encoding (GossipSub knows a message by the hash of its bytes)', () => {
    for (const p of payloads) expect(encodeGossipPayload(decodeGossipPayload(encodeGossipPayload(p)))).toEqual(encodeGossipPayload(p));
  });

  it('refuses other versions, unknown kinds, trailing bytes and oversized messages', () => {
    const pair = encodeGossipPayload(payloads[0]!);
    expect(() => decodeGossipPayload(new Uint8Array([2, ...pair.subarray(1)]))).toThrow(expect.objectContaining({ reason: 'unknown-version' }));
    expect(() => decodeGossipPayload(new Uint8Array([1, 3]))).toThrow(expect.objectContaining({ reason: 'unknown-type' }));
    expect(() => decodeGossipPayload(new Uint8Array([...pair, 0]))).toThrow(expect.objectContaining({ reason: 'trailing-bytes' }));
    expect(() => decodeGossipPayload(new Uint8Array(MAX_LEDGER_GOSSIP_BYTES + 1))).toThrow(expect.objectContaining({ reason: 'too-long' }));
  });

  it('fits a pair of the largest blocks within its bound, and the bound within what GossipSub carries', () => {
    const biggest = { ...proposal, type: 'x'.repeat(MAX_TYPE_LENGTH), transaction: new Uint8Array(MAX_TRANSACTION_BYTES) };
    const bytes = encodeGossipPayload({ kind: 'pair', proposal: biggest, agreement: biggest });
    expect(bytes.length).toBeLessThanOrEqual(MAX_LEDGER_GOSSIP_BYTES);
    expect(MAX_LEDGER_GOSSIP_BYTES).toBeLessThan(GOSSIPSUB_SETTINGS.maxRpcBytes);
  });

  it('decodes arbitrary messages and their mutations, or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeGossipPayload, encode: encodeGossipPayload, values: arbitraryGossipPayload(), runs: 300 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      try {
        decodeGossipPayload(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError);
      }
    }));
  });
});
