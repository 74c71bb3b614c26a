/** Starts the ledger of a tab: IndexedDB store, verification workers, native signer, libp2p transport. */
import type { Libp2p } from 'libp2p';
import type { GossipServices } from '../net/gossipsub-channel.ts';
import { bestSigner, type MessageSigner } from '../crypto/signers.ts';
import type { Identity } from '../identity/identity.ts';
import { IdbBlockStore } from '../ledger/idb-store.ts';
import { LedgerService } from '../ledger/ledger-service.ts';
import { libp2pLedgerTransport } from '../ledger/libp2p-transport.ts';
import { defaultRegistry } from '../ledger/transactions/default-registry.ts';
import { registerExchangeTypes } from '../exchange/tradechain/register.ts';
import type { TransactionRegistry } from '../ledger/transactions/registry.ts';
import { VerifyPool } from '../workers/verify-pool.ts';
import { bestEngine } from '../workers/verify-engine.ts';
import { decodeBlock } from '../ledger/block-codec.ts';
import { Ingestor } from '../ledger/ingest.ts';
import { inlineVerifier } from '../ledger/verifier.ts';
import type { HalfBlock } from '../ledger/block.ts';
import type { LedgerSeams } from '../ledger/seams.ts';
import { IdentityStore } from '../identity/identity-store.ts';
import type { LedgerTransport } from '../ledger/ledger-transport.ts';

export interface LedgerRuntime {
  service: LedgerService;
  signer: MessageSigner;
  store: IdbBlockStore;
  pool: VerifyPool;
  registry: TransactionRegistry;
  /** The ledger's own transport (test code sends hand-made frames over it). */
  transport: LedgerTransport;
  stop(): void;
}

export async function startLedger(identity: Identity, node: Libp2p<GossipServices>, seams?: LedgerSeams): Promise<LedgerRuntime> {
  // TradeChain blocks are validated by their rules like every other type (the market's code loads later; its types are small).
  const registry = registerExchangeTypes(defaultRegistry());
  const store = await IdbBlockStore.open(identity.publicKey);
  const pool = VerifyPool.start();
  const signer = await bestSigner(identity.seed);
  const transport = libp2pLedgerTransport(node);
  const service = await LedgerService.start({
    signer,
    store,
    registry,
    verifier: pool,
    transport,
    now: Date.now,
    random: Math.random,
    seams,
  });
  void syncIfRestored(service);
  return {
    service,
    signer,
    store,
    pool,
    registry,
    transport,
    stop() {
      service.stop();
      pool.terminate();
      store.close();
    },
  };
}

/**
 * A restored identity asks its first peers for its own chain head before it
 * signs anything (the backup may be older than what its other copy signed);
 * the restore flag is cleared once a peer answered, so a start that reached
 * nobody tries again next time.
 */
async function syncIfRestored(service: LedgerService): Promise<void> {
  const identities = await IdentityStore.open();
  try {
    if (!(await identities.restoredUnsynced())) return;
    if (await service.syncOwnHeadBeforeSigning()) await identities.markSynced();
  } finally {
    identities.close();
  }
}

/**
 * Restores the ledger records of an identity backup (its own chain and the
 * halves linked to it), validated like any crawl and committed durably, so the
 * restored identity continues its chain. Returns how many blocks were kept.
 */
export async function restoreLedgerRecords(identity: Identity, records: readonly Uint8Array[]): Promise<number> {
  if (records.length === 0) return 0;
  const blocks: HalfBlock[] = [];
  for (const r of records) {
    try {
      blocks.push(decodeBlock(r));
    } catch {
      // A damaged record is skipped; validation decides about the rest.
    }
  }
  const store = await IdbBlockStore.open(identity.publicKey);
  try {
    const result = await new Ingestor(store, registerExchangeTypes(defaultRegistry()), inlineVerifier(await bestEngine()), identity.publicKey).ingest(blocks, 'strict');
    return result.validated.filter((v) => v.result.outcome !== 'invalid').length;
  } finally {
    store.close();
  }
}
