/** Browser glue: starts trust (display only) over a running ledger; without a worker the app runs on without it, silently. */
import { ReputationService } from '../reputation/reputation-service.ts';
import { ReputationClient } from '../workers/reputation-client.ts';
import type { LedgerRuntime } from './ledger-runtime.ts';

export function startReputation(ledger: LedgerRuntime): ReputationService | undefined {
  try {
    return ReputationService.start({ ledger: ledger.service, store: ledger.store, registry: ledger.registry, client: new ReputationClient() });
  } catch {
    // A worker that cannot even be created: trust is shown nowhere, nothing else depends on it.
    return undefined;
  }
}
