/**
 * A salted Bloom filter of order ids (pure), for book sync. The k bit
 * indices of an id are big-endian u32 words mod m, read in order from
 * SHA-256(salt u32 || j u8 || UTF-8 id) for j = 0, 1 (8 words per digest, so
 * two digests for k up to 16): independent indices, which double hashing
 * does not give in the small filters of small books.
 * The salt changes every sync round, so an id a filter falsely claims in one
 * round is very likely caught in the next. Sizes are bounded (constants.ts):
 * a filter for more ids than MAX_BLOOM_BYTES holds at the target rate is
 * capped there and simply has more false positives.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { BinaryWriter } from '../codec/binary.ts';
import { utf8 } from '../codec/bytes.ts';
import { BLOOM_FALSE_POSITIVE_RATE, MAX_BLOOM_BYTES, MAX_BLOOM_HASHES } from './constants.ts';

export class BloomFilter {
  constructor(
    /** m = bits.length * 8 bits; at least one byte. */
    readonly bits: Uint8Array,
    /** k: bit positions per id, 1..MAX_BLOOM_HASHES. */
    readonly hashes: number,
    readonly salt: number,
  ) {
    if (bits.length < 1 || bits.length > MAX_BLOOM_BYTES) throw new RangeError(`a filter is 1..${MAX_BLOOM_BYTES} bytes, not ${bits.length}`);
    if (!Number.isInteger(hashes) || hashes < 1 || hashes > MAX_BLOOM_HASHES) throw new RangeError(`a filter uses 1..${MAX_BLOOM_HASHES} hashes, not ${hashes}`);
    if (!Number.isInteger(salt) || salt < 0 || salt > 0xffff_ffff) throw new RangeError('the salt is a u32');
  }

  /** An empty filter sized for `count` ids at `rate` false positives: m = -n ln p / (ln 2)^2, k = m/n ln 2. */
  static forCount(count: number, salt: number, rate = BLOOM_FALSE_POSITIVE_RATE): BloomFilter {
    const n = Math.max(1, count);
    const bitsWanted = Math.ceil((-n * Math.log(rate)) / Math.LN2 ** 2);
    const bytes = Math.min(MAX_BLOOM_BYTES, Math.max(1, Math.ceil(bitsWanted / 8)));
    const k = Math.min(MAX_BLOOM_HASHES, Math.max(1, Math.round(((bytes * 8) / n) * Math.LN2)));
    return new BloomFilter(new Uint8Array(bytes), k, salt);
  }

  static of(ids: Iterable<string>, count: number, salt: number): BloomFilter {
    const f = BloomFilter.forCount(count, salt);
    for (const id of ids) f.add(id);
    return f;
  }

  add(id: string): void {
    for (const i of this.indices(id)) this.bits[i >>> 3]! |= 1 << (i & 7);
  }

  /** False: certainly not added. True: added, or a false positive. */
  has(id: string): boolean {
    for (const i of this.indices(id)) if ((this.bits[i >>> 3]! & (1 << (i & 7))) === 0) return false;
    return true;
  }

  private indices(id: string): number[] {
    const m = this.bits.length * 8;
    const idBytes = utf8.encode(id);
    const out: number[] = [];
    for (let block = 0; out.length < this.hashes; block++) {
      const h = sha256(new Uint8Array([...new BinaryWriter(5).u32(this.salt).u8(block).finish(), ...idBytes]));
      const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
      // m <= 2^17, so the bias of a u32 mod m is below 2^-15.
      for (let i = 0; i < 8 && out.length < this.hashes; i++) out.push(view.getUint32(4 * i) % m);
    }
    return out;
  }
}
