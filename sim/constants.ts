/** Pure: the simulation's fixed figures, each with the reason for its value. */

const MiB = 1024 * 1024;

/** Ring sizes of the issue (#13): from a lone identity to fifty. */
export const RING_SIZES = [1, 2, 5, 10, 20, 50] as const;
/** Default population, the "up to 1,000 peers". */
export const DEFAULT_PEERS = 1000;
export const DEFAULT_SEED = 1;
/** Most honest evaluators per run (a seeded sample when there are more): at 1,000 peers every honest peer (820) judges, ~12 ms each, ~15 s in all. */
export const DEFAULT_EVALUATORS = 1000;
/** Fewest honest peers a scenario may have; below this "honest view" is noise. */
export const MIN_HONEST_PEERS = 10;

/** Download rounds: each peer downloads one piece per round, so ~20 transfers per peer. */
export const ROUNDS = 20;
/** Shares of the honest population; the rest are whitewashers. */
export const COOPERATOR_SHARE = 0.7;
export const FREE_RIDER_SHARE = 0.2;
/** A whitewasher drops its key this often (rounds), so each key carries only a few debts. */
export const WHITEWASH_EVERY_ROUNDS = 5;
/** One piece downloaded per round: 1–10 MiB, a typical WebTorrent file chunk run. */
export const PIECE_BYTES_MIN = 1 * MiB;
export const PIECE_BYTES_MAX = 10 * MiB;

/** What a ring really uploads to honest peers, whatever its size: one piece's worth (the gain's denominator). */
export const SYBIL_REAL_UPLOAD_BYTES = BigInt(4 * MiB);
/** What each Sybil signs to each other member: 10 GiB, far beyond any honest transfer. */
export const SYBIL_MINTED_BYTES = BigInt(10 * 1024 * MiB);
