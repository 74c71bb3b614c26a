import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { blockFieldErrors, blockId, isAgreement, isProposal, TYPE_NAME_PATTERN, type HalfBlock } from './block.ts';
import { adoptBlock, blockHash, decodeBlock, encodeBlock, InvalidBlockError, signBlock, signingPayload, verifyBlockSignature } from './block-codec.ts';
import { GENESIS_HASH, MAX_BLOCK_BYTES, MAX_TRANSACTION_BYTES, MAX_TYPE_LENGTH } from './constants.ts';
import { testPeer } from './test-support.ts';

const alice = testPeer('alice', 1);
const bob = testPeer('bob', 2);
const unsigned = {
  publicKey: alice.publicKey,
  sequenceNumber: 1,
  linkPublicKey: bob.publicKey,
  linkSequenceNumber: 0,
  previousHash: GENESIS_HASH,
  timestamp: 1_764_000_000_000,
  type: 'bandwidth',
  transaction: new Uint8Array([1, 2, 3]),
};
const fixed = signBlock(unsigned, alice.seed);

// Pinned so that any change of the format (or of signing) is deliberate.
const FIXED_ENCODING =
  '544d484201' + // "TMHB", version 1
  '8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c' + // public key
  '00000001' + // sequence number
  '8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394' + // link public key
  '00000000' + // link sequence number
  '0000000000000000000000000000000000000000000000000000000000000000' + // previous hash (genesis)
  '0000019ab697e800' + // timestamp
  '0962616e647769647468' + // "bandwidth"
  '0003010203' + // transaction
  '025a9d1f7b60042db0761010a81c2d81ee3aa8d35a82506ce4b0ff28bb52964c736b258b46e24e36304fcbb8c80ee9a22bcca8ca73fbbd47efce4195dc1c8004';
const FIXED_HASH = '39a99f38b615a06c0a10bed22ae6239305fe5855c25f01be9533012e3b6f0e74';

const blocks: fc.Arbitrary<HalfBlock> = fc.record({
  publicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  sequenceNumber: fc.integer({ min: 1, max: 0xffff_ffff }),
  linkPublicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  linkSequenceNumber: fc.integer({ min: 0, max: 0xffff_ffff }),
  previousHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  type: fc.stringMatching(/^[a-z0-9_-]{1,32}$/),
  transaction: fc.uint8Array({ maxLength: 200 }),
  signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
});

