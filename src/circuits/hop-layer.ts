/**
 * One direction of one hop's onion layer, length-preserving, so a cell has the
 * same size at every position of a path and a relay cannot tell from sizes how
 * far it is from either end (Tor's relay crypto, with an authenticated end):
 *
 * - every hop the cell passes XORs an AES-256-CTR keystream over the whole cell;
 * - the hop the cell is for finds, under its own keystream, RECOGNIZED_BYTES of
 *   zeros and then an AES-256-GCM seal of the cell's plaintext, under a second key.
 *
 * Both keys come from the hop's handshake key by HKDF. Cells are numbered
 * implicitly per direction (a reliable, ordered stream): cell i takes the
 * keystream at counter block prefix ‖ i ‖ 0 and the seal nonce prefix ‖ i, so
 * neither is ever reused. A relay cannot authenticate a cell that only passes
 * through it: a cell a relay altered fails at the hop it is for and is dropped;
 * a cell a relay inserted or removed shifts every later hop's count, so the
 * circuit's later cells fail there too and the circuit is cut. A hostile relay
 * can break a circuit (as it can by closing it), never forge into it.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { HopKeys } from './handshake.ts';
import { counterNonce, TAG_BYTES } from './layer.ts';

/** Zeros that mark a cell as this hop's: a false match (2^-32) only costs a seal check that fails. */
export const RECOGNIZED_BYTES = 4;
/** Bytes the onion adds to a cell, once, whatever the path's length: the recognized field and the seal's tag. */
export const ONION_OVERHEAD = RECOGNIZED_BYTES + TAG_BYTES;
/** CTR counter bits per cell: 2^32 blocks of 16 bytes, far beyond any cell. */
const BLOCK_COUNTER_BITS = 32;
const KEYSTREAM_INFO = new TextEncoder().encode('trustmesh circuits 4 keystream');
const SEAL_INFO = new TextEncoder().encode('trustmesh circuits 4 seal');

/** A cell with this hop's layer removed: the cell for the next hop, and its plaintext if it was for us. */
export interface Peeled {
  /** What goes on to the next hop (same length); when the cell is ours, its sealed form (its last bytes are the seal's tag). */
  cell: Uint8Array;
  mine: Uint8Array | undefined;
}

export class HopLayer {
  private counter = 0n;
  /** Peels complete in call order, one after another, so a caller that peels the next layer after this one keeps the cells' order. */
  private peeling: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly subtle: SubtleCrypto,
    private readonly keystreamKey: CryptoKey,
    private readonly sealKey: CryptoKey,
    private readonly prefix: Uint8Array,
  ) {}

  static async create(subtle: SubtleCrypto, rawKey: Uint8Array, noncePrefix: Uint8Array): Promise<HopLayer> {
    if (rawKey.length !== 32 || noncePrefix.length !== 4) throw new RangeError('a layer takes a 32-byte key and a 4-byte nonce prefix');
    const [keystreamKey, sealKey] = await Promise.all([
      subtle.importKey('raw', hkdf(sha256, rawKey, undefined, KEYSTREAM_INFO, 32) as BufferSource, { name: 'AES-CTR' }, false, ['encrypt']),
      subtle.importKey('raw', hkdf(sha256, rawKey, undefined, SEAL_INFO, 32) as BufferSource, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']),
    ]);
    return new HopLayer(subtle, keystreamKey, sealKey, noncePrefix.slice());
  }

  /**
   * Seals a cell's plaintext for this hop as the cell's innermost layer: `sealed`
   * (zeros, the GCM seal) and `cell` (under this hop's keystream). Its number is
   * taken now, so concurrent calls keep call order.
   */
  reserveSeal(): (plain: Uint8Array) => Promise<{ sealed: Uint8Array; cell: Uint8Array }> {
    const n = this.counter++;
    return async (plain) => {
      const ct = new Uint8Array(await this.subtle.encrypt({ name: 'AES-GCM', iv: this.nonce(n) as BufferSource }, this.sealKey, plain as BufferSource));
      const sealed = new Uint8Array(RECOGNIZED_BYTES + ct.length);
      sealed.set(ct, RECOGNIZED_BYTES);
      return { sealed, cell: await this.keystream(n, sealed) };
    };
  }

  /** Adds this hop's keystream to a cell for a hop beyond it; its number is taken now. */
  reserveWrap(): (cell: Uint8Array) => Promise<Uint8Array> {
    const n = this.counter++;
    return (cell) => this.keystream(n, cell);
  }

  /**
   * Removes this hop's keystream from the next cell of this direction and
   * checks whether it is ours. Calls are numbered at the call and complete in
   * call order.
   */
  peel(cell: Uint8Array): Promise<Peeled> {
    const n = this.counter++;
    const result = this.peeling.then(async (): Promise<Peeled> => {
      const inner = await this.keystream(n, cell);
      return { cell: inner, mine: await this.open(n, inner) };
    });
    this.peeling = result.catch(() => undefined); // one failed call must not fail every later one
    return result;
  }

  private async open(n: bigint, inner: Uint8Array): Promise<Uint8Array | undefined> {
    if (inner.length < ONION_OVERHEAD) return undefined;
    for (let i = 0; i < RECOGNIZED_BYTES; i++) if (inner[i] !== 0) return undefined;
    try {
      return new Uint8Array(await this.subtle.decrypt({ name: 'AES-GCM', iv: this.nonce(n) as BufferSource }, this.sealKey, inner.subarray(RECOGNIZED_BYTES) as BufferSource));
    } catch {
      return undefined; // zeros by chance, or altered on the way
    }
  }

  private keystream(n: bigint, bytes: Uint8Array): Promise<Uint8Array> {
    const block = new Uint8Array(16); // the nonce, then a 32-bit block counter from 0
    block.set(counterNonce(this.prefix, n));
    return this.subtle.encrypt({ name: 'AES-CTR', counter: block as BufferSource, length: BLOCK_COUNTER_BITS }, this.keystreamKey, bytes as BufferSource).then((b) => new Uint8Array(b));
  }

  private nonce(n: bigint): Uint8Array {
    return counterNonce(this.prefix, n);
  }
}

/** A hop's two layers: forward (originator → hop) and backward; both ends build the same pair. */
export function hopLayersOf(subtle: SubtleCrypto, k: HopKeys): Promise<[HopLayer, HopLayer]> {
  return Promise.all([HopLayer.create(subtle, k.forwardKey, k.forwardNonce), HopLayer.create(subtle, k.backwardKey, k.backwardNonce)]);
}
