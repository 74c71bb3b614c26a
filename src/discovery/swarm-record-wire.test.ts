import { describe, expect, it } from 'vitest';
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { utf8 } from '../codec/bytes.ts';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { signEd25519, verifyEd25519 } from '../crypto/signature.ts';
import { MAX_NAME_BYTES, MAX_RECORD_LIFETIME_MS } from './constants.ts';
import { decodeRecord, encodeRecord, MAX_RECORD_BYTES, recordSigningBytes, RECORD_DOMAIN, signRecord, type SwarmRecord } from './swarm-record-wire.ts';
import { records } from './test-support.ts';

const base: SwarmRecord = {
  announcer: new Uint8Array(32).fill(1),
  infoHash: new Uint8Array(20).fill(2),
  name: 'ubuntu-26.04.iso',
  size: 4_000_000_000,
  files: 1,
  seeders: 3,
  leechers: 2,
  demand: 7,
  issuedAt: 1_800_000_000_000,
  expiresAt: 1_800_000_000_000 + 1_000,
  signature: new Uint8Array(64),
};

/** The encoding of `base` with one field rewritten through the writer (bypassing the encoder's checks). */
function rawWith(patch: (w: BinaryWriter) => BinaryWriter): Uint8Array {
  return patch(new BinaryWriter()).finish();
}

describe('swarm record wire format', () => {
  it('round-trips, and decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeRecord, encode: encodeRecord, values: records, maxRandomBytes: 2 * MAX_RECORD_BYTES });
  });

  it('a record with the longest name is MAX_RECORD_BYTES long', () => {
    expect(encodeRecord({ ...base, name: 'x'.repeat(MAX_NAME_BYTES) })).toHaveLength(MAX_RECORD_BYTES);
    expect(() => encodeRecord({ ...base, name: 'x'.repeat(MAX_NAME_BYTES + 1) })).toThrow(RangeError);
  });

  it('refuses what the encoder would not write: empty names, no files, unbounded or backwards lifetimes, unsafe sizes, other versions', () => {
    for (const bad of [{ name: '' }, { files: 0 }, { expiresAt: base.issuedAt }, { expiresAt: base.issuedAt + MAX_RECORD_LIFETIME_MS + 1 }, { size: 2 ** 53 }]) {
      expect(() => encodeRecord({ ...base, ...bad })).toThrow(RangeError);
    }
    const good = encodeRecord(base);
    const reader = (b: Uint8Array) => () => decodeRecord(b);
    const versioned = good.slice();
    versioned[0] = 2;
    expect(reader(versioned)).toThrow(DecodeError);
    // Hand-built: a lifetime over the bound, a size over 2^53 − 1, invalid UTF-8.
    const fields = (over: { name?: Uint8Array; size?: bigint; expiresAt?: bigint }) =>
      rawWith((w) =>
        w
          .u8(1)
          .fixed(base.announcer, 32)
          .fixed(base.infoHash, 20)
          .bytes(over.name ?? utf8.encode(base.name), MAX_NAME_BYTES)
          .u64(over.size ?? BigInt(base.size))
          .u32(1)
          .u16(0)
          .u16(0)
          .u32(0)
          .u64(BigInt(base.issuedAt))
          .u64(over.expiresAt ?? BigInt(base.expiresAt))
          .fixed(base.signature, 64),
      );
    expect(decodeRecord(fields({}))).toMatchObject({ name: base.name });
    expect(reader(fields({ expiresAt: BigInt(base.issuedAt + MAX_RECORD_LIFETIME_MS + 1) }))).toThrow(/lives/);
    expect(reader(fields({ size: 2n ** 53n }))).toThrow(/size/);
    expect(reader(fields({ name: new Uint8Array([0xc3, 0x28]) }))).toThrow(/UTF-8/);
    expect(new BinaryReader(fields({})).remaining).toBe(good.length);
  });

  it('a signature covers every field under its own domain', async () => {
    const seed = new Uint8Array(32).fill(9);
    const signed = await signRecord({ ...base, announcer: publicKeyFromSeed(seed) }, (m) => signEd25519(seed, m));
    const ok = (r: SwarmRecord) => verifyEd25519(r.signature, recordSigningBytes(r), r.announcer);
    expect(ok(signed)).toBe(true);
    expect(ok(decodeRecord(encodeRecord(signed)))).toBe(true);
    for (const change of [{ name: 'other' }, { demand: 8 }, { seeders: 4 }, { expiresAt: base.expiresAt + 1 }, { size: 1 }]) expect(ok({ ...signed, ...change })).toBe(false);
    expect(utf8.decode(recordSigningBytes(signed).subarray(0, RECORD_DOMAIN.length))).toBe('trustmesh/swarm-record/1');
  });
});
