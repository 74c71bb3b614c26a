/**
 * Wire format of the ledger protocol, /trustmesh/ledger/1.0.0. A stream
 * carries request frames from the side that opened it, each answered by one
 * response frame in the order asked; the requester may send the next before
 * the last is answered, and ends the stream when done (ledger-stream.ts). A
 * peer that answers one request and ends the stream, as every stream was used
 * before, is asked again on a new stream. Frames are length-prefixed by the
 * stream reader, at most MAX_LEDGER_FRAME_BYTES. A frame is:
 *
 *   version u8 (1) | message type u8 | body
 *
 *   1 sign-request   proposal (u16 len + block), context: u8 count <= MAX_CONTEXT_BLOCKS of blocks
 *                    (the proposer's preceding blocks and their linked halves, so the
 *                    counterparty can check the running totals without a crawl)
 *   2 sign-response  agreement (u16 len + block)
 *   3 sign-refused   code u8, reason (u16 len + UTF-8 <= MAX_REASON_BYTES; longer reasons are cut)
 *   4 crawl-request  publicKey 32, start i32, end i32 (negative: from the tail), limit u16 <= MAX_CRAWL_BLOCKS
 *   5 crawl-response latestSeq u32, u8 count <= MAX_CRAWL_RESPONSE_BLOCKS (200) of blocks
 *   (6 was gossip, now on its GossipSub topic: ledger-gossip-wire.ts)
 *
 * "block" is always u16 length + half-block encoding (block-codec.ts). Decoders
 * trust nothing: every count and length is checked against its limit before
 * anything is allocated, they throw only DecodeError, and refuse trailing bytes.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { utf8 } from '../codec/bytes.ts';
import type { HalfBlock } from './block.ts';
import { encodeBlock, readBlock } from './block-codec.ts';
import { CONTEXT_BLOCKS, KEY_BYTES, MAX_BLOCK_BYTES, MAX_CRAWL_BLOCKS, MAX_SEQ } from './constants.ts';
import type { RefusalCode } from './chain.ts';

export const LEDGER_PROTOCOL = '/trustmesh/ledger/1.0.0';
export const LEDGER_WIRE_VERSION = 1;

/** Context a proposer sends: its CONTEXT_BLOCKS preceding blocks, and their linked halves. */
export const MAX_CONTEXT_BLOCKS = 2 * CONTEXT_BLOCKS;
/** The owner's blocks plus one linked half each. */
export const MAX_CRAWL_RESPONSE_BLOCKS = 2 * MAX_CRAWL_BLOCKS;
/** A refusal reason is one or two sentences for a log or a toast. */
export const MAX_REASON_BYTES = 256;
/** Bounds what a reader buffers per frame: a full crawl response of maximal blocks fits. */
export const MAX_LEDGER_FRAME_BYTES = 2 + 4 + 2 + MAX_CRAWL_RESPONSE_BLOCKS * (2 + MAX_BLOCK_BYTES);

export type LedgerMessage =
  | { type: 'sign-request'; proposal: HalfBlock; context: HalfBlock[] }
  | { type: 'sign-response'; agreement: HalfBlock }
  | { type: 'sign-refused'; code: RefusalCode; reason: string }
  | { type: 'crawl-request'; publicKey: Uint8Array; start: number; end: number; limit: number }
  | { type: 'crawl-response'; latestSeq: number; blocks: HalfBlock[] };

const TYPE_CODES = { 'sign-request': 1, 'sign-response': 2, 'sign-refused': 3, 'crawl-request': 4, 'crawl-response': 5 } as const;
const REFUSALS: readonly RefusalCode[] = ['fraudster', 'not-addressed', 'invalid', 'not-a-proposal', 'already-signed', 'policy', 'unknown-history'];

const writeBlock = (w: BinaryWriter, b: HalfBlock): BinaryWriter => w.bytes(encodeBlock(b), MAX_BLOCK_BYTES);

function readBoundedBlock(r: BinaryReader, what: string): HalfBlock {
  const inner = new BinaryReader(r.bytes(MAX_BLOCK_BYTES, what));
  const b = readBlock(inner);
  inner.end(what);
  return b;
}

