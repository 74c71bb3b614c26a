/**
 * The one canonical encoding of a half-block (version 1), big-endian:
 *
 *   magic               4   "TMHB"
 *   version             u8  1
 *   publicKey           32
 *   sequenceNumber      u32 >= 1
 *   linkPublicKey       32
 *   linkSequenceNumber  u32
 *   previousHash        32
 *   timestamp           u64 milliseconds (a safe integer)
 *   type                u8 length + ASCII [a-z0-9_-], 1..32
 *   transaction         u16 length + bytes, <= 4096
 *   signature           64
 *
 * hash = SHA-256(encoding). The signature covers the encoding with the
 * signature field set to 64 zero bytes.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { bytesEqual } from '../codec/bytes.ts';
import { signEd25519, verifyEd25519 } from '../crypto/signature.ts';
import { blockFieldErrors, TYPE_NAME_PATTERN, type HalfBlock, type UnsignedBlock } from './block.ts';
import { BLOCK_MAGIC, BLOCK_VERSION, HASH_BYTES, KEY_BYTES, MAX_TRANSACTION_BYTES, MAX_TYPE_LENGTH, SIGNATURE_BYTES } from './constants.ts';

const EMPTY_SIGNATURE = new Uint8Array(SIGNATURE_BYTES);

/** A block built in code whose fields cannot be encoded (out of range, wrong lengths). */
export class InvalidBlockError extends Error {
  override name = 'InvalidBlockError';
}

function write(b: UnsignedBlock, signature: Uint8Array): Uint8Array {
  const errors = blockFieldErrors({ ...b, signature }, true);
  if (errors.length > 0) throw new InvalidBlockError(errors.join('; '));
  return new BinaryWriter(256 + b.transaction.length)
    .fixed(BLOCK_MAGIC, BLOCK_MAGIC.length)
    .u8(BLOCK_VERSION)
    .fixed(b.publicKey, KEY_BYTES)
    .u32(b.sequenceNumber)
    .fixed(b.linkPublicKey, KEY_BYTES)
    .u32(b.linkSequenceNumber)
    .fixed(b.previousHash, HASH_BYTES)
    .u64(BigInt(b.timestamp))
    .string(b.type, MAX_TYPE_LENGTH)
    .bytes(b.transaction, MAX_TRANSACTION_BYTES)
    .fixed(signature, SIGNATURE_BYTES)
    .finish();
}

/**
 * Blocks are immutable, and their encoding is needed again and again (hash,
 * signature check, storage, wire): it is computed once per block object, and
 * decoding primes it with the bytes it read. Callers must not mutate it.
 */
const encodingCache = new WeakMap<HalfBlock, Uint8Array>();

/** The canonical encoding; throws InvalidBlockError if a field is out of range. */
export function encodeBlock(b: HalfBlock): Uint8Array {
  let e = encodingCache.get(b);
  if (e === undefined) {
    e = write(b, b.signature);
    encodingCache.set(b, e);
  }
  return e;
}

/** The bytes the owner signs. */
export function signingPayload(b: UnsignedBlock): Uint8Array {
  return write(b, EMPTY_SIGNATURE);
}

/**
 * What a verifier needs from an encoded block, without decoding it: the owner
 * key (bytes 5..37), the signature (the last 64 bytes) and the signed payload
 * (the encoding with the signature zeroed). For worker pools.
 */
export function verifyItemFromEncoding(bytes: Uint8Array): { publicKey: Uint8Array; signature: Uint8Array; message: Uint8Array } {
  const keyStart = BLOCK_MAGIC.length + 1;
  const message = bytes.slice();
  message.fill(0, message.length - SIGNATURE_BYTES);
  return { publicKey: bytes.slice(keyStart, keyStart + KEY_BYTES), signature: bytes.slice(bytes.length - SIGNATURE_BYTES), message };
}

/** Reads one block from a reader (for containers of blocks); see decodeBlock. */
export function readBlock(r: BinaryReader): HalfBlock {
  return parseBlock(r, (start) => r.copyFrom(start));
}

/**
 * Reads a block's fields as views of its encoding: `encodingFrom(start)` gives
 * the bytes the block came as (a copy of its own, or bytes handed over).
 */
