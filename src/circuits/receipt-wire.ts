/**
 * Wire format of a payment receipt (pure): what a hop signs, and sends its
 * originator in a backward `receipt` relay command (cell-wire.ts), each time
 * its previous hop's payment for a circuit is credited to it.
 *
 *   receipt  version u8 (1) | binding (32) | hop key (32) | payer key (32) |
 *            received u64 (tokens, cumulative on this circuit) |
 *            signature (64) by the hop key over RECEIPT_DOMAIN ‖ the bytes before it
 *
 * The binding is the hash of the hop's handshake keys with the originator
 * (descriptors.ts circuitBinding): fresh per circuit and per hop, known only
 * to the two, so a receipt signed for one circuit fails on every other. The
 * layer it arrives under already tells the originator which hop sent it;
 * the signature is what lets the originator show it to anyone else.
 *
 * Decoders take untrusted bytes: fixed length, DecodeError only. Signatures
 * are checked by the receiver (payment-receipts.ts), not here.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { concatBytes, utf8 } from '../codec/bytes.ts';

export const RECEIPT_VERSION = 1;
/** Domain separation: a receipt signature never passes for a block, announcement or proof. */
export const RECEIPT_DOMAIN = utf8.encode('trustmesh/circuits/receipt/1');
const SIGNED_BYTES = 1 + 32 + 32 + 32 + 8;
export const RECEIPT_BYTES = SIGNED_BYTES + 64;

export interface ReceiptBody {
  /** The circuit binding of the hop's handshake with the originator. */
  binding: Uint8Array;
  /** Who signs: the hop that received. */
  hop: Uint8Array;
  /** Who paid it: its previous hop (the originator, at the first hop). */
  payer: Uint8Array;
  /** Tokens received from the payer on this circuit so far. */
  received: bigint;
}

export interface PaymentReceipt extends ReceiptBody {
  signature: Uint8Array;
}

function writeBody(w: BinaryWriter, b: ReceiptBody): BinaryWriter {
  return w.u8(RECEIPT_VERSION).fixed(b.binding, 32).fixed(b.hop, 32).fixed(b.payer, 32).u64(b.received);
}

/** The bytes a receipt's signature covers. */
export function receiptSigningBytes(b: ReceiptBody): Uint8Array {
  return concatBytes(RECEIPT_DOMAIN, writeBody(new BinaryWriter(SIGNED_BYTES), b).finish());
}

/** Signs a receipt with the hop's identity (`sign` is its Ed25519 signer). */
export async function signReceipt(b: ReceiptBody, sign: (message: Uint8Array) => Promise<Uint8Array>): Promise<Uint8Array> {
  return encodeReceipt({ ...b, signature: await sign(receiptSigningBytes(b)) });
}

export function encodeReceipt(r: PaymentReceipt): Uint8Array {
  return writeBody(new BinaryWriter(RECEIPT_BYTES), r).fixed(r.signature, 64).finish();
}

export function decodeReceipt(bytes: Uint8Array): PaymentReceipt {
  if (bytes.length !== RECEIPT_BYTES) throw new DecodeError(bytes.length > RECEIPT_BYTES ? 'too-long' : 'truncated', `a receipt is ${RECEIPT_BYTES} bytes, not ${bytes.length}`);
  const r = new BinaryReader(bytes);
  const version = r.u8('receipt version');
  if (version !== RECEIPT_VERSION) throw new DecodeError('unknown-version', `receipt version ${version} is not supported`);
  const receipt = { binding: r.fixed(32, 'binding'), hop: r.fixed(32, 'hop key'), payer: r.fixed(32, 'payer key'), received: r.u64('received'), signature: r.fixed(64, 'signature') };
  r.end('receipt');
  return receipt;
}
