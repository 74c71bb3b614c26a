import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, concatBytes, utf8 } from '../codec/bytes.ts';
import { mutated } from '../codec/decoder-properties.ts';
import { btHandshake, btMessage, KEEP_ALIVE, splitAt } from './bt-test-support.ts';
import {
  BT_HANDSHAKE_BYTES,
  BtMessageReader,
  BtWireError,
  decodeExtendedHandshake,
  encodeExtended,
  encodeExtendedHandshake,
  extendedOf,
  handshakePeerId,
  withPeerId,
} from './bt-messages.ts';
import { MAX_BENCODE_DEPTH, MAX_BT_MESSAGE_BYTES, MAX_EXTENDED_HANDSHAKE_BYTES } from './constants.ts';

/** Whatever a reader makes of a byte stream: its messages, or that it refused it. */
function readAll(chunks: Uint8Array[]): Uint8Array[] | 'refused' {
  const reader = new BtMessageReader({ handshake: true });
  const out: Uint8Array[] = [];
  try {
    for (const c of chunks) out.push(...reader.push(c));
  } catch (err) {
    if (err instanceof BtWireError) return 'refused';
    throw err;
  }
  return out;
}

const anyMessage: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(KEEP_ALIVE),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 })).map(([id, p]) => btMessage(id, p)),
);
const wireStream = fc
  .tuple(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.array(anyMessage, { maxLength: 12 }))
  .map(([peerId, messages]) => ({ handshake: btHandshake(peerId), messages }));

/** Bencode values as the `bencode` package gives them back: integers, byte strings, lists, dicts with string keys. */
const bencodeValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -1e14, max: 1e14 }),
    fc.uint8Array({ maxLength: 24 }),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('dict'),
  ),
  dict: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 5 }),
})).value;
const handshakeDict = fc
  .dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== '__proto__'), bencodeValue, { maxKeys: 6 })
  .map((d) => ({ ...d, m: { ut_metadata: 1, ut_pex: 2 } }))
  .filter((d) => {
    try {
      return encodeExtendedHandshake(d).length <= MAX_EXTENDED_HANDSHAKE_BYTES && depth(d) <= MAX_BENCODE_DEPTH;
    } catch {
      return false;
    }
  });
function depth(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depth));
  if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) return 1 + Math.max(0, ...Object.values(v).map(depth));
  return 0;
}

function decodesOrRefuses(bytes: Uint8Array): void {
  try {
    decodeExtendedHandshake(bytes);
  } catch (err) {
    if (!(err instanceof BtWireError)) throw new Error(`decoder threw ${(err as Error).name}: ${(err as Error).message}`);
  }
}

describe('BitTorrent message reader', () => {
  it('gives the handshake, then whole messages with their length prefix, keep-alives included', () => {
    const peerId = new Uint8Array(20).fill(9);
    const hs = btHandshake(peerId);
    const have = btMessage(4, new Uint8Array([0, 0, 0, 3]));
    const reader = new BtMessageReader({ handshake: true });
    expect(reader.push(concatBytes(hs, KEEP_ALIVE, have.subarray(0, 6)))).toEqual([hs, KEEP_ALIVE]);
    expect(reader.push(have.subarray(6))).toEqual([have]);
    expect(handshakePeerId(hs)).toEqual(peerId);
    expect(BT_HANDSHAKE_BYTES).toBe(hs.length);
  });

  it('gives the same messages however the stream is split into chunks', () => {
    fc.assert(
      fc.property(wireStream, fc.array(fc.nat(), { maxLength: 20 }), ({ handshake, messages }, cuts) => {
        const whole = concatBytes(handshake, ...messages);
        expect(readAll(splitAt(whole, cuts))).toEqual([handshake, ...messages]);
      }),
      { numRuns: 300 },
    );
  });

  it('takes random and mutated bytes as messages or refuses them with BtWireError, the same way however split', () => {
    const streams = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => concatBytes(btHandshake(new Uint8Array(20)), b)),
      mutated(wireStream.map(({ handshake, messages }) => concatBytes(handshake, ...messages))),
    );
    fc.assert(
      fc.property(streams, fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const whole = readAll([bytes]);
        const split = readAll(splitAt(bytes, cuts));
        expect(split).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a wire that is not BitTorrent at its first wrong byte, without waiting for a whole handshake', () => {
    expect(() => new BtMessageReader({ handshake: true }).push(utf8.encode('\x13BitTorrent pr0'))).toThrow(BtWireError);
    expect(() => new BtMessageReader({ handshake: true }).push(utf8.encode('GET / HTTP/1.1'))).toThrow(BtWireError);
  });

  it(`refuses a message longer than MAX_BT_MESSAGE_BYTES (${MAX_BT_MESSAGE_BYTES}) as soon as its length is read, and every byte after`, () => {
    const reader = new BtMessageReader();
    const atLimit = btMessage(7, new Uint8Array(MAX_BT_MESSAGE_BYTES - 1));
    expect(reader.push(atLimit).map((m) => m.length)).toEqual([4 + MAX_BT_MESSAGE_BYTES]);
    const over = new Uint8Array(4);
    new DataView(over.buffer).setUint32(0, MAX_BT_MESSAGE_BYTES + 1);
    expect(() => reader.push(over)).toThrow(BtWireError);
    expect(() => reader.push(KEEP_ALIVE)).toThrow(BtWireError);
    // A length of 2^31 or more is not read as negative (and so as small).
    const huge = new BtMessageReader();
    expect(() => huge.push(new Uint8Array([0x80, 0, 0, 0]))).toThrow(BtWireError);
  });

  it('reads a largest message sent one byte at a time in linear time', () => {
    const reader = new BtMessageReader();
    const big = btMessage(5, new Uint8Array(MAX_BT_MESSAGE_BYTES - 1).fill(0xaa));
    const out: Uint8Array[] = [];
    for (let i = 0; i < big.length; i++) out.push(...reader.push(big.subarray(i, i + 1)));
    expect(out.length).toBe(1);
    expect(bytesEqual(out[0]!, big)).toBe(true);
  });

  it('swaps the peer id of a handshake, and frames extended messages (id 20)', () => {
    const hs = btHandshake(new Uint8Array(20).fill(1));
    const other = new Uint8Array(20).fill(2);
    const swapped = withPeerId(hs, other);
    expect(handshakePeerId(swapped)).toEqual(other);
    expect(swapped.subarray(0, 48)).toEqual(hs.subarray(0, 48));
    const ext = encodeExtended(3, new Uint8Array([1, 2]));
    expect(new BtMessageReader().push(ext)).toEqual([ext]);
    expect(extendedOf(ext)).toEqual({ extId: 3, payload: new Uint8Array([1, 2]) });
    expect(extendedOf(KEEP_ALIVE)).toBeUndefined();
    expect(extendedOf(btMessage(7, new Uint8Array(9)))).toBeUndefined();
    expect(() => extendedOf(btMessage(20))).toThrow(BtWireError);
  });
});