function parseBlock(r: BinaryReader, encodingFrom: (start: number) => Uint8Array): HalfBlock {
  const start = r.position;
  const magic = r.view(BLOCK_MAGIC.length, 'block magic');
  if (!bytesEqual(magic, BLOCK_MAGIC)) throw new DecodeError('invalid-value', 'not a Trustmesh half-block (bad magic)');
  const version = r.u8('block version');
  if (version !== BLOCK_VERSION) throw new DecodeError('unknown-version', `half-block version ${version} is not supported`);
  const publicKey = r.view(KEY_BYTES, 'public key');
  const sequenceNumber = r.u32('sequence number');
  const linkPublicKey = r.view(KEY_BYTES, 'link public key');
  const linkSequenceNumber = r.u32('link sequence number');
  const previousHash = r.view(HASH_BYTES, 'previous hash');
  const ts = r.u64('timestamp');
  const type = r.string(MAX_TYPE_LENGTH, 'type');
  const transaction = r.viewBytes(MAX_TRANSACTION_BYTES, 'transaction');
  const signature = r.view(SIGNATURE_BYTES, 'signature');
  if (sequenceNumber < 1) throw new DecodeError('invalid-value', 'sequence number 0');
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('invalid-value', 'timestamp out of range');
  if (!TYPE_NAME_PATTERN.test(type)) throw new DecodeError('invalid-value', `transaction type "${type}" has characters outside [a-z0-9_-]`);
  // One copy of the bytes read, and the fields as views of it: the input may be reused, and a copy per
  // field was most of a crawl's decoding. The encoding is canonical (one per block), so these bytes are
  // the block's encoding: hashing, verifying and storing a block from the wire need not encode it again.
  const encoding = encodingFrom(start);
  const base = magic.byteOffset;
  const own = (v: Uint8Array): Uint8Array => encoding.subarray(v.byteOffset - base, v.byteOffset - base + v.length);
  const block = { publicKey: internKey(own(publicKey)), sequenceNumber, linkPublicKey: internKey(own(linkPublicKey)), linkSequenceNumber, previousHash: own(previousHash), timestamp: Number(ts), type, transaction: own(transaction), signature: own(signature) };
  encodingCache.set(block, encoding);
  return block;
}

/** Keys decoded lately, as one array each: a batch names few keys, and lookups keyed on the array (binaryKey) then hit. */
const recentKeys: Uint8Array[] = [];
/** A crawl names its owner and a handful of counterparties; a few more absorb gossip from several chains. */
const RECENT_KEYS = 8;
let nextRecent = 0;

/** The array already held for these key bytes, if a recent block named them; else this one, remembered. */
function internKey(key: Uint8Array): Uint8Array {
  for (const k of recentKeys) if (bytesEqual(k, key)) return k;
  recentKeys[nextRecent] = key;
  nextRecent = (nextRecent + 1) % RECENT_KEYS;
  return key;
}

/** Strict decoding of one whole encoding: throws only DecodeError (bounds, magic, version, charset, trailing bytes). */
export function decodeBlock(bytes: Uint8Array): HalfBlock {
  // One copy of the input, which the block then owns: the caller may reuse its bytes.
  return adoptBlock(bytes.slice());
}

/**
 * decodeBlock for bytes handed over for good (IndexedDB's own copy of a
 * record): the block's fields and its cached encoding are views of them, with
 * no copy. The caller must never change or reuse them.
 */
export function adoptBlock(bytes: Uint8Array): HalfBlock {
  const r = new BinaryReader(bytes);
  const block = parseBlock(r, () => bytes);
  r.end('half-block');
  return block;
}

/** Block hashes are looked up often (links, validation); blocks are immutable, so cache per object. */
const hashCache = new WeakMap<HalfBlock, Uint8Array>();

/** SHA-256 of the encoding (signature included): a block's identity and the next block's previousHash. */
export function blockHash(b: HalfBlock): Uint8Array {
  let h = hashCache.get(b);
  if (h === undefined) {
    h = sha256(encodeBlock(b));
    hashCache.set(b, h);
  }
  return h;
}

/** Signs with a raw Ed25519 seed (tests, Node); tabs sign through chain.signWith. */
export function signBlock(unsigned: UnsignedBlock, seed: Uint8Array): HalfBlock {
  return { ...unsigned, signature: signEd25519(seed, signingPayload(unsigned)) };
}

/** The owner's signature under THE signature rule; false (never a throw) for unencodable blocks. */
export function verifyBlockSignature(b: HalfBlock): boolean {
  try {
    return verifyEd25519(b.signature, signingPayload(b), b.publicKey);
  } catch (err) {
    if (err instanceof InvalidBlockError) return false;
    throw err;
  }
}

/** Same encoding, hence same block. */
export function sameBlock(a: HalfBlock, b: HalfBlock): boolean {
  return bytesEqual(blockHash(a), blockHash(b));
}