describe('half-block encoding', () => {
  it('matches the pinned vector and hash', () => {
    expect(toHex(encodeBlock(fixed))).toBe(FIXED_ENCODING);
    expect(toHex(blockHash(fixed))).toBe(FIXED_HASH);
    expect(decodeBlock(encodeBlock(fixed))).toEqual(fixed);
  });

  it('signs the encoding with a zeroed signature field', () => {
    const payload = signingPayload(fixed);
    expect(toHex(payload.subarray(0, payload.length - 64))).toBe(FIXED_ENCODING.slice(0, -128));
    expect(payload.subarray(-64)).toEqual(new Uint8Array(64));
    expect(verifyBlockSignature(fixed)).toBe(true);
    expect(verifyBlockSignature({ ...fixed, timestamp: fixed.timestamp + 1 })).toBe(false);
    expect(verifyBlockSignature({ ...fixed, transaction: new Uint8Array([1, 2, 4]) })).toBe(false);
  });

  it('refuses to encode out-of-range fields', () => {
    expect(() => encodeBlock({ ...fixed, sequenceNumber: 0 })).toThrow(InvalidBlockError);
    expect(() => encodeBlock({ ...fixed, type: 'Bandwidth' })).toThrow(InvalidBlockError);
    expect(() => encodeBlock({ ...fixed, transaction: new Uint8Array(MAX_TRANSACTION_BYTES + 1) })).toThrow(InvalidBlockError);
    expect(() => encodeBlock({ ...fixed, timestamp: -1 })).toThrow(InvalidBlockError);
    expect(verifyBlockSignature({ ...fixed, type: 'UPPER' })).toBe(false);
  });

  it('rejects foreign, future-version, trailing and malformed input', () => {
    const good = encodeBlock(fixed);
    const wrongMagic = good.slice();
    wrongMagic[0] = 0x00;
    expect(() => decodeBlock(wrongMagic)).toThrow(DecodeError);
    const v2 = good.slice();
    v2[4] = 2;
    expect(() => decodeBlock(v2)).toThrow(/version 2/);
    expect(() => decodeBlock(new Uint8Array([...good, 0]))).toThrow(DecodeError);
    const badType = good.slice();
    badType[4 + 1 + 32 + 4 + 32 + 4 + 32 + 8 + 1] = 0x41; // 'A'
    expect(() => decodeBlock(badType)).toThrow(DecodeError);
  });

  it('never exceeds MAX_BLOCK_BYTES', () => {
    const big = { ...fixed, type: 'x'.repeat(32), transaction: new Uint8Array(MAX_TRANSACTION_BYTES) };
    expect(encodeBlock(big).length).toBe(MAX_BLOCK_BYTES);
  });

  it('decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeBlock, encode: encodeBlock, values: blocks, maxRandomBytes: 600 });
  });

  it('adopt stored bytes under the same rules as decoding, without copying them', () => {
    checkDecoderProperties({ decode: adoptBlock, encode: (b) => encodeBlock(b).slice(), values: blocks, maxRandomBytes: 600 });
    const bytes = encodeBlock(fixed).slice();
    const adopted = adoptBlock(bytes);
    expect(encodeBlock(adopted)).toBe(bytes);
    expect(adopted.signature.buffer).toBe(bytes.buffer);
    expect(toHex(blockHash(adopted))).toBe(FIXED_HASH);
    expect(() => adoptBlock(Uint8Array.of(...bytes, 0))).toThrow(DecodeError);
  });

  it('give a decoded block one copy of its bytes, apart from the input', () => {
    const input = encodeBlock(fixed).slice();
    const b = decodeBlock(input);
    input.fill(0);
    expect(toHex(encodeBlock(b))).toBe(FIXED_ENCODING);
    expect(toHex(b.signature)).toBe(toHex(fixed.signature));
  });

  // A decoded block keeps the bytes it came as for its hash and signature check: sound only if no
  // other bytes decode to the same block. A block that decodes re-encodes, field by field, to its bytes.
  it('accept only the canonical encoding, so the bytes a block came as are its encoding', () => {
    const mutated = blocks.chain((b) => fc.tuple(fc.constant(encodeBlock(b)), fc.nat(), fc.integer({ min: 0, max: 255 }))).map(([e, at, v]) => {
      const m = e.slice();
      m[at % m.length] = v;
      return m;
    });
    fc.assert(
      fc.property(fc.oneof(blocks.map(encodeBlock), mutated), (bytes) => {
        let b: HalfBlock;
        try {
          b = decodeBlock(bytes);
        } catch {
          return;
        }
        expect(toHex(encodeBlock({ ...b }))).toBe(toHex(bytes));
        expect(toHex(encodeBlock(b))).toBe(toHex(bytes));
        expect(toHex(blockHash(b))).toBe(toHex(blockHash({ ...b })));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('half-block fields', () => {
  const enc = encodeBlock(fixed);
  /** Offsets inside the fixed encoding. */
  const SEQ_AT = 4 + 1 + 32;
  const TS_AT = SEQ_AT + 4 + 32 + 4 + 32;
  const TYPE_AT = TS_AT + 8;

  it('refuse, at decoding, seq 0, unsafe timestamps and empty or non-UTF-8 types', () => {
    const seq0 = enc.slice();
    seq0.set([0, 0, 0, 0], SEQ_AT);
    expect(() => decodeBlock(seq0)).toThrow(/sequence number 0/);
    const future = enc.slice();
    future.set([0x00, 0x20, 0, 0, 0, 0, 0, 0], TS_AT); // 2^53
    expect(() => decodeBlock(future)).toThrow(/timestamp/);
    const emptyType = new Uint8Array([...enc.subarray(0, TYPE_AT), 0, ...enc.subarray(TYPE_AT + 1 + 9)]);
    expect(() => decodeBlock(emptyType)).toThrow(DecodeError);
    const notUtf8 = enc.slice();
    notUtf8[TYPE_AT + 1] = 0xff;
    expect(() => decodeBlock(notUtf8)).toThrow(DecodeError);
  });

  it('refuse a transaction length over the limit before reading it', () => {
    const txAt = TYPE_AT + 1 + 9;
    const long = enc.slice(0, txAt + 2);
    long.set([(MAX_TRANSACTION_BYTES + 1) >> 8, (MAX_TRANSACTION_BYTES + 1) & 0xff], txAt);
    expect(() => decodeBlock(long)).toThrow(expect.objectContaining({ reason: 'too-long' }));
  });

  it('report every unencodable field, and never throw from verifyBlockSignature', () => {
    const bad = { ...fixed, publicKey: new Uint8Array(31), linkPublicKey: new Uint8Array(33), previousHash: new Uint8Array(0), sequenceNumber: 0, linkSequenceNumber: -1, timestamp: 1.5, type: '', transaction: new Uint8Array(MAX_TRANSACTION_BYTES + 1), signature: new Uint8Array(63) };
    expect(blockFieldErrors(bad, true)).toHaveLength(9);
    expect(blockFieldErrors(fixed, true)).toEqual([]);
    expect(() => encodeBlock(bad)).toThrow(InvalidBlockError);
    expect(verifyBlockSignature({ ...fixed, linkPublicKey: new Uint8Array(31) })).toBe(false);
    expect(verifyBlockSignature({ ...fixed, signature: new Uint8Array(63) })).toBe(false);
    expect(verifyBlockSignature({ ...fixed, sequenceNumber: 2 ** 32 })).toBe(false);
  });

  it('give forks of one position the same blockId, distinct hashes', () => {
    const other = signBlock({ ...unsigned, timestamp: 1 }, alice.seed);
    expect(blockId(other)).toBe(blockId(fixed));
    expect(blockId(fixed)).toBe(`${toHex(alice.publicKey)}:1`);
    expect(toHex(blockHash(other))).not.toBe(FIXED_HASH);
    expect(isProposal(fixed) && !isAgreement(fixed)).toBe(true);
  });

  it('are validated by one type-name rule', () => {
    expect(TYPE_NAME_PATTERN.test('bandwidth')).toBe(true);
    expect(TYPE_NAME_PATTERN.test('x'.repeat(MAX_TYPE_LENGTH))).toBe(true);
    expect(TYPE_NAME_PATTERN.test('x'.repeat(MAX_TYPE_LENGTH + 1))).toBe(false);
    expect(TYPE_NAME_PATTERN.test('Bandwidth')).toBe(false);
    expect(TYPE_NAME_PATTERN.test('band width')).toBe(false);
  });
});