/** UTF-8 of `text`, cut to at most `maxBytes` at a character boundary. */
function truncateUtf8(text: string, maxBytes: number): Uint8Array {
  const bytes = utf8.encode(text);
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // do not split a multi-byte character
  return bytes.subarray(0, end);
}

/** Encodes a message; throws RangeError for values outside the format's limits (a bug of the caller). */
export function encodeLedgerMessage(m: LedgerMessage): Uint8Array {
  const w = new BinaryWriter(512).u8(LEDGER_WIRE_VERSION).u8(TYPE_CODES[m.type]);
  switch (m.type) {
    case 'sign-request':
      writeBlock(w, m.proposal);
      w.count(m.context.length, MAX_CONTEXT_BLOCKS);
      for (const b of m.context) writeBlock(w, b);
      break;
    case 'sign-response':
      writeBlock(w, m.agreement);
      break;
    case 'sign-refused':
      if (!REFUSALS.includes(m.code)) throw new RangeError(`unknown refusal code ${m.code}`);
      w.u8(REFUSALS.indexOf(m.code)).bytes(truncateUtf8(m.reason, MAX_REASON_BYTES), MAX_REASON_BYTES);
      break;
    case 'crawl-request':
      if (!Number.isInteger(m.limit) || m.limit < 1 || m.limit > MAX_CRAWL_BLOCKS) throw new RangeError(`crawl limit must be 1..${MAX_CRAWL_BLOCKS}`);
      w.fixed(m.publicKey, KEY_BYTES).i32(m.start).i32(m.end).u16(m.limit);
      break;
    case 'crawl-response':
      if (!Number.isInteger(m.latestSeq) || m.latestSeq < 0 || m.latestSeq > MAX_SEQ) throw new RangeError(`latest seq ${m.latestSeq} is not a u32`);
      w.u32(m.latestSeq).count(m.blocks.length, MAX_CRAWL_RESPONSE_BLOCKS);
      for (const b of m.blocks) writeBlock(w, b);
      break;
  }
  return w.finish();
}

/** Decodes one frame; throws only DecodeError. */
export function decodeLedgerMessage(bytes: Uint8Array): LedgerMessage {
  const r = new BinaryReader(bytes);
  const version = r.u8('version');
  if (version !== LEDGER_WIRE_VERSION) throw new DecodeError('unknown-version', `ledger wire version ${version} is not supported`);
  const code = r.u8('message type');
  let m: LedgerMessage;
  switch (code) {
    case 1: {
      const proposal = readBoundedBlock(r, 'proposal');
      const n = r.count(MAX_CONTEXT_BLOCKS, 'context blocks');
      const context: HalfBlock[] = [];
      for (let i = 0; i < n; i++) context.push(readBoundedBlock(r, 'context block'));
      m = { type: 'sign-request', proposal, context };
      break;
    }
    case 2:
      m = { type: 'sign-response', agreement: readBoundedBlock(r, 'agreement') };
      break;
    case 3: {
      const c = REFUSALS[r.u8('refusal code')];
      if (c === undefined) throw new DecodeError('invalid-value', 'unknown refusal code');
      m = { type: 'sign-refused', code: c, reason: r.string(MAX_REASON_BYTES, 'reason') };
      break;
    }
    case 4: {
      const publicKey = r.fixed(KEY_BYTES, 'public key');
      const start = r.i32('start');
      const end = r.i32('end');
      const limit = r.u16('limit');
      if (limit < 1 || limit > MAX_CRAWL_BLOCKS) throw new DecodeError('invalid-value', `crawl limit ${limit} outside 1..${MAX_CRAWL_BLOCKS}`);
      m = { type: 'crawl-request', publicKey, start, end, limit };
      break;
    }
    case 5: {
      const latestSeq = r.u32('latest seq');
      const n = r.count(MAX_CRAWL_RESPONSE_BLOCKS, 'crawled blocks');
      const blocks: HalfBlock[] = [];
      for (let i = 0; i < n; i++) blocks.push(readBoundedBlock(r, 'crawled block'));
      m = { type: 'crawl-response', latestSeq, blocks };
      break;
    }
    default:
      throw new DecodeError('unknown-type', `unknown ledger message type ${code}`);
  }
  r.end('ledger message');
  return m;
}
