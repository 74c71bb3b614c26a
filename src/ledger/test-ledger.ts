/**
 * A LedgerService for unit tests: on an in-memory hub, with its own IndexedDB
 * store (fake-indexeddb in Node), noble crypto, no background work, and a
 * bandwidth policy that accepts everything unless the test says otherwise.
 */
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { nobleSigner } from '../crypto/signers.ts';
import { nobleEngine } from '../workers/verify-engine.ts';
import { IdbBlockStore } from './idb-store.ts';
import { LedgerService } from './ledger-service.ts';
import type { LedgerTransport, PeerRef } from './ledger-transport.ts';
import type { MemoryHub } from './memory-transport.ts';
import type { LedgerSeams } from './seams.ts';
import { BANDWIDTH } from './transactions/bandwidth.ts';
import { defaultRegistry } from './transactions/default-registry.ts';
import type { TransactionRegistry } from './transactions/registry.ts';
import { inlineVerifier } from './verifier.ts';

export interface TestLedger {
  ref: PeerRef;
  seed: Uint8Array;
  store: IdbBlockStore;
  ledger: LedgerService;
  seams: LedgerSeams;
  transport: LedgerTransport;
}

export async function startTestLedger(hub: MemoryHub, name: string, seed: Uint8Array, db: string, now: () => number = Date.now, registry: TransactionRegistry = defaultRegistry()): Promise<TestLedger> {
  const publicKey = publicKeyFromSeed(seed);
  const ref = { id: name, publicKey };
  const store = await IdbBlockStore.open(publicKey, now, db);
  const seams: LedgerSeams = {};
  const transport = hub.join(ref);
  const ledger = await LedgerService.start({
    signer: nobleSigner(seed),
    store,
    registry,
    verifier: inlineVerifier(nobleEngine),
    transport,
    now,
    random: Math.random,
    background: false,
    seams,
  });
  ledger.setAcceptancePolicy(BANDWIDTH, () => true);
  return { ref, seed, store, ledger, seams, transport };
}
