import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { makeFraudProof } from './fraud.ts';
import { signBlock } from './block-codec.ts';
import { decodeLedgerMessage, encodeLedgerMessage, MAX_LEDGER_FRAME_BYTES, type LedgerMessage } from './ledger-wire.ts';
import { testPeer, transfer } from './test-support.ts';

const alice = testPeer('alice', 1);
const bob = testPeer('bob', 2);
transfer(alice, bob, 5n);
transfer(alice, bob, 6n);
const [p1, p2] = [alice.chain[0]!, alice.chain[1]!];
const [a1] = [bob.chain[0]!];
const { signature: _, ...rest } = { ...p2, timestamp: 3 };
const fork = signBlock(rest, alice.seed);

const messages: LedgerMessage[] = [
  { type: 'sign-request', proposal: p2, context: [p1, a1] },
  { type: 'sign-response', agreement: a1 },
  { type: 'sign-refused', code: 'fraudster', reason: 'the proposer is a known fraudster' },
  { type: 'crawl-request', publicKey: alice.publicKey, start: -10, end: -1, limit: 10 },
  { type: 'crawl-response', latestSeq: 2, blocks: [p1, a1, p2] },
  { type: 'gossip', id: new Uint8Array(16).fill(7), ttl: 3, payload: { kind: 'pair', proposal: p1, agreement: a1 } },
  { type: 'gossip', id: new Uint8Array(16).fill(8), ttl: 1, payload: { kind: 'fraud', proof: makeFraudProof('double-sign', p2, fork) } },
];

describe('ledger wire format', () => {
  it('round-trips every message', () => {
    for (const m of messages) expect(decodeLedgerMessage(encodeLedgerMessage(m))).toEqual(m);
  });

  it('refuses bad versions, types, limits and ttl', () => {
    const crawl = encodeLedgerMessage(messages[3]!);
    expect(() => decodeLedgerMessage(new Uint8Array([2, ...crawl.subarray(1)]))).toThrow(/version 2/);
    expect(() => decodeLedgerMessage(new Uint8Array([1, 99]))).toThrow(DecodeError);
    const zeroLimit = crawl.slice();
    zeroLimit[zeroLimit.length - 1] = 0;
    expect(() => decodeLedgerMessage(zeroLimit)).toThrow(/limit/);
    expect(() => encodeLedgerMessage({ ...(messages[5] as Extract<LedgerMessage, { type: 'gossip' }>), ttl: 9 })).toThrow(RangeError);
  });

  it('keeps frames within MAX_LEDGER_FRAME_BYTES', () => {
    for (const m of messages) expect(encodeLedgerMessage(m).length).toBeLessThan(MAX_LEDGER_FRAME_BYTES);
  });

  it('decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeLedgerMessage, encode: encodeLedgerMessage, values: fc.constantFrom(...messages), runs: 400 });
  });
});
