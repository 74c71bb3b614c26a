/**
 * One direction of an end-to-end sealed channel: AES-256-GCM (WebCrypto, so the work
 * runs on the browser's crypto thread, not the page's) with a 96-bit nonce of
 * a 4-byte per-direction prefix and a 64-bit counter.
 *
 * Counters are implicit: both ends count the cells of this direction, which
 * arrive in order on a reliable stream. A replayed, reordered, forged or
 * corrupted cell fails authentication and is dropped without advancing the
 * counter, so the circuit's genuine traffic goes on. A nonce is never reused:
 * `seal` takes its counter synchronously, at the call.
 *
 * Inside each layer, one byte says what the rest is (DELIVER: a message).
 *
 * Onion cells along a path use hop-layer.ts (length-preserving); this cipher
 * seals the end-to-end channel between the two ends of a spliced circuit
 * (hidden-service.ts), inside the data cells, where a tag per message costs
 * nothing in what relays can learn.
 */
import type { HopKeys } from './handshake.ts';

export const TAG_BYTES = 16;
export const FORWARD = 0;
export const DELIVER = 1;
/** Bytes one layer adds to a cell: the kind byte and the GCM tag. */
export const LAYER_OVERHEAD = 1 + TAG_BYTES;

/** A 96-bit nonce: a 4-byte per-direction prefix and a 64-bit message counter. */
export function counterNonce(prefix: Uint8Array, n: bigint): Uint8Array {
  const iv = new Uint8Array(12);
  iv.set(prefix);
  new DataView(iv.buffer).setBigUint64(4, n);
  return iv;
}

export class LayerCipher {
  private counter = 0n;
  private opening: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly subtle: SubtleCrypto,
    private readonly key: CryptoKey,
    private readonly prefix: Uint8Array,
  ) {}

  static async create(subtle: SubtleCrypto, rawKey: Uint8Array, noncePrefix: Uint8Array): Promise<LayerCipher> {
    if (rawKey.length !== 32 || noncePrefix.length !== 4) throw new RangeError('a layer takes a 32-byte key and a 4-byte nonce prefix');
    const key = await subtle.importKey('raw', rawKey as BufferSource, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    return new LayerCipher(subtle, key, noncePrefix.slice());
  }

  private nonce(n: bigint): Uint8Array {
    return counterNonce(this.prefix, n);
  }

  /** Encrypts `kind ‖ body`; the nonce is taken now, so concurrent calls stay in call order. */
  seal(kind: number, body: Uint8Array): Promise<Uint8Array> {
    return this.reserveSeal(kind)(body);
  }

  /** Takes the next nonce now, for a body that is not ready yet (an inner layer still being sealed). */
  reserveSeal(kind: number): (body: Uint8Array) => Promise<Uint8Array> {
    const iv = this.nonce(this.counter++);
    return (body) => {
      const plain = new Uint8Array(1 + body.length);
      plain[0] = kind;
      plain.set(body, 1);
      return this.subtle.encrypt({ name: 'AES-GCM', iv: iv as BufferSource }, this.key, plain).then((ct) => new Uint8Array(ct));
    };
  }

  /**
   * Decrypts the next cell of this direction: its kind and body, or undefined
   * when it does not authenticate (then the counter stays where it was).
   * Calls are taken in order.
   */
  open(cell: Uint8Array): Promise<{ kind: number; body: Uint8Array } | undefined> {
    const result = this.opening.then(async () => {
      if (cell.length < LAYER_OVERHEAD) return undefined;
      try {
        const plain = new Uint8Array(await this.subtle.decrypt({ name: 'AES-GCM', iv: this.nonce(this.counter) as BufferSource }, this.key, cell as BufferSource));
        this.counter++;
        return { kind: plain[0]!, body: plain.subarray(1) };
      } catch {
        return undefined;
      }
    });
    this.opening = result;
    return result;
  }
}

/** A hop's two layers: forward (originator → hop) and backward; both ends build the same pair. */
export async function layersOf(subtle: SubtleCrypto, k: HopKeys): Promise<[LayerCipher, LayerCipher]> {
  return Promise.all([LayerCipher.create(subtle, k.forwardKey, k.forwardNonce), LayerCipher.create(subtle, k.backwardKey, k.backwardNonce)]);
}
