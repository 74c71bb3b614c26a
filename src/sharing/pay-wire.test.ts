import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { testPeer, transfer } from '../ledger/test-support.ts';
import { decodePayMessage, encodePayMessage, payHandshakeFields, readPayHandshake, type PayMessage } from './pay-wire.ts';

const alice = testPeer('alice', 1);
const bob = testPeer('bob', 2);
const { proposal } = transfer(alice, bob, 10n);

const messages: PayMessage[] = [
  { type: 'proof', signature: new Uint8Array(64).fill(3) },
  { type: 'head', block: proposal },
  { type: 'ack', verifiedBytes: 123_456_789n },
  { type: 'ledger', requestId: 7, message: { type: 'sign-request', proposal, context: [] } },
  { type: 'refused', reason: 'balance', balance: -600n * 1024n * 1024n, threshold: -512n * 1024n * 1024n },
];

describe('pay extension wire format', () => {
  it('round-trips every message, negative balances included', () => {
    for (const m of messages) expect(decodePayMessage(encodePayMessage(m))).toEqual(m);
  });

  it('refuses unknown types and reasons', () => {
    expect(() => decodePayMessage(new Uint8Array([9]))).toThrow(DecodeError);
    expect(() => decodePayMessage(new Uint8Array([5, 9, ...new Uint8Array(16)]))).toThrow(DecodeError);
  });

  it('decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodePayMessage, encode: encodePayMessage, values: fc.constantFrom(...messages), runs: 300 });
  });

  it('reads our handshake fields and ignores peers without them', () => {
    const nonce = new Uint8Array(16).fill(1);
    expect(readPayHandshake(payHandshakeFields(alice.publicKey, nonce))).toEqual({ version: 1, publicKey: alice.publicKey, nonce });
    expect(readPayHandshake({ m: { ut_metadata: 1 } })).toBeUndefined();
    expect(readPayHandshake({ tm_v: 2, tm_key: alice.publicKey, tm_nonce: nonce })).toBeUndefined();
    expect(readPayHandshake({ tm_v: 1, tm_key: new Uint8Array(31), tm_nonce: nonce })).toBeUndefined();
    expect(readPayHandshake(undefined)).toBeUndefined();
  });
});
