/// <reference lib="webworker" />
/**
 * Signature verification worker: verifies batches with the best engine
 * available (native WebCrypto Ed25519, else noble), under the Trustmesh rule.
 */
import { bestEngine, nobleEngine, webCryptoEngine, type VerifyEngine, type VerifyItem } from './verify-engine.ts';
import { BLOCK_MAGIC, KEY_BYTES, SIGNATURE_BYTES } from '../ledger/constants.ts';

/** The owner key follows the magic and the version byte. */
const KEY_OFFSET = BLOCK_MAGIC.length + 1;
import type { VerifyRequest, VerifyResponse } from './verify-protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

let engine: Promise<VerifyEngine> = bestEngine();

/**
 * The items of packed half-block encodings, without copies: this worker owns
 * the transferred buffer, so each block's signature is copied out and zeroed
 * in place, leaving exactly the signed payload (see block-codec.ts).
 */
function unpackBlocks(bytes: ArrayBuffer, offsets: Uint32Array): VerifyItem[] {
  const items: VerifyItem[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) {
    const block = new Uint8Array(bytes, offsets[i]!, offsets[i + 1]! - offsets[i]!);
    const signature = block.slice(block.length - SIGNATURE_BYTES);
    block.fill(0, block.length - SIGNATURE_BYTES);
    items.push({ publicKey: block.subarray(KEY_OFFSET, KEY_OFFSET + KEY_BYTES), message: block, signature });
  }
  return items;
}

self.onmessage = async (event: MessageEvent<VerifyRequest>) => {
  const req = event.data;
  let res: VerifyResponse;
  try {
    switch (req.op) {
      case 'use':
        engine = Promise.resolve(req.engine === 'noble' ? nobleEngine : webCryptoEngine(crypto.subtle));
        res = { id: req.id, op: 'use', engine: (await engine).name };
        break;
      case 'engine':
        res = { id: req.id, op: 'engine', engine: (await engine).name };
        break;
      case 'verify':
        res = { id: req.id, op: 'verify', results: await (await engine).verifyMany(req.items) };
        break;
      case 'verify-blocks':
        res = { id: req.id, op: 'verify-blocks', results: await (await engine).verifyMany(unpackBlocks(req.bytes, req.offsets)) };
        break;
      case 'compare': {
        const native = (await bestEngine()).name === 'webcrypto' ? await webCryptoEngine(crypto.subtle).verifyMany(req.items) : null;
        res = { id: req.id, op: 'compare', native, noble: await nobleEngine.verifyMany(req.items) };
        break;
      }
    }
  } catch (err) {
    res = { id: req.id, op: 'error', message: (err as Error).message };
  }
  self.postMessage(res);
};
