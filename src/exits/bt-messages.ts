/**
 * BitTorrent peer wire framing (pure), for untrusted bytes: an exit relay
 * splits each direction of a stream into whole messages so that it can
 * rewrite the handshakes and take its own pay messages out (exit-splice.ts).
 *
 *   handshake  (BEP 3, once, first; BT_HANDSHAKE_BYTES)
 *              pstrlen u8 = 19 | "BitTorrent protocol" | reserved (8) | infohash (20) | peer id (20)
 *   message    length u32 (0..MAX_BT_MESSAGE_BYTES) | id u8 | payload      length 0 is a keep-alive
 *   extended   (BEP 10) id 20 | extended id u8 | payload
 *              extended id 0 is the extended handshake, a bencoded dict whose `m` maps extension
 *              names to the ids the SENDER wants to receive them with; other ids are messages,
 *              numbered by the receiver's `m`.
 *
 * Every reader and decoder here takes bytes from a peer it does not trust:
 * lengths are checked against bounds before anything is held, the only error
 * is BtWireError, and nothing loops on its input. The `bencode` package is
 * lax (a negative string length makes it loop forever, `__proto__` keys set
 * the prototype), so an extended handshake is scanned here first and handed
 * to it only once well-formed.
 */
import bencode from 'bencode';
import { bytesEqual, concatBytes, utf8 } from '../codec/bytes.ts';
import { MAX_BENCODE_DEPTH, MAX_BT_MESSAGE_BYTES, MAX_EXTENDED_HANDSHAKE_BYTES } from './constants.ts';

export const BT_HANDSHAKE_BYTES = 68;
/** pstrlen and pstr: the start of every BitTorrent handshake. */
const BT_PROTOCOL = utf8.encode('\x13BitTorrent protocol');
const PEER_ID_AT = BT_HANDSHAKE_BYTES - 20;
const LENGTH_BYTES = 4;
/** BEP 10's message id. */
export const EXTENDED_MESSAGE_ID = 20;
export const EXTENDED_HANDSHAKE_ID = 0;
/** 15 digits stay within JavaScript's safe integers, so a number decodes to exactly what was sent. */
const MAX_INTEGER_DIGITS = 15;
/** String lengths are bounded by the handshake size; more digits than that can only be junk. */
const MAX_LENGTH_DIGITS = String(MAX_EXTENDED_HANDSHAKE_BYTES).length;

/** A malformed BitTorrent wire: the stream carrying it ends ('protocol'). */
export class BtWireError extends Error {
  override name = 'BtWireError';
}

/**
 * Bytes received and not yet taken, kept as the chunks they came in (no copy
 * until a message spans chunks). Chunks are dropped by index, not shifted, so
 * a message sent one byte at a time costs linear time.
 */
class ByteQueue {
  private chunks: (Uint8Array | undefined)[] = [];
  /** Index of the first chunk still held. */
  private head = 0;
  /** Offset into chunks[head]. */
  private offset = 0;
  length = 0;

  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** Byte i of what is queued (i < length). */
  at(i: number): number {
    let k = this.offset + i;
    for (let j = this.head; j < this.chunks.length; j++) {
      const c = this.chunks[j]!;
      if (k < c.length) return c[k]!;
      k -= c.length;
    }
    throw new RangeError('ByteQueue.at past the end');
  }

