/** Browser glue: starts trust over a running ledger, and hands the decisions that judge peers its view. */
import { toHex } from '../codec/bytes.ts';
import type { VerifiedBalance } from '../ledger/ledger-service.ts';
import { ReputationService } from '../reputation/reputation-service.ts';
import { trustedNet } from '../reputation/trusted-balance.ts';
import { ReputationClient } from '../workers/reputation-client.ts';
import type { LedgerRuntime } from './ledger-runtime.ts';

export function startReputation(ledger: LedgerRuntime): ReputationService | undefined {
  try {
    return ReputationService.start({ ledger: ledger.service, store: ledger.store, registry: ledger.registry, client: new ReputationClient() });
  } catch {
    // A worker that cannot even be created: no trust figures, so every peer is judged as a newcomer (below).
    return undefined;
  }
}

/** How sharing and relaying judge a peer: credits count up to its trusted standing; without trust, not at all. */
export function judgingOf(reputation: ReputationService | undefined) {
  return {
    judge: (key: Uint8Array, v: VerifiedBalance): bigint => (reputation === undefined ? trustedNet(v, undefined) : reputation.judge(toHex(key), v)),
    trust: (key: Uint8Array): number | undefined => reputation?.trust(toHex(key)),
  };
}
