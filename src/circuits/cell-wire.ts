/**
 * Wire format of /trustmesh/circuits/4.0.0. Two layers:
 *
 * Link frames, between neighbours (one length-prefixed frame per message):
 *   type u8 | circuit id u32 | body
 *     create    1  X (32)                     originator's ephemeral key for this hop
 *     created   2  Y (32) | auth (32)
 *     relay     3  onion bytes                 one encrypted layer per remaining hop
 *     destroy   4  reason u8
 *     (5 was the link keepalive: keepalives now travel inside the onion, as `drop`;
 *      a frame of type 5 is refused as unknown, and never forwarded)
 *     credit    6  bytes u32                   link flow control (circuit id 0): the
 *                                              sender of this frame processed that much
 *     payout    7  amount u64 | total u64     the sender is about to propose a TrustChain
 *                                              payout of this amount for this circuit; total:
 *                                              what it will have paid on the circuit once
 *                                              this and the payouts under way land (a relay
 *                                              passes the gap on ahead; 3.0.0 added it)
 *   Circuit ids are per link and chosen by the side that sends `create`, with
 *   the top bit set when that side's key sorts below the other's, so the two
 *   sides never pick the same id.
 *
 * The plaintext a cell's onion carries (hop-layer.ts wraps it):
 *   length u32 | relay command (length bytes) | zeros
 * padded so the onion has one of CELL_SIZES (constants.ts) whatever the payload;
 * only the hop the cell is for sees where the command ends. (4.0.0: the onion
 * keeps its size from hop to hop; 3.0.0 shrank it by a layer's overhead per hop.)
 *
 * Relay commands:
 *   command u8 | body
 *     extend        1  next hop's Ed25519 key (32) | X (32)
 *     extended      2  Y (32) | auth (32)
 *     data          3  bytes (≤ MAX_DATA_BYTES)
 *     extend-failed 4  code u8                 FAIL_CODES: never text composed by a relay;
 *                                              the originator words it itself
 *     rendezvous    5  cookie (20)             make this hop the rendezvous point for cookie
 *     join          6  cookie (20)             splice this circuit to the one waiting on cookie
 *     joined        7  (empty)                 the rendezvous point spliced the two circuits
 *     establish-intro 8  descriptor (u16 length ≤ MAX_DESCRIPTOR_BYTES) | proof (64)
 *                                              make this hop an introduction point for the
 *                                              service the signed descriptor names, answering
 *                                              lookups with it; the proof is the service key's
 *                                              signature bound to this circuit (descriptors.ts)
 *     intro-established 9 (empty)
 *     introduce     10 service key (32) | X (32) | sealed (68): cookie | rendezvous point, sealed to the service key (intro-seal.ts)
 *                                              to an introduction point, which passes it on
 *                                              (without the service key) to the service
 *     introduce-ack 11 ok u8                   1: passed on; 0: no such service here
 *     drop          12 (empty)                 the originator's keepalive, addressed to the
 *                                              last hop through every layer (Tor's RELAY_DROP):
 *                                              each relay sees an ordinary cell; the last drops it
 *     sendme        13 tag (16)                end-to-end flow control (circuit-window.ts): the
 *                                              sender delivered another SENDME_EVERY_BYTES; the
 *                                              tag is the innermost GCM tag of the data cell that
 *                                              completed them, so only a receiver of that cell can send it
 *     receipt       14 receipt (RECEIPT_BYTES) a hop's signed receipt of what its previous hop paid it
 *                                              on this circuit, backward to the originator (receipt-wire.ts)
 *
 * What padding hides, and what it does not. Payload size: every cell is one
 * of CELL_SIZES, chosen by the command's length alone, so a relay or a link
 * observer learns only the class. Position: the layers are length-preserving
 * (hop-layer.ts), so a cell has the same size at every hop of every path, in
 * both directions: sizes tell a relay nothing of how far it is from either
 * end. The hop a cell is for knows it is the cell's end (it opens the command);
 * the last hop of a path knows it is last (nothing lies beyond it). The class
 * itself tells control from bulk traffic.
 *
 * Decoders take untrusted bytes: bounded lengths, DecodeError only.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { CELL_SIZES, MAX_DATA_BYTES, MAX_FRAME_BYTES } from './constants.ts';
import { ONION_OVERHEAD } from './hop-layer.ts';
import { TAG_BYTES } from './layer.ts';
import { MAX_DESCRIPTOR_BYTES } from './descriptor-wire.ts';
import { AUTH_BYTES, X25519_KEY_BYTES } from './handshake.ts';
import { RECEIPT_BYTES } from './receipt-wire.ts';

const FRAME_HEADER_BYTES = 5;
/** The cell's length prefix: where the command ends and the padding starts. */
const CELL_HEADER_BYTES = 4;
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