describe('extended handshake decoder', () => {
  it('round-trips, and decodes random and mutated bytes or refuses them with BtWireError', () => {
    fc.assert(
      fc.property(handshakeDict, (d) => {
        const bytes = encodeExtendedHandshake(d);
        expect(encodeExtendedHandshake(decodeExtendedHandshake(bytes))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodesOrRefuses), { numRuns: 500 });
    // Random bytes are rarely near-bencode: also random strings of bencode's own characters.
    const bencodeish = fc.array(fc.constantFrom(...'dlie:-0123456789ab'), { maxLength: 60 }).map((cs) => utf8.encode(cs.join('')));
    fc.assert(fc.property(bencodeish, decodesOrRefuses), { numRuns: 2000 });
    fc.assert(fc.property(mutated(handshakeDict.map(encodeExtendedHandshake)), decodesOrRefuses), { numRuns: 1000 });
  });

  it('refuses what the bencode package would loop on or misread: negative lengths, __proto__ keys, trailing bytes', () => {
    // The bare package loops forever on a negative string length (it steps back to where it started).
    expect(() => decodeExtendedHandshake(utf8.encode('d1:al-3:ee'))).toThrow(BtWireError);
    // It would set the dict's prototype, so that `m` reads through to an attacker's object.
    expect(() => decodeExtendedHandshake(utf8.encode('d9:__proto__d1:mdeee'))).toThrow(BtWireError);
    expect(() => decodeExtendedHandshake(utf8.encode('d1:mdeeXX'))).toThrow(BtWireError);
    expect(() => decodeExtendedHandshake(utf8.encode('d1:mdei1e'))).toThrow(BtWireError);
    expect(() => decodeExtendedHandshake(utf8.encode('d1:mi1.5ee'))).toThrow(BtWireError);
    expect(() => decodeExtendedHandshake(utf8.encode('di1ei2ee'))).toThrow(BtWireError);
    expect(() => decodeExtendedHandshake(utf8.encode('d1:m'))).toThrow(BtWireError);
    expect(() => decodeExtendedHandshake(utf8.encode('le'))).toThrow(BtWireError);
    expect(() => decodeExtendedHandshake(new Uint8Array(0))).toThrow(BtWireError);
    expect(decodeExtendedHandshake(utf8.encode('d1:md11:ut_metadatai3ee1:pi-5ee'))).toEqual({ m: { ut_metadata: 3 }, p: -5 });
  });

  it(`refuses integers past 15 digits, nesting past MAX_BENCODE_DEPTH (${MAX_BENCODE_DEPTH}) and handshakes past MAX_EXTENDED_HANDSHAKE_BYTES`, () => {
    expect(decodeExtendedHandshake(utf8.encode('d1:vi999999999999999ee'))).toEqual({ v: 999999999999999 });
    expect(() => decodeExtendedHandshake(utf8.encode('d1:vi9999999999999999ee'))).toThrow(BtWireError);
    const nested = (n: number) => utf8.encode('d1:x' + 'l'.repeat(n - 1) + 'e'.repeat(n - 1) + 'e');
    expect(() => decodeExtendedHandshake(nested(MAX_BENCODE_DEPTH))).not.toThrow();
    expect(() => decodeExtendedHandshake(nested(MAX_BENCODE_DEPTH + 1))).toThrow(BtWireError);
    expect(() => decodeExtendedHandshake(nested(100_000))).toThrow(BtWireError);
    const padded = (size: number) => {
      const head = 'd1:x';
      let n = size - head.length - 1;
      n -= String(n).length + 1;
      return utf8.encode(`${head}${n}:${'a'.repeat(n)}e`);
    };
    expect(padded(MAX_EXTENDED_HANDSHAKE_BYTES).length).toBe(MAX_EXTENDED_HANDSHAKE_BYTES);
    expect(() => decodeExtendedHandshake(padded(MAX_EXTENDED_HANDSHAKE_BYTES))).not.toThrow();
    expect(() => decodeExtendedHandshake(padded(MAX_EXTENDED_HANDSHAKE_BYTES + 1))).toThrow(BtWireError);
  });
});
