/**
 * Wire format of a signed swarm record (pure): a peer that shares a torrent
 * publicly says so, with what it sees of the swarm. Records travel from peer
 * to peer (discovery-wire.ts); no server collects them. Decoders take
 * untrusted bytes; signatures are checked by the catalogue, not here.
 *
 *   record  version u8 (1) | announcer (32, Ed25519 key) | infohash (20) |
 *           name (u8 length ≤ MAX_NAME_BYTES, UTF-8, not empty) | size u64 (bytes, ≤ 2^53−1) |
 *           files u32 (≥ 1) | seeders u16 | leechers u16 | demand u32 |
 *           issuedAt u64 (ms) | expiresAt u64 (ms, issuedAt < expiresAt ≤ issuedAt + MAX_RECORD_LIFETIME_MS) |
 *           signature (64) over RECORD_DOMAIN ‖ the bytes before it
 *
 * The counts are the announcer's own observation (seeders and leechers on its
 * wires, itself included; demand: distinct downloaders it saw in the last
 * DEMAND_WINDOW_MS). They are claims: the catalogue caps and combines them.
 * The encoding is canonical (every value has one encoding), so a record's
 * bytes identify it.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { concatBytes, utf8 } from '../codec/bytes.ts';
import { MAX_NAME_BYTES, MAX_RECORD_LIFETIME_MS } from './constants.ts';

export const RECORD_VERSION = 1;
/** Domain separation: a record signature can never pass for a block, handshake or relay announcement signature. */
export const RECORD_DOMAIN = utf8.encode('trustmesh/swarm-record/1');
/** Everything but the name and the signature. */
const FIXED_SIGNED_BYTES = 1 + 32 + 20 + 1 + 8 + 4 + 2 + 2 + 4 + 8 + 8;
export const MAX_RECORD_BYTES = FIXED_SIGNED_BYTES + MAX_NAME_BYTES + 64;

export interface SwarmRecordBody {
  announcer: Uint8Array;
  infoHash: Uint8Array;
  name: string;
  /** Total bytes of the torrent's files. */
  size: number;
  files: number;
  seeders: number;
  leechers: number;
  /** Distinct downloaders the announcer saw in the last DEMAND_WINDOW_MS. */
  demand: number;
  issuedAt: number;
  expiresAt: number;
}

export interface SwarmRecord extends SwarmRecordBody {
  signature: Uint8Array;
}

/** Why a record body cannot be encoded (the same rules the decoder enforces), or undefined. */
function bodyProblem(r: SwarmRecordBody): string | undefined {
  const nameBytes = utf8.encode(r.name).length;
  if (nameBytes === 0 || nameBytes > MAX_NAME_BYTES) return `a name is 1 to ${MAX_NAME_BYTES} bytes`;
  if (!Number.isSafeInteger(r.size) || r.size < 0) return 'size out of range';
  if (r.files < 1) return 'a torrent has at least one file';
  if (!Number.isSafeInteger(r.issuedAt) || !Number.isSafeInteger(r.expiresAt) || r.issuedAt < 0) return 'times out of range';
  if (r.expiresAt <= r.issuedAt || r.expiresAt - r.issuedAt > MAX_RECORD_LIFETIME_MS) return `a record lives more than 0 and at most ${MAX_RECORD_LIFETIME_MS} ms`;
  return undefined;
}

function writeBody(w: BinaryWriter, r: SwarmRecordBody): BinaryWriter {
  const problem = bodyProblem(r);
  if (problem !== undefined) throw new RangeError(problem);
  return w
    .u8(RECORD_VERSION)
    .fixed(r.announcer, 32)
    .fixed(r.infoHash, 20)
    .string(r.name, MAX_NAME_BYTES)
    .u64(BigInt(r.size))
    .u32(r.files)
    .u16(r.seeders)
    .u16(r.leechers)
    .u32(r.demand)
    .u64(BigInt(r.issuedAt))
    .u64(BigInt(r.expiresAt));
}

/** The bytes a record's signature covers. */
export function recordSigningBytes(r: SwarmRecordBody): Uint8Array {
  return concatBytes(RECORD_DOMAIN, writeBody(new BinaryWriter(FIXED_SIGNED_BYTES + MAX_NAME_BYTES), r).finish());
}

export function writeRecord(w: BinaryWriter, r: SwarmRecord): BinaryWriter {
  return writeBody(w, r).fixed(r.signature, 64);
}

/** A u64 that must fit a JavaScript number exactly (sizes, times). */
function safeU64(r: BinaryReader, what: string): number {
  const v = r.u64(what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('invalid-value', `${what} is out of range`);
  return Number(v);
}

export function readRecord(r: BinaryReader): SwarmRecord {
  const version = r.u8('record version');
  if (version !== RECORD_VERSION) throw new DecodeError('unknown-version', `swarm record version ${version} is not supported`);
  const announcer = r.fixed(32, 'announcer key');
  const infoHash = r.fixed(20, 'infohash');
  const name = r.string(MAX_NAME_BYTES, 'name');
  const body: SwarmRecordBody = {
    announcer,
    infoHash,
    name,
    size: safeU64(r, 'size'),
    files: r.u32('file count'),
    seeders: r.u16('seeders'),
    leechers: r.u16('leechers'),
    demand: r.u32('demand'),
    issuedAt: safeU64(r, 'issued at'),
    expiresAt: safeU64(r, 'expires at'),
  };
  const problem = bodyProblem(body);
  if (problem !== undefined) throw new DecodeError('invalid-value', problem);
  return { ...body, signature: r.fixed(64, 'signature') };
}

export function encodeRecord(record: SwarmRecord): Uint8Array {
  return writeRecord(new BinaryWriter(MAX_RECORD_BYTES), record).finish();
}

export function decodeRecord(bytes: Uint8Array): SwarmRecord {
  const r = new BinaryReader(bytes);
  const record = readRecord(r);
  r.end('swarm record');
  return record;
}

/** Signs a record of our own. */
export async function signRecord(body: SwarmRecordBody, sign: (message: Uint8Array) => Promise<Uint8Array> | Uint8Array): Promise<SwarmRecord> {
  return { ...body, signature: await sign(recordSigningBytes(body)) };
}