export type DestroyReason = 'requested' | 'protocol' | 'limit' | 'unpaid' | 'refused' | 'hop-lost' | 'timeout';
const DESTROY_REASONS: readonly DestroyReason[] = ['requested', 'protocol', 'limit', 'unpaid', 'refused', 'hop-lost', 'timeout'];

export type LinkFrame =
  | { type: 'create'; circuitId: number; X: Uint8Array }
  | { type: 'created'; circuitId: number; Y: Uint8Array; auth: Uint8Array }
  | { type: 'relay'; circuitId: number; onion: Uint8Array }
  | { type: 'destroy'; circuitId: number; reason: DestroyReason }
  | { type: 'credit'; circuitId: number; bytes: number }
  | { type: 'payout'; circuitId: number; amount: bigint; total: bigint };

/** Type 5, the link keepalive of 1.0.0, stays unused so the numbers of the others stay. */
const FRAME_TYPES = ['create', 'created', 'relay', 'destroy', undefined, 'credit', 'payout'] as const;
/** The first byte of a credit frame, so a link can pick its own frames out cheaply. */
export const CREDIT_FRAME_TYPE = FRAME_TYPES.indexOf('credit') + 1;

export function encodeFrame(f: LinkFrame): Uint8Array {
  const w = new BinaryWriter(f.type === 'relay' ? FRAME_HEADER_BYTES + f.onion.length : 80);
  w.u8(FRAME_TYPES.indexOf(f.type) + 1).u32(f.circuitId);
  switch (f.type) {
    case 'create':
      w.fixed(f.X, X25519_KEY_BYTES);
      break;
    case 'created':
      w.fixed(f.Y, X25519_KEY_BYTES).fixed(f.auth, AUTH_BYTES);
      break;
    case 'relay':
      if (f.onion.length > MAX_FRAME_BYTES - FRAME_HEADER_BYTES) throw new RangeError(`an onion of ${f.onion.length} bytes does not fit a frame`);
      w.fixed(f.onion, f.onion.length);
      break;
    case 'destroy':
      w.u8(DESTROY_REASONS.indexOf(f.reason));
      break;
    case 'credit':
      w.u32(f.bytes);
      break;
    case 'payout':
      w.u64(f.amount).u64(f.total);
      break;
  }
  return w.finish();
}

export function decodeFrame(bytes: Uint8Array): LinkFrame {
  if (bytes.length > MAX_FRAME_BYTES) throw new DecodeError('too-long', `a frame of ${bytes.length} bytes is over ${MAX_FRAME_BYTES}`);
  const r = new BinaryReader(bytes);
  const type = FRAME_TYPES[r.u8('frame type') - 1];
  if (type === undefined) throw new DecodeError('unknown-type', `unknown frame type ${bytes[0]}`);
  const circuitId = r.u32('circuit id');
  let f: LinkFrame;
  switch (type) {
    case 'create':
      f = { type, circuitId, X: r.fixed(X25519_KEY_BYTES, 'X') };
      break;
    case 'created':
      f = { type, circuitId, Y: r.fixed(X25519_KEY_BYTES, 'Y'), auth: r.fixed(AUTH_BYTES, 'auth') };
      break;
    case 'relay':
      f = { type, circuitId, onion: r.view(r.remaining, 'onion') };
      break;
    case 'destroy': {
      const reason = DESTROY_REASONS[r.u8('destroy reason')];
      if (reason === undefined) throw new DecodeError('invalid-value', 'unknown destroy reason');
      f = { type, circuitId, reason };
      break;
    }
    case 'credit':
      f = { type, circuitId, bytes: r.u32('credit') };
      break;
    case 'payout':
      f = { type, circuitId, amount: r.u64('payout amount'), total: r.u64('payout total') };
      break;
  }
  r.end(`${type} frame`);
  return f;
}

