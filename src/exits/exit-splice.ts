/**
 * One exit stream's BitTorrent wire as it passes the exit (pure; after
 * ExitCircuitPolicy). The swarm peer must see the exit, never the originator,
 * and the exit, not the originator, pays it: so the exit rewrites the wire at
 * message boundaries.
 *
 *  Originator -> swarm
 *   - handshake: the peer id becomes the exit's.
 *   - extended handshake: every Trustmesh field (`tm_…`: the originator's key,
 *     nonce, circuit rate) is dropped and the exit's pay fields put in; its
 *     `m.trustmesh_pay` becomes the id the exit takes the peer's pay messages on.
 *   - extended messages on the peer's trustmesh_pay id are dropped (only the
 *     exit speaks for the exit), and so is every extended message before the
 *     peer's extended handshake (BEP 10: ids are the receiver's, none is known yet).
 *   - all else (keep-alives, every other message) passes unchanged.
 *  Swarm -> originator
 *   - extended handshake: its `tm_…` fields and `m.trustmesh_pay` are dropped
 *     (the originator never learns the peer's key); the original is kept for the exit's payer.
 *   - extended messages on the exit's pay id are taken out for the exit's payer.
 *   - all else passes unchanged.
 *
 * Output is whole messages only (partial ones are held), so the exit's own
 * pay messages (payToSwarm) can be written between outputs.
 */
import { toHex } from '../codec/bytes.ts';
import { PAY_EXTENSION } from '../sharing/constants.ts';
import {
  BT_HANDSHAKE_BYTES,
  BtMessageReader,
  BtWireError,
  decodeExtendedHandshake,
  encodeExtended,
  encodeExtendedHandshake,
  EXTENDED_HANDSHAKE_ID,
  extendedOf,
  handshakePeerId,
  joinMessages,
  withPeerId,
} from './bt-messages.ts';
import { MAX_HELD_PAY_BYTES } from './constants.ts';

/** Every Trustmesh field of an extended handshake starts so (tm_v, tm_key, tm_nonce, tm_circuit_rate): each names or prices its sender. */
export const TRUSTMESH_FIELD_PREFIX = 'tm_';
const MAX_EXTENDED_ID = 0xff;
const PEER_ID_BYTES = BT_HANDSHAKE_BYTES - 48;

export interface ExitSpliceConfig {
  /** The exit's BitTorrent peer id toward the swarm (20 bytes). */
  exitPeerId: Uint8Array;
  /** The exit's pay fields: payHandshakeFields(exitKey, nonce). */
  payFields: Record<string, unknown>;
}

/** An extension id as BEP 10 allows it in `m` (1..255; 0 means disabled), or undefined. */
function extensionId(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_EXTENDED_ID ? value : undefined;
}

/** The handshake's `m`, a copy (an empty one if absent); BtWireError if it is not a dict. */
function mappingOf(handshake: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(handshake, 'm')) return {};
  const m = handshake.m;
  if (typeof m !== 'object' || m === null || Array.isArray(m) || ArrayBuffer.isView(m)) throw new BtWireError('extended handshake `m` is not a dict');
  return { ...(m as Record<string, unknown>) };
}

/** The handshake without Trustmesh fields (a shallow copy). */
function withoutTrustmeshFields(handshake: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(handshake).filter(([key]) => !key.startsWith(TRUSTMESH_FIELD_PREFIX)));
}

/**
 * The id the exit asks pay messages on, in the originator's `m`: the
 * originator's own trustmesh_pay id if it has one (so nothing on it can reach
 * the originator), else one its other extensions do not use.
 */
function choosePayId(m: Record<string, unknown>): number {
  const own = extensionId(m[PAY_EXTENSION]);
  if (own !== undefined) return own;
  const used = new Set(Object.entries(m).map(([, v]) => extensionId(v)).filter((id) => id !== undefined));
  const next = Math.max(0, ...used) + 1;
  if (next <= MAX_EXTENDED_ID) return next;
  for (let id = 1; id <= MAX_EXTENDED_ID; id++) if (!used.has(id)) return id;
  throw new BtWireError('no extended id left for the exit');
}

export class ExitSplice {
  readonly exitPeerIdHex: string;
  private readonly exitPeerId: Uint8Array;
  private readonly payFields: Record<string, unknown>;
  private readonly fromOriginatorReader = new BtMessageReader({ handshake: true });
  private readonly fromSwarmReader = new BtMessageReader({ handshake: true });
  private originatorHandshakeSeen = false;
  private swarmHandshakeSeen = false;
  private peerId: string | undefined;
  private peerHandshake: Record<string, unknown> | undefined;
  /** The id the peer sends us pay messages on (we put it in the originator's `m`); undefined before that handshake. */
  private ourPayId: number | undefined;
  /** The id we send the peer pay messages on, from its `m`: undefined before its extended handshake, null if it did not offer one. */
  private peerPayId: number | null | undefined;
  /** Whether the exit's pay fields have gone out to the peer (in the originator's extended handshake). */
  private payFieldsSent = false;
  /** Pay messages for the peer waiting for that. */
  private heldPay: Uint8Array[] = [];
  private heldPayBytes = 0;

