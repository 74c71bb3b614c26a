/** Test support for discovery (used only by *.test.ts): arbitrary records, signed records from seeded keys. */
import fc from 'fast-check';
import { utf8 } from '../codec/bytes.ts';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { signEd25519 } from '../crypto/signature.ts';
import { MAX_NAME_BYTES, MAX_RECORD_LIFETIME_MS } from './constants.ts';
import { signRecord, type SwarmRecord, type SwarmRecordBody } from './swarm-record-wire.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
/** Names of 1..MAX_NAME_BYTES UTF-8 bytes, any script. */
const names = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => {
  const n = utf8.encode(s).length;
  return n >= 1 && n <= MAX_NAME_BYTES;
});
export const records: fc.Arbitrary<SwarmRecord> = fc
  .record({
    announcer: bytes(32),
    infoHash: bytes(20),
    name: names,
    size: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    files: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
    seeders: fc.integer({ min: 0, max: 0xffff }),
    leechers: fc.integer({ min: 0, max: 0xffff }),
    demand: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    issuedAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - MAX_RECORD_LIFETIME_MS }),
    lifetime: fc.integer({ min: 1, max: MAX_RECORD_LIFETIME_MS }),
    signature: bytes(64),
  })
  .map(({ lifetime, ...r }) => ({ ...r, expiresAt: r.issuedAt + lifetime }));


/** The seed of test announcer n (1..255). */
export const seedOf = (n: number): Uint8Array => new Uint8Array(32).fill(n);
export const keyOf = (n: number): Uint8Array => publicKeyFromSeed(seedOf(n));
/** Infohash number n. */
export const hashOf = (n: number): Uint8Array => {
  const h = new Uint8Array(20);
  new DataView(h.buffer).setUint32(16, n);
  return h;
};

/** A record by announcer `who` about swarm `swarm`, signed, with fields overridden. */
export function signedBy(who: number, swarm: number, at: number, over: Partial<SwarmRecordBody> = {}): Promise<SwarmRecord> {
  return signRecord(
    { announcer: keyOf(who), infoHash: hashOf(swarm), name: `swarm ${swarm}`, size: 1_000 * swarm, files: 1, seeders: 1, leechers: 0, demand: 0, issuedAt: at, expiresAt: at + 30 * 60_000, ...over },
    (m) => signEd25519(seedOf(who), m),
  );
}