export type RelayCommand =
  | { command: 'extend'; next: Uint8Array; X: Uint8Array }
  | { command: 'extended'; Y: Uint8Array; auth: Uint8Array }
  | { command: 'data'; data: Uint8Array }
  | { command: 'extend-failed'; code: FailCode }
  | { command: 'rendezvous'; cookie: Uint8Array }
  | { command: 'join'; cookie: Uint8Array }
  | { command: 'joined' }
  | { command: 'rendezvous-established' }
  | { command: 'establish-intro'; descriptor: Uint8Array; proof: Uint8Array }
  | { command: 'intro-established' }
  | { command: 'introduce'; service: Uint8Array; X: Uint8Array; sealed: Uint8Array }
  | { command: 'introduce-ack'; ok: boolean }
  | { command: 'drop' }
  | { command: 'sendme'; tag: Uint8Array }
  | { command: 'receipt'; receipt: Uint8Array };

/**
 * Why a hop could not do what the originator asked: a code, so no text a relay
 * composed (its errors, its state, a hostile relay's message) reaches the originator.
 */
export type FailCode = 'unreachable' | 'refused' | 'limit' | 'no-rendezvous' | 'not-introduced' | 'table-full' | 'expired' | 'protocol';
export const FAIL_CODES: readonly FailCode[] = ['unreachable', 'refused', 'limit', 'no-rendezvous', 'not-introduced', 'table-full', 'expired', 'protocol'];

const COMMANDS = ['extend', 'extended', 'data', 'extend-failed', 'rendezvous', 'join', 'joined', 'establish-intro', 'intro-established', 'introduce', 'introduce-ack', 'drop', 'sendme', 'receipt', 'rendezvous-established'] as const;
/** A rendezvous cookie: random, known only to the two ends that meet. */
export const COOKIE_BYTES = 20;
/** An introduction's cookie and rendezvous point, sealed with AES-GCM (its 16-byte tag) to the service key (intro-seal.ts). */
export const SEALED_INTRO_BYTES = COOKIE_BYTES + KEY_BYTES + 16;

export function encodeCommand(c: RelayCommand): Uint8Array {
  const w = new BinaryWriter(c.command === 'data' ? 1 + c.data.length : c.command === 'establish-intro' ? 3 + c.descriptor.length + SIGNATURE_BYTES : 96);
  w.u8(COMMANDS.indexOf(c.command) + 1);
  switch (c.command) {
    case 'extend':
      w.fixed(c.next, KEY_BYTES).fixed(c.X, X25519_KEY_BYTES);
      break;
    case 'extended':
      w.fixed(c.Y, X25519_KEY_BYTES).fixed(c.auth, AUTH_BYTES);
      break;
    case 'data':
      if (c.data.length > MAX_DATA_BYTES) throw new RangeError(`a data cell carries at most ${MAX_DATA_BYTES} bytes`);
      w.fixed(c.data, c.data.length);
      break;
    case 'extend-failed':
      w.u8(FAIL_CODES.indexOf(c.code));
      break;
    case 'rendezvous':
    case 'join':
      w.fixed(c.cookie, COOKIE_BYTES);
      break;
    case 'joined':
    case 'rendezvous-established':
    case 'intro-established':
    case 'drop':
      break;
    case 'establish-intro':
      w.bytes(c.descriptor, MAX_DESCRIPTOR_BYTES).fixed(c.proof, SIGNATURE_BYTES);
      break;
    case 'introduce':
      w.fixed(c.service, KEY_BYTES).fixed(c.X, X25519_KEY_BYTES).fixed(c.sealed, SEALED_INTRO_BYTES);
      break;
    case 'introduce-ack':
      w.u8(c.ok ? 1 : 0);
      break;
    case 'sendme':
      w.fixed(c.tag, TAG_BYTES);
      break;
    case 'receipt':
      w.fixed(c.receipt, RECEIPT_BYTES);
      break;
  }
  return w.finish();
}

