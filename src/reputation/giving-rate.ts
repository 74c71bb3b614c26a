/**
 * Pure: how much trusted standing a byte of real giving earns, as seen from my
 * keys: the conversion that lets a stranger's standing (in "bytes given to me",
 * reputation.ts) be compared with its debits (in bytes).
 *
 * Why: standing over the whole network adds up to about R/α, R being what my
 * own keys received, however large the network. At 1,000 peers a typical
 * stranger stands at about 1 % of what it gave, so counting its credits only
 * up to its standing judged every honest stranger by its debits alone, and
 * the policy refused cooperators like free-riders (README, "Does the economy
 * work?"). Dividing standing by the rate a typical giver earns counts a
 * typical honest stranger's credits in full.
 *
 * Rule: the median of standing/given over keys (not mine) holding at least
 * RATE_QUORUM_SHARE of all standing, capped at 1 (never harsher than counting
 * standing as bytes); undefined with fewer than RATE_MIN_KEYS such keys.
 * Sybil bound: a ring's credits then count up to its standing / rate, and its
 * standing comes only from what it really gave (reputation.ts), so it gains a
 * bounded multiple of its real giving, whatever its number of keys. Keys must
 * hold a share of all standing to vote on the median, so a ring can only seat
 * as many voters as its real giving pays for.
 */
import { RATE_MIN_KEYS, RATE_QUORUM_SHARE } from './constants.ts';

export function givingRate(given: Iterable<readonly [string, bigint]>, standingOf: (key: string) => bigint, mine: ReadonlySet<string> = new Set()): number | undefined {
  const keys: { standing: number; given: number }[] = [];
  let total = 0;
  for (const [key, bytes] of given) {
    if (mine.has(key) || bytes <= 0n) continue;
    const standing = Number(standingOf(key));
    if (standing <= 0) continue;
    keys.push({ standing, given: Number(bytes) });
    total += standing;
  }
  const quorum = total * RATE_QUORUM_SHARE;
  const ratios = keys.filter((k) => k.standing >= quorum).map((k) => k.standing / k.given).sort((a, b) => a - b);
  if (ratios.length < RATE_MIN_KEYS) return undefined;
  const mid = ratios.length >> 1;
  const median = ratios.length % 2 === 1 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  return Math.min(1, median);
}
