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
import type { HalfBlock, UnsignedBlock } from './block.ts';
import { BLOCK_MAGIC, BLOCK_VERSION, HASH_BYTES, KEY_BYTES, MAX_SEQ, MAX_TRANSACTION_BYTES, MAX_TYPE_LENGTH, SIGNATURE_BYTES } from './constants.ts';

const TYPE_PATTERN = /^[a-z0-9_-]{1,32}$/;
const EMPTY_SIGNATURE = new Uint8Array(SIGNATURE_BYTES);

export class InvalidBlockError extends Error {
  override name = 'InvalidBlockError';
}

function checkFields(b: UnsignedBlock): void {
  if (!Number.isInteger(b.sequenceNumber) || b.sequenceNumber < 1 || b.sequenceNumber > MAX_SEQ) throw new InvalidBlockError(`sequence number ${b.sequenceNumber} out of range`);
  if (!Number.isInteger(b.linkSequenceNumber) || b.linkSequenceNumber < 0 || b.linkSequenceNumber > MAX_SEQ) throw new InvalidBlockError(`link sequence number ${b.linkSequenceNumber} out of range`);
  if (!Number.isSafeInteger(b.timestamp) || b.timestamp < 0) throw new InvalidBlockError(`timestamp ${b.timestamp} out of range`);
  if (!TYPE_PATTERN.test(b.type)) throw new InvalidBlockError(`transaction type "${b.type}" is not 1-${MAX_TYPE_LENGTH} of [a-z0-9_-]`);
  if (b.transaction.length > MAX_TRANSACTION_BYTES) throw new InvalidBlockError(`transaction of ${b.transaction.length} bytes exceeds ${MAX_TRANSACTION_BYTES}`);
}

function write(b: UnsignedBlock, signature: Uint8Array): Uint8Array {
  checkFields(b);
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

export function encodeBlock(b: HalfBlock): Uint8Array {
  return write(b, b.signature);
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
  const magic = r.fixed(BLOCK_MAGIC.length, 'block magic');
  if (!bytesEqual(magic, BLOCK_MAGIC)) throw new DecodeError('invalid-value', 'not a Trustmesh half-block (bad magic)');
  const version = r.u8('block version');
  if (version !== BLOCK_VERSION) throw new DecodeError('unknown-version', `half-block version ${version} is not supported`);
  const publicKey = r.fixed(KEY_BYTES, 'public key');
  const sequenceNumber = r.u32('sequence number');
  const linkPublicKey = r.fixed(KEY_BYTES, 'link public key');
  const linkSequenceNumber = r.u32('link sequence number');
  const previousHash = r.fixed(HASH_BYTES, 'previous hash');
  const ts = r.u64('timestamp');
  const type = r.string(MAX_TYPE_LENGTH, 'type');
  const transaction = r.bytes(MAX_TRANSACTION_BYTES, 'transaction');
  const signature = r.fixed(SIGNATURE_BYTES, 'signature');
  if (sequenceNumber < 1) throw new DecodeError('invalid-value', 'sequence number 0');
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('invalid-value', 'timestamp out of range');
  if (!TYPE_PATTERN.test(type)) throw new DecodeError('invalid-value', `transaction type "${type}" has characters outside [a-z0-9_-]`);
  return { publicKey, sequenceNumber, linkPublicKey, linkSequenceNumber, previousHash, timestamp: Number(ts), type, transaction, signature };
}

export function decodeBlock(bytes: Uint8Array): HalfBlock {
  const r = new BinaryReader(bytes);
  const block = readBlock(r);
  r.end('half-block');
  return block;
}

/** Block hashes are looked up often (links, validation); blocks are immutable, so cache per object. */
const hashCache = new WeakMap<HalfBlock, Uint8Array>();

export function blockHash(b: HalfBlock): Uint8Array {
  let h = hashCache.get(b);
  if (h === undefined) {
    h = sha256(encodeBlock(b));
    hashCache.set(b, h);
  }
  return h;
}

export function signBlock(unsigned: UnsignedBlock, seed: Uint8Array): HalfBlock {
  return { ...unsigned, signature: signEd25519(seed, signingPayload(unsigned)) };
}

export function verifyBlockSignature(b: HalfBlock): boolean {
  try {
    return verifyEd25519(b.signature, signingPayload(b), b.publicKey);
  } catch (err) {
    if (err instanceof InvalidBlockError) return false;
    throw err;
  }
}

export function sameBlock(a: HalfBlock, b: HalfBlock): boolean {
  return bytesEqual(blockHash(a), blockHash(b));
}