  constructor(config: ExitSpliceConfig) {
    if (config.exitPeerId.length !== PEER_ID_BYTES) throw new RangeError('a BitTorrent peer id is 20 bytes');
    this.exitPeerId = config.exitPeerId.slice();
    this.exitPeerIdHex = toHex(this.exitPeerId);
    this.payFields = { ...config.payFields };
    for (const key of Object.keys(this.payFields)) {
      if (!key.startsWith(TRUSTMESH_FIELD_PREFIX)) throw new RangeError(`pay field ${key} does not start with ${TRUSTMESH_FIELD_PREFIX}`);
    }
  }

  /** The peer's BitTorrent peer id (hex), once its handshake passed. */
  get swarmPeerId(): string | undefined {
    return this.peerId;
  }

  /** The peer's first extended handshake as it sent it (with its pay fields), once seen. */
  get swarmHandshake(): Record<string, unknown> | undefined {
    return this.peerHandshake;
  }

  /** Originator -> swarm: bytes to write to the peer (whole messages only; partial ones are held). Throws BtWireError. */
  fromOriginator(bytes: Uint8Array): Uint8Array {
    const out: Uint8Array[] = [];
    for (const message of this.fromOriginatorReader.push(bytes)) {
      if (!this.originatorHandshakeSeen) {
        this.originatorHandshakeSeen = true;
        out.push(withPeerId(message, this.exitPeerId));
        continue;
      }
      const extended = extendedOf(message);
      if (extended === undefined) {
        out.push(message);
      } else if (extended.extId === EXTENDED_HANDSHAKE_ID) {
        out.push(encodeExtended(EXTENDED_HANDSHAKE_ID, this.rewriteOriginatorHandshake(extended.payload)));
        if (!this.payFieldsSent) {
          this.payFieldsSent = true;
          out.push(...this.heldPay);
          this.heldPay = [];
          this.heldPayBytes = 0;
        }
      } else if (this.peerPayId !== undefined && extended.extId !== this.peerPayId) {
        out.push(message);
      }
      // Else dropped: before the peer's extended handshake no id means anything, and its pay id is the exit's to use.
    }
    return joinMessages(out);
  }

  /** Swarm -> originator: bytes for the originator, and the payloads of the peer's trustmesh_pay messages to us. Throws BtWireError. */
  fromSwarm(bytes: Uint8Array): { toOriginator: Uint8Array; pay: Uint8Array[] } {
    const out: Uint8Array[] = [];
    const pay: Uint8Array[] = [];
    for (const message of this.fromSwarmReader.push(bytes)) {
      if (!this.swarmHandshakeSeen) {
        this.swarmHandshakeSeen = true;
        this.peerId = toHex(handshakePeerId(message));
        out.push(message);
        continue;
      }
      const extended = extendedOf(message);
      if (extended === undefined) {
        out.push(message);
      } else if (extended.extId === EXTENDED_HANDSHAKE_ID) {
        out.push(encodeExtended(EXTENDED_HANDSHAKE_ID, this.rewriteSwarmHandshake(extended.payload)));
      } else if (extended.extId === this.ourPayId) {
        pay.push(extended.payload.slice());
      } else {
        out.push(message);
      }
    }
    return { toOriginator: joinMessages(out), pay };
  }

  /**
   * A pay message from the exit to the peer, framed with the peer's
   * trustmesh_pay id; undefined until the peer offered the extension (the
   * message is dropped). Before the exit's pay fields have reached the peer,
   * the message is held and comes out of fromOriginator right after them (and
   * this returns undefined). Safe to write between fromOriginator outputs.
   */
  payToSwarm(payload: Uint8Array): Uint8Array | undefined {
    if (this.peerPayId === undefined || this.peerPayId === null) return undefined;
    const message = encodeExtended(this.peerPayId, payload);
    if (this.payFieldsSent) return message;
    if (this.heldPayBytes + message.length > MAX_HELD_PAY_BYTES) throw new BtWireError('too many pay messages held before the extended handshake');
    this.heldPay.push(message);
    this.heldPayBytes += message.length;
    return undefined;
  }

  private rewriteOriginatorHandshake(payload: Uint8Array): Uint8Array {
    const handshake = decodeExtendedHandshake(payload);
    const m = mappingOf(handshake);
    if (this.ourPayId === undefined) {
      this.ourPayId = choosePayId(m);
    } else {
      // BEP 10 lets a later handshake add extensions; one on the exit's pay id would be taken for pay.
      for (const [name, value] of Object.entries(m)) {
        if (name !== PAY_EXTENSION && extensionId(value) === this.ourPayId) throw new BtWireError('extension remapped onto the exit\'s pay id');
      }
    }
    m[PAY_EXTENSION] = this.ourPayId;
    // Every handshake carries the pay fields: a receiving WebTorrent replaces what it knows of ours with each one.
    return encodeExtendedHandshake({ ...withoutTrustmeshFields(handshake), ...this.payFields, m });
  }

  private rewriteSwarmHandshake(payload: Uint8Array): Uint8Array {
    const handshake = decodeExtendedHandshake(payload);
    const m = mappingOf(handshake);
    if (this.peerHandshake === undefined) {
      this.peerHandshake = handshake;
      this.peerPayId = extensionId(m[PAY_EXTENSION]) ?? null;
    } else if (Object.hasOwn(m, PAY_EXTENSION) && (extensionId(m[PAY_EXTENSION]) ?? null) !== this.peerPayId) {
      // Renumbering it mid-stream races the originator's messages already on their way on the old id.
      throw new BtWireError('the peer renumbered its pay extension');
    }
    delete m[PAY_EXTENSION];
    return encodeExtendedHandshake({ ...withoutTrustmeshFields(handshake), m });
  }
}
