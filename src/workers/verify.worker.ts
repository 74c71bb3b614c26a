/// <reference lib="webworker" />
/**
 * Signature verification worker: verifies batches with the best engine
 * available (native WebCrypto Ed25519, else noble), under the Trustmesh rule.
 */
import { bestEngine, nobleEngine, webCryptoEngine, type VerifyEngine } from './verify-engine.ts';
import type { VerifyRequest, VerifyResponse } from './verify-protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

let engine: Promise<VerifyEngine> = bestEngine();

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
