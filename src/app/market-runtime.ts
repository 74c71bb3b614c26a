/**
 * Starts the market of a running tab on first use (the Market page opened,
 * or a trade was active before a reload): its code arrives by dynamic import.
 */
import type { MarketHandle } from '../exchange/market-api.ts';
import { loadMarket } from '../exchange/lazy-market.ts';
import type { RunningPhase } from './app-session.ts';
import type { MarketSeams } from '../exchange/seams.ts';

export function startMarket(running: RunningPhase, seams?: MarketSeams): Promise<MarketHandle> {
  const parts = {
    me: running.identity.publicKey,
    node: running.service.node,
    ledger: running.ledger.service,
    blocks: running.ledger.store,
    standing: (key: string) => running.reputation?.standing(key),
    seams,
  };
  return loadMarket().then((m) => m.MarketService.start(m.browserMarketDeps(parts)));
}
