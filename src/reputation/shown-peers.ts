/**
 * Pure: which peers the Ledger page lists beside their trust. My own
 * counterparties first (newest first, as my chain lists them), then the keys
 * recorded as giving the most in the pairs I hold (where minted balances show
 * up even when they never dealt with me); each once, never my own key, at
 * most `limit`.
 */
export function shownPeers(counterparties: readonly string[], topGivers: readonly string[], me: string, limit: number): string[] {
  const shown = new Set<string>();
  for (const k of [...counterparties, ...topGivers]) {
    if (shown.size >= limit) break;
    if (k !== me) shown.add(k);
  }
  return [...shown];
}
