/**
 * Where a test build injects hostile or hurried behaviour into the market
 * (see src/app/fault-seams.ts): what may be intercepted, never how.
 */
import type { SettlementConfig } from './settlement.ts';
import type { TradeSeams } from './trade-runner.ts';

export interface MarketSeams extends TradeSeams {
  /** Settlement timings for tests that wait for a timeout (a real chain's defaults are minutes). */
  settlement?: Partial<SettlementConfig>;
}
