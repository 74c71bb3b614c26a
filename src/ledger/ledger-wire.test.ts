import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { MAX_TRANSACTION_BYTES, MAX_TYPE_LENGTH } from './constants.ts';
import {
  decodeLedgerMessage,
  encodeLedgerMessage,
  LEDGER_PROTOCOL,
  MAX_CONTEXT_BLOCKS,
  MAX_CRAWL_RESPONSE_BLOCKS,
  MAX_LEDGER_FRAME_BYTES,
  MAX_REASON_BYTES,
  type LedgerMessage,
} from './ledger-wire.ts';
import { arbitraryLedgerMessage } from './test-arbitraries.ts';
import { testPeer, transfer } from './test-support.ts';

const alice = testPeer('alice', 1);
const bob = testPeer('bob', 2);
transfer(alice, bob, 5n);
transfer(alice, bob, 6n);
const [p1, p2] = [alice.chain[0]!, alice.chain[1]!];
const [a1] = [bob.chain[0]!];

const messages: LedgerMessage[] = [
  { type: 'sign-request', proposal: p2, context: [p1, a1] },
  { type: 'sign-response', agreement: a1 },
  { type: 'sign-refused', code: 'fraudster', reason: 'the proposer is a known fraudster' },
  { type: 'crawl-request', publicKey: alice.publicKey, start: -10, end: -1, limit: 10 },
  { type: 'crawl-response', latestSeq: 2, blocks: [p1, a1, p2] },
];

describe('ledger wire format', () => {
  it('round-trips every message', () => {
    for (const m of messages) expect(decodeLedgerMessage(encodeLedgerMessage(m))).toEqual(m);
  });

  it('refuses bad versions, types and limits, and the retired gossip type', () => {
    const crawl = encodeLedgerMessage(messages[3]!);
    expect(() => decodeLedgerMessage(new Uint8Array([2, ...crawl.subarray(1)]))).toThrow(/version 2/);
    expect(() => decodeLedgerMessage(new Uint8Array([1, 99]))).toThrow(DecodeError);
    const zeroLimit = crawl.slice();
    zeroLimit[zeroLimit.length - 1] = 0;
    expect(() => decodeLedgerMessage(zeroLimit)).toThrow(/limit/);
    expect(() => decodeLedgerMessage(new Uint8Array([1, 6]))).toThrow(expect.objectContaining({ reason: 'unknown-type' }));
  });

  it('keeps frames within MAX_LEDGER_FRAME_BYTES', () => {
    for (const m of messages) expect(encodeLedgerMessage(m).length).toBeLessThan(MAX_LEDGER_FRAME_BYTES);
  });

  it('decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeLedgerMessage, encode: encodeLedgerMessage, values: fc.constantFrom(...messages), runs: 400 });
  });
});

describe('ledger wire limits', () => {
  it('cuts long refusal reasons at a character boundary within MAX_REASON_BYTES', () => {
    for (const reason of ['x'.repeat(1000), 'é'.repeat(300), '😀'.repeat(100), 'ab' + '€'.repeat(200)]) {
      const m = decodeLedgerMessage(encodeLedgerMessage({ type: 'sign-refused', code: 'policy', reason })) as Extract<LedgerMessage, { type: 'sign-refused' }>;
      expect(new TextEncoder().encode(m.reason).length).toBeLessThanOrEqual(MAX_REASON_BYTES);
      expect(reason.startsWith(m.reason)).toBe(true);
      expect(m.reason.length).toBeGreaterThan(0);
    }
  });

  it('refuse to encode out-of-format values', () => {
    expect(() => encodeLedgerMessage({ type: 'crawl-response', latestSeq: -1, blocks: [] })).toThrow(RangeError);
    expect(() => encodeLedgerMessage({ type: 'crawl-request', publicKey: alice.publicKey, start: 1, end: 2, limit: 1.5 })).toThrow(RangeError);
    expect(() => encodeLedgerMessage({ type: 'sign-request', proposal: p1, context: new Array(MAX_CONTEXT_BLOCKS + 1).fill(p1) })).toThrow(RangeError);
    expect(() => encodeLedgerMessage({ type: 'sign-refused', code: 'nope' as never, reason: '' })).toThrow(RangeError);
  });

  it('refuse counts over their limit before reading any block', () => {
    const tooMany = new Uint8Array([1, 5, 0, 0, 0, 2, MAX_CRAWL_RESPONSE_BLOCKS + 1]);
    expect(() => decodeLedgerMessage(tooMany)).toThrow(expect.objectContaining({ reason: 'too-long' }));
    expect(() => decodeLedgerMessage(new Uint8Array([...encodeLedgerMessage(messages[1]!), 0]))).toThrow(expect.objectContaining({ reason: 'trailing-bytes' }));
  });

  it('fit the largest crawl response within MAX_LEDGER_FRAME_BYTES', () => {
    const biggest = { ...p1, type: 'x'.repeat(MAX_TYPE_LENGTH), transaction: new Uint8Array(MAX_TRANSACTION_BYTES) };
    const frame = encodeLedgerMessage({ type: 'crawl-response', latestSeq: 1, blocks: new Array(MAX_CRAWL_RESPONSE_BLOCKS).fill(biggest) });
    expect(frame.length).toBeLessThanOrEqual(MAX_LEDGER_FRAME_BYTES);
    expect(decodeLedgerMessage(frame).type).toBe('crawl-response');
    expect(LEDGER_PROTOCOL).toBe('/trustmesh/ledger/1.0.0');
  });

  it('decode arbitrary messages and their mutations, or refuse them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeLedgerMessage, encode: encodeLedgerMessage, values: arbitraryLedgerMessage(), runs: 300 });
  });
});