export function decodeCommand(bytes: Uint8Array): RelayCommand {
  const r = new BinaryReader(bytes);
  const command = COMMANDS[r.u8('command') - 1];
  if (command === undefined) throw new DecodeError('unknown-type', `unknown relay command ${bytes[0]}`);
  let c: RelayCommand;
  switch (command) {
    case 'extend':
      c = { command, next: r.fixed(KEY_BYTES, 'next hop key'), X: r.fixed(X25519_KEY_BYTES, 'X') };
      break;
    case 'extended':
      c = { command, Y: r.fixed(X25519_KEY_BYTES, 'Y'), auth: r.fixed(AUTH_BYTES, 'auth') };
      break;
    case 'data':
      if (r.remaining > MAX_DATA_BYTES) throw new DecodeError('too-long', `a data cell of ${r.remaining} bytes is over ${MAX_DATA_BYTES}`);
      c = { command, data: r.view(r.remaining, 'data') };
      break;
    case 'extend-failed':
    {
      const code = FAIL_CODES[r.u8('failure code')];
      if (code === undefined) throw new DecodeError('invalid-value', 'unknown failure code');
      c = { command, code };
      break;
    }
    case 'rendezvous':
    case 'join':
      c = { command, cookie: r.fixed(COOKIE_BYTES, 'cookie') };
      break;
    case 'joined':
    case 'rendezvous-established':
    case 'intro-established':
    case 'drop':
      c = { command };
      break;
    case 'establish-intro':
      c = { command, descriptor: r.bytes(MAX_DESCRIPTOR_BYTES, 'descriptor'), proof: r.fixed(SIGNATURE_BYTES, 'introduction proof') };
      break;
    case 'introduce':
      c = { command, service: r.fixed(KEY_BYTES, 'service key'), X: r.fixed(X25519_KEY_BYTES, 'X'), sealed: r.fixed(SEALED_INTRO_BYTES, 'sealed introduction') };
      break;
    case 'introduce-ack': {
      const ok = r.u8('ok');
      if (ok > 1) throw new DecodeError('invalid-value', 'introduce-ack is 0 or 1');
      c = { command, ok: ok === 1 };
      break;
    }
    case 'sendme':
      c = { command, tag: r.fixed(TAG_BYTES, 'sendme tag') };
      break;
    case 'receipt':
      c = { command, receipt: r.fixed(RECEIPT_BYTES, 'receipt') };
      break;
  }
  r.end(`${command} command`);
  return c;
}

/** The onion size class of a command: the smallest of CELL_SIZES that holds it, padded, under the onion's overhead. */
export function cellClass(commandBytes: number): number {
  const need = CELL_HEADER_BYTES + commandBytes + ONION_OVERHEAD;
  const size = CELL_SIZES.find((s) => s >= need);
  if (size === undefined) throw new RangeError(`a command of ${commandBytes} bytes fits no cell`);
  return size;
}

/** A cell for any hop, either way: the command, padded so its onion has its class's size. */
export function encodeCell(c: RelayCommand): Uint8Array {
  const command = encodeCommand(c);
  const cell = new Uint8Array(cellClass(command.length) - ONION_OVERHEAD);
  new DataView(cell.buffer).setUint32(0, command.length);
  cell.set(command, CELL_HEADER_BYTES);
  return cell;
}

/** A cell's command; its padding must be zeros, so a cell has one encoding. */
export function decodeCell(bytes: Uint8Array): RelayCommand {
  if (bytes.length > MAX_FRAME_BYTES) throw new DecodeError('too-long', `a cell of ${bytes.length} bytes is over ${MAX_FRAME_BYTES}`);
  const r = new BinaryReader(bytes);
  const length = r.u32('command length');
  if (length > r.remaining) throw new DecodeError('truncated', `a command of ${length} bytes in a cell of ${bytes.length}`);
  const command = decodeCommand(r.view(length, 'command'));
  for (const b of r.view(r.remaining, 'padding')) if (b !== 0) throw new DecodeError('invalid-value', 'a cell is padded with zeros');
  return command;
}
