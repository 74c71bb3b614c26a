/** Balances from token-carrying blocks: what the owner provided minus what it consumed. Pure. */
import type { HalfBlock } from './block.ts';
import type { TransactionRegistry } from './transactions/registry.ts';

export interface Balance {
  up: bigint;
  down: bigint;
  net: bigint;
  /** The block the figures come from (undefined: no token transaction yet). */
  sequenceNumber?: number;
}

export const ZERO_BALANCE: Balance = { up: 0n, down: 0n, net: 0n };

/** Balance from the latest token-carrying block among `chain` (any order). */
export function balanceOf(chain: readonly HalfBlock[], registry: TransactionRegistry): Balance {
  let best: Balance = ZERO_BALANCE;
  for (const b of chain) {
    const t = registry.tokensOf(b);
    if (t === undefined || t === null) continue;
    if (best.sequenceNumber === undefined || b.sequenceNumber > best.sequenceNumber) {
      best = { up: t.totalUp, down: t.totalDown, net: t.totalUp - t.totalDown, sequenceNumber: b.sequenceNumber };
    }
  }
  return best;
}

export interface BalancePoint {
  sequenceNumber: number;
  timestamp: number;
  net: bigint;
}

/** The balance after each token-carrying block, in chain order: for charts. */
export function balanceHistory(chain: readonly HalfBlock[], registry: TransactionRegistry): BalancePoint[] {
  return [...chain]
    .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
    .flatMap((b) => {
      const t = registry.tokensOf(b);
      return t === undefined || t === null ? [] : [{ sequenceNumber: b.sequenceNumber, timestamp: b.timestamp, net: t.totalUp - t.totalDown }];
    });
}
