/**
 * Pure: when a raw balance is shown as "untrusted" beside the trusted
 * standing (the Ledger page). Display only: no decision reads it.
 *
 * Rule: a raw balance of at least UNTRUSTED_MIN_BYTES whose trusted standing,
 * in bytes at the giving rate (ReputationService.trustedBytes), is below
 * raw / UNTRUSTED_RATIO. Tokens a ring minted among itself stand at
 * ~0 from my point of view however large the raw figure; an honest peer's
 * standing is of the order of what it gave peers I trust. A balance of zero
 * or less, or a small one, is never marked: there is nothing to distrust.
 */
import { UNTRUSTED_MIN_BYTES, UNTRUSTED_RATIO } from './constants.ts';

export function isUntrusted(raw: bigint, trusted: bigint): boolean {
  return raw >= UNTRUSTED_MIN_BYTES && trusted * UNTRUSTED_RATIO < raw;
}
