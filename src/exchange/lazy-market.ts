/**
 * The only way into the market's code: a dynamic import, so the matchmaker,
 * the settlement and the wallet libraries are fetched when the Market page
 * opens or a trade is active, never with the app's first load. Outside
 * src/exchange, import only types from the market statically (market-api.ts).
 */
export type MarketModule = typeof import('./market-service.ts');

export function loadMarket(): Promise<MarketModule> {
  return import('./market-service.ts');
}

/** Set while this profile has open orders or running trades: a reload then starts the market at once, so trades keep being answered. */
export const MARKET_ACTIVE_KEY = 'trustmesh.market.active';