  /** The next n bytes (n <= length). */
  take(n: number): Uint8Array {
    const first = this.chunks[this.head]!;
    let out: Uint8Array;
    if (first.length - this.offset >= n) {
      out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[this.head]!;
        const part = Math.min(n - filled, c.length - this.offset);
        out.set(c.subarray(this.offset, this.offset + part), filled);
        filled += part;
        this.offset += part;
        if (this.offset === c.length) this.dropFirst();
      }
    }
    if (this.head < this.chunks.length && this.offset === this.chunks[this.head]!.length) this.dropFirst();
    this.length -= n;
    return out;
  }

  private dropFirst(): void {
    this.chunks[this.head] = undefined;
    this.head++;
    this.offset = 0;
    // Compact once half the slots are spent: amortised constant time per chunk.
    if (this.head === this.chunks.length || (this.head >= 64 && this.head * 2 >= this.chunks.length)) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Splits one direction of a BitTorrent wire into whole messages, each with its
 * 4-byte length prefix (and first, with `handshake`, the 68-byte handshake).
 * After a BtWireError it refuses everything: the stream is over.
 */
export class BtMessageReader {
  private readonly queue = new ByteQueue();
  private handshakePending: boolean;
  private failed = false;

  constructor(options: { handshake?: boolean } = {}) {
    this.handshakePending = options.handshake === true;
  }

  push(bytes: Uint8Array): Uint8Array[] {
    if (this.failed) throw new BtWireError('the wire already failed');
    try {
      return this.read(bytes);
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }

  private read(bytes: Uint8Array): Uint8Array[] {
    const q = this.queue;
    q.append(bytes);
    const out: Uint8Array[] = [];
    if (this.handshakePending) {
      // Refused at the first wrong byte: a wire that is not BitTorrent is never held waiting for more.
      for (let i = 0; i < Math.min(q.length, BT_PROTOCOL.length); i++) {
        if (q.at(i) !== BT_PROTOCOL[i]) throw new BtWireError('not a BitTorrent handshake');
      }
      if (q.length < BT_HANDSHAKE_BYTES) return out;
      out.push(q.take(BT_HANDSHAKE_BYTES));
      this.handshakePending = false;
    }
    while (q.length >= LENGTH_BYTES) {
      // Unsigned: `<<` would make a length of 2^31 or more negative.
      const length = ((q.at(0) << 24) >>> 0) + (q.at(1) << 16) + (q.at(2) << 8) + q.at(3);
      if (length > MAX_BT_MESSAGE_BYTES) throw new BtWireError(`message of ${length} bytes is past the limit of ${MAX_BT_MESSAGE_BYTES}`);
      if (q.length < LENGTH_BYTES + length) break;
      out.push(q.take(LENGTH_BYTES + length));
    }
    return out;
  }
}

/** The peer id of a handshake (BT_HANDSHAKE_BYTES, as BtMessageReader gave it). */
export function handshakePeerId(handshake: Uint8Array): Uint8Array {
  return handshake.subarray(PEER_ID_AT, BT_HANDSHAKE_BYTES);
}

/** The handshake with another peer id (a copy). */
export function withPeerId(handshake: Uint8Array, peerId: Uint8Array): Uint8Array {
  if (handshake.length !== BT_HANDSHAKE_BYTES || !bytesEqual(handshake.subarray(0, BT_PROTOCOL.length), BT_PROTOCOL)) throw new BtWireError('not a BitTorrent handshake');
  if (peerId.length !== BT_HANDSHAKE_BYTES - PEER_ID_AT) throw new RangeError('a peer id is 20 bytes');
  const out = handshake.slice();
  out.set(peerId, PEER_ID_AT);
  return out;
}

/** A whole message's extended id and payload, or undefined if it is not an extended message (a keep-alive or another id). */
export function extendedOf(message: Uint8Array): { extId: number; payload: Uint8Array } | undefined {
  if (message.length <= LENGTH_BYTES || message[LENGTH_BYTES] !== EXTENDED_MESSAGE_ID) return undefined;
  if (message.length < LENGTH_BYTES + 2) throw new BtWireError('extended message without an extended id');
  return { extId: message[LENGTH_BYTES + 1]!, payload: message.subarray(LENGTH_BYTES + 2) };
}

/** A whole extended message, length prefix included. */
export function encodeExtended(extId: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(extId) || extId < 0 || extId > 0xff) throw new RangeError(`extended id out of range: ${extId}`);
  const length = 2 + payload.length;
  if (length > MAX_BT_MESSAGE_BYTES) throw new RangeError(`extended message of ${length} bytes is past the limit`);
  const out = new Uint8Array(LENGTH_BYTES + length);
  new DataView(out.buffer).setUint32(0, length);
  out[LENGTH_BYTES] = EXTENDED_MESSAGE_ID;
  out[LENGTH_BYTES + 1] = extId;
  out.set(payload, LENGTH_BYTES + 2);
  return out;
}

const CHAR = { i: 0x69, l: 0x6c, d: 0x64, e: 0x65, colon: 0x3a, minus: 0x2d, zero: 0x30, nine: 0x39 } as const;
const PROTO_KEY = utf8.encode('__proto__');

/**
 * Checks that `bytes` is exactly one bencoded value, nested at most
 * MAX_BENCODE_DEPTH deep, with every length within the input, integers of at
 * most MAX_INTEGER_DIGITS digits, string keys only, and no `__proto__` key.
 * Iterative: it reads each byte once.
 */
function checkBencode(bytes: Uint8Array): void {
  let pos = 0;
  /** Per open container: is it a dict, and does a key come next. */
  const open: { dict: boolean; keyNext: boolean }[] = [];
  const digits = (max: number, what: string): number => {
    const start = pos;
    while (pos < bytes.length && bytes[pos]! >= CHAR.zero && bytes[pos]! <= CHAR.nine) pos++;
    if (pos === start || pos - start > max) throw new BtWireError(`bad bencode ${what}`);
    return Number(utf8.decode(bytes.subarray(start, pos)));
  };
  do {
    if (pos >= bytes.length) throw new BtWireError('truncated bencode');
    const top = open.at(-1);
    const c = bytes[pos]!;
    if (c === CHAR.e && top !== undefined && top.keyNext) {
      pos++;
      open.pop();
      const parent = open.at(-1);
      if (parent?.dict === true) parent.keyNext = true;
      continue;
    }
    const isKey = top?.dict === true && top.keyNext;
    if (c === CHAR.d || c === CHAR.l) {
      if (isKey) throw new BtWireError('bencode dict key is not a string');
      if (open.length >= MAX_BENCODE_DEPTH) throw new BtWireError('bencode nested too deep');
      pos++;
      // A list reads as a dict whose entries are all values: its end may come before any item.
      open.push({ dict: c === CHAR.d, keyNext: true });
      continue;
    }
    if (c === CHAR.i) {
      if (isKey) throw new BtWireError('bencode dict key is not a string');
      pos++;
      if (bytes[pos] === CHAR.minus) pos++;
      digits(MAX_INTEGER_DIGITS, 'integer');
      if (bytes[pos] !== CHAR.e) throw new BtWireError('bad bencode integer');
      pos++;
    } else {
      const length = digits(MAX_LENGTH_DIGITS, 'string length');
      if (bytes[pos] !== CHAR.colon || length > bytes.length - pos - 1) throw new BtWireError('bad bencode string');
      pos++;
      if (isKey && bytesEqual(bytes.subarray(pos, pos + length), PROTO_KEY)) throw new BtWireError('bencode key __proto__');
      pos += length;
    }
    if (top?.dict === true) top.keyNext = !top.keyNext;
  } while (open.length > 0);
  if (pos !== bytes.length) throw new BtWireError('trailing bytes after bencode');
}

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** A BEP 10 extended handshake's dict (strings as Uint8Array, integers as numbers). */
export function decodeExtendedHandshake(payload: Uint8Array): Record<string, unknown> {
  if (payload.length > MAX_EXTENDED_HANDSHAKE_BYTES) throw new BtWireError(`extended handshake of ${payload.length} bytes is past the limit of ${MAX_EXTENDED_HANDSHAKE_BYTES}`);
  checkBencode(payload);
  if (payload[0] !== CHAR.d) throw new BtWireError('extended handshake is not a dict');
  let dict: unknown;
  try {
    dict = bencode.decode(payload);
  } catch (err) {
    throw new BtWireError(`bad extended handshake: ${(err as Error).message}`);
  }
  if (!isDict(dict)) throw new BtWireError('extended handshake is not a dict');
  return dict;
}

/** The payload of an extended handshake (without extended id or framing). */
export function encodeExtendedHandshake(dict: Record<string, unknown>): Uint8Array {
  return bencode.encode(dict);
}

/** Concatenates whole messages into the bytes to write. */
export function joinMessages(messages: Uint8Array[]): Uint8Array {
  return messages.length === 1 ? messages[0]! : concatBytes(...messages);
}
