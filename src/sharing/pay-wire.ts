/**
 * Wire format of the `trustmesh_pay` BEP 10 extension, which carries the
 * ledger between two Trustmesh peers on the BitTorrent wire.
 *
 * Extended handshake fields (bencoded by the wire): tm_v = 1, tm_key = the
 * sender's Ed25519 key (32 bytes), tm_nonce = 16 random bytes for this connection.
 *
 * Extension messages: type u8, then
 *   1 proof    signature (64): the sender owns tm_key on this connection (see identity-proof.ts)
 *   2 head     u16 length + block: the sender's latest token-carrying block (its balance)
 *   3 ack      u64: hash-verified bytes the sender has received from the receiver, in total
 *   4 ledger   request id u32, u32 length + ledger message (/trustmesh/ledger wire format)
 *   5 refused  code u8, balance i64, threshold i64: why the sender keeps the receiver choked
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { SIGNATURE_LENGTH } from '../crypto/ed25519.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { encodeBlock, readBlock } from '../ledger/block-codec.ts';
import { MAX_BLOCK_BYTES } from '../ledger/constants.ts';
import { decodeLedgerMessage, encodeLedgerMessage, MAX_LEDGER_FRAME_BYTES, type LedgerMessage } from '../ledger/ledger-wire.ts';

export const PAY_WIRE_VERSION = 1;
export const NONCE_BYTES = 16;

export type RefusalReason = 'balance' | 'fraudster' | 'unpaid' | 'stock';
const REASONS: readonly RefusalReason[] = ['balance', 'fraudster', 'unpaid', 'stock'];

export type PayMessage =
  | { type: 'proof'; signature: Uint8Array }
  | { type: 'head'; block: HalfBlock }
  | { type: 'ack'; verifiedBytes: bigint }
  | { type: 'ledger'; requestId: number; message: LedgerMessage }
  | { type: 'refused'; reason: RefusalReason; balance: bigint; threshold: bigint };

const CODES = { proof: 1, head: 2, ack: 3, ledger: 4, refused: 5 } as const;

export function encodePayMessage(m: PayMessage): Uint8Array {
  const w = new BinaryWriter(128).u8(CODES[m.type]);
  switch (m.type) {
    case 'proof':
      w.fixed(m.signature, SIGNATURE_LENGTH);
      break;
    case 'head':
      w.bytes(encodeBlock(m.block), MAX_BLOCK_BYTES);
      break;
    case 'ack':
      w.u64(m.verifiedBytes);
      break;
    case 'ledger':
      w.u32(m.requestId).bytes(encodeLedgerMessage(m.message), MAX_LEDGER_FRAME_BYTES);
      break;
    case 'refused':
      w.u8(REASONS.indexOf(m.reason)).i64(m.balance).i64(m.threshold);
      break;
  }
  return w.finish();
}

export function decodePayMessage(bytes: Uint8Array): PayMessage {
  const r = new BinaryReader(bytes);
  const code = r.u8('pay message type');
  let m: PayMessage;
  switch (code) {
    case 1:
      m = { type: 'proof', signature: r.fixed(SIGNATURE_LENGTH, 'proof signature') };
      break;
    case 2: {
      const inner = new BinaryReader(r.bytes(MAX_BLOCK_BYTES, 'head block'));
      const block = readBlock(inner);
      inner.end('head block');
      m = { type: 'head', block };
      break;
    }
    case 3:
      m = { type: 'ack', verifiedBytes: r.u64('acknowledged bytes') };
      break;
    case 4: {
      const requestId = r.u32('request id');
      m = { type: 'ledger', requestId, message: decodeLedgerMessage(r.bytes(MAX_LEDGER_FRAME_BYTES, 'ledger message')) };
      break;
    }
    case 5: {
      const reason = REASONS[r.u8('refusal reason')];
      if (reason === undefined) throw new DecodeError('invalid-value', 'unknown refusal reason');
      m = { type: 'refused', reason, balance: r.i64('balance'), threshold: r.i64('threshold') };
      break;
    }
    default:
      throw new DecodeError('unknown-type', `unknown pay message type ${code}`);
  }
  r.end('pay message');
  return m;
}

/** Our fields in the BEP 10 extended handshake. */
export interface PayHandshake {
  version: number;
  publicKey: Uint8Array;
  nonce: Uint8Array;
}

/** Reads our fields from a peer's (bencode-decoded) extended handshake; undefined if absent or malformed. */
export function readPayHandshake(handshake: Record<string, unknown> | undefined): PayHandshake | undefined {
  if (handshake === undefined || handshake === null) return undefined;
  const v = handshake.tm_v;
  const key = handshake.tm_key;
  const nonce = handshake.tm_nonce;
  if (v !== PAY_WIRE_VERSION || !(key instanceof Uint8Array) || key.length !== 32 || !(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) return undefined;
  return { version: v, publicKey: key, nonce };
}

export function payHandshakeFields(publicKey: Uint8Array, nonce: Uint8Array): Record<string, unknown> {
  return { tm_v: PAY_WIRE_VERSION, tm_key: publicKey, tm_nonce: nonce };
}
