/** Starts the ledger of a tab: IndexedDB store, verification workers, native signer, libp2p transport. */
import type { Libp2p } from 'libp2p';
import { bestSigner } from '../crypto/signers.ts';
import type { Identity } from '../identity/identity.ts';
import { IdbBlockStore } from '../ledger/idb-store.ts';
import { LedgerService } from '../ledger/ledger-service.ts';
import { libp2pLedgerTransport } from '../ledger/libp2p-transport.ts';
import { defaultRegistry } from '../ledger/transactions/default-registry.ts';
import type { TransactionRegistry } from '../ledger/transactions/registry.ts';
import { VerifyPool } from '../workers/verify-pool.ts';

export interface LedgerRuntime {
  service: LedgerService;
  store: IdbBlockStore;
  pool: VerifyPool;
  registry: TransactionRegistry;
  stop(): void;
}

export async function startLedger(identity: Identity, node: Libp2p): Promise<LedgerRuntime> {
  const registry = defaultRegistry();
  const store = await IdbBlockStore.open(identity.publicKey);
  const pool = await VerifyPool.start();
  const service = await LedgerService.start({
    signer: await bestSigner(identity.seed),
    store,
    registry,
    verifier: pool,
    transport: libp2pLedgerTransport(node),
    now: Date.now,
    random: Math.random,
  });
  return {
    service,
    store,
    pool,
    registry,
    stop() {
      service.stop();
      pool.terminate();
      store.close();
    },
  };
}
