/**
 * Where a test build injects hostile behaviour into a running tab. main.ts
 * creates empty seams only in test builds (`vite build --mode test`) and
 * test-hooks.ts fills them in from Playwright; production builds pass none,
 * so no production class carries a switch whose only purpose is to misbehave.
 * Each capability declares its own seams (what may be intercepted, never how).
 */
import type { CircuitSeams } from '../circuits/seams.ts';
import type { DiscoverySeams } from '../discovery/seams.ts';
import type { ExitSeams } from '../exits/seams.ts';
import type { MarketSeams } from '../exchange/seams.ts';
import type { MiningSeams } from '../mining/miner.ts';
import type { LedgerSeams } from '../ledger/seams.ts';
import type { SharingSeams } from '../sharing/seams.ts';

export interface FaultSeams {
  ledger: LedgerSeams;
  sharing: SharingSeams;
  circuits: CircuitSeams;
  exits: ExitSeams;
  market: MarketSeams;
  mining: MiningSeams;
  discovery: DiscoverySeams;
}

export function emptySeams(): FaultSeams {
  return { ledger: {}, sharing: {}, circuits: {}, exits: {}, market: {}, mining: {}, discovery: {} };
}
