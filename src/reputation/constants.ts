import { BANDWIDTH } from '../ledger/transactions/bandwidth.ts';
import { PAYOUT } from '../ledger/transactions/payout.ts';

/** Reputation parameters, each with the reason for its value. */

/** Stop probability per walk step (transitivity decay): a Sybil ring's recycling of the trust entering it is capped at 1/ALPHA = 3 visits per entry (its gain bound), while trust keeps 2/3 per hop, so peers three hops away still count 30%. */
export const ALPHA = 1 / 3;

/** Monte-Carlo walks per seed key: the estimate's standard error on a score near 0.1 is about sqrt(0.1/WALKS_PER_SEED) ≈ 0.003, well below the gaps that decide a ranking. */
export const WALKS_PER_SEED = 10_000;

/** Longest walk, and most power-iteration rounds: (1 - ALPHA)^100 ≈ 2e-18 of the mass is left, so the cut changes no score. */
export const MAX_STEPS = 100;

/** Power iteration stops once the mass still walking is below this: the error on any score, and on their sum, is at most this. */
export const EXACT_TOLERANCE = 1e-9;

/** Edges (giver, receiver) kept in a contribution graph: like the block store, bounded; 100k edges recompute within the 200 ms worker budget. */
export const MAX_EDGES = 100_000;

/** Delay from the first ledger event of a burst to the recompute: blocks arrive in bursts (a crawl page, a transfer's pairs), one recompute per burst, and at most one per second under a steady stream. */
export const RECOMPUTE_DEBOUNCE_MS = 1_000;

/**
 * Blocks read per tier after each burst (what was stored since the last read): twenty crawl pages of pairs,
 * more than one burst stores; the rest is read after the next. Must exceed the most blocks one transaction
 * stores (a crawl batch, CRAWL_INGEST_BLOCKS): blocks stored at one instant beyond it would be skipped.
 */
export const READ_STORED_PER_TIER = 4_000;

/** A raw balance is marked untrusted when the trusted standing is below 1/UNTRUSTED_RATIO of it: trust decays 2/3 per hop, so an honest peer two or three hops away still stands well above a tenth of what it gave, while minted tokens stand at ~0. */
export const UNTRUSTED_RATIO = 10n;

/** Below this raw balance nothing is marked: a newcomer's small balance says too little either way (1 MiB, one piece or two). */
export const UNTRUSTED_MIN_BYTES = 1n << 20n;

/** Paths shown as the "why" of a peer's trust: the strongest few explain most of it; more would not fit a phone screen. */
export const MAX_WHY_PATHS = 3;

/** Longest "why" path in hops: trust keeps (1 − ALPHA)^6 ≈ 9% of its weight after six hops, so longer paths explain little, and the search stays O(MAX_WHY_HOPS × edges). */
export const MAX_WHY_HOPS = 6;

/** Token types whose amounts are a service given (bytes uploaded, bytes relayed): the only edges of the contribution graph. A `transfer` moves tokens for money and records no service. */
export const CONTRIBUTION_TYPES: ReadonlySet<string> = new Set([BANDWIDTH, PAYOUT]);

/** A key votes on the giving rate (giving-rate.ts) only with at least this share of all standing: a Sybil ring seats at most (its standing / this) voters, and its standing comes from what it really gave. */
export const RATE_QUORUM_SHARE = 1 / 10_000;

/** Fewer voters than this and there is no giving rate (standing counts as bytes, as before): a median of a handful of direct givers says little about strangers. */
export const RATE_MIN_KEYS = 5;
