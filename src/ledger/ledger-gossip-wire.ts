/**
 * What the ledger spreads to everyone, on the GossipSub topic
 * /trustmesh/ledger-gossip/1.0.0 (the version is the format's). A message is:
 *
 *   version u8 (1) | kind u8 | body
 *
 *   1 block pair   proposal, agreement (each u16 length + half-block encoding)
 *   2 fraud proof  u16 length + proof encoding (fraud.ts)
 *
 * GossipSub knows a message by the hash of these bytes, so the encoding is
 * canonical: one payload, one encoding. The decoder trusts nothing (bounded
 * lengths, DecodeError only, no trailing bytes).
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import type { HalfBlock } from './block.ts';
import { encodeBlock, readBlock } from './block-codec.ts';
import { MAX_BLOCK_BYTES } from './constants.ts';
import { encodeFraudProof, MAX_FRAUD_PROOF_BYTES, readFraudProof, type FraudProof } from './fraud.ts';

export const LEDGER_GOSSIP_TOPIC = '/trustmesh/ledger-gossip/1.0.0';
export const LEDGER_GOSSIP_VERSION = 1;

export type GossipPayload = { kind: 'pair'; proposal: HalfBlock; agreement: HalfBlock } | { kind: 'fraud'; proof: FraudProof };

/** The largest message: a pair of the largest blocks, or a proof of them, with their headers. */
export const MAX_LEDGER_GOSSIP_BYTES = 2 + Math.max(2 * (2 + MAX_BLOCK_BYTES), 2 + MAX_FRAUD_PROOF_BYTES);

export function encodeGossipPayload(p: GossipPayload): Uint8Array {
  const w = new BinaryWriter(1024).u8(LEDGER_GOSSIP_VERSION);
  if (p.kind === 'pair') w.u8(1).bytes(encodeBlock(p.proposal), MAX_BLOCK_BYTES).bytes(encodeBlock(p.agreement), MAX_BLOCK_BYTES);
  else w.u8(2).bytes(encodeFraudProof(p.proof), MAX_FRAUD_PROOF_BYTES);
  return w.finish();
}

function readBounded<T>(r: BinaryReader, max: number, what: string, read: (inner: BinaryReader) => T): T {
  const inner = new BinaryReader(r.bytes(max, what));
  const value = read(inner);
  inner.end(what);
  return value;
}

/** Decodes one message; throws only DecodeError. */
export function decodeGossipPayload(bytes: Uint8Array): GossipPayload {
  if (bytes.length > MAX_LEDGER_GOSSIP_BYTES) throw new DecodeError('too-long', `a ledger gossip message of ${bytes.length} bytes is over ${MAX_LEDGER_GOSSIP_BYTES}`);
  const r = new BinaryReader(bytes);
  const version = r.u8('version');
  if (version !== LEDGER_GOSSIP_VERSION) throw new DecodeError('unknown-version', `ledger gossip version ${version} is not supported`);
  const kind = r.u8('gossip kind');
  let payload: GossipPayload;
  if (kind === 1) {
    const proposal = readBounded(r, MAX_BLOCK_BYTES, 'proposal', readBlock);
    payload = { kind: 'pair', proposal, agreement: readBounded(r, MAX_BLOCK_BYTES, 'agreement', readBlock) };
  } else if (kind === 2) payload = { kind: 'fraud', proof: readBounded(r, MAX_FRAUD_PROOF_BYTES, 'fraud proof', readFraudProof) };
  else throw new DecodeError('unknown-type', `unknown ledger gossip kind ${kind}`);
  r.end('ledger gossip message');
  return payload;
}
