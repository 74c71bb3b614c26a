/** Limits of negotiation and incremental settlement, each with the reason for its value. Pure. */

/** Smallest installment, what an unknown counterparty can cost me: 1 MiB, one price unit and about one piece of a shared file. */
export const INSTALLMENT_FLOOR_BYTES = 1n << 20n;

/** Largest installment whatever the trust: 256 MiB, so one default never costs more than a few minutes of a fast upload, however trusted the key was. */
export const INSTALLMENT_CAP_BYTES = 256n << 20n;

/**
 * An installment risks at most 1/STANDING_SHARE of the counterparty's trusted standing:
 * a key that defaults loses a reputation worth four times what it gained (its failed trade is on TradeChain).
 */
export const STANDING_SHARE = 4n;

/** Time to answer a proposal or counter: a buyer may first wait ORDER_CHECK_WAIT_MS (10 s) for the orders' checks, then a round trip on a loaded tab; under RESERVATION_TIMEOUT_MS, so the matchmaker hears the outcome before releasing the reservation. */
export const NEGOTIATION_REPLY_TIMEOUT_MS = 20_000;

/** Finished negotiations remembered: far longer than a reservation (30 s), so a replayed proposal finds its match known and is ignored. */
export const NEGOTIATION_MEMORY_MS = 10 * 60_000;

/** Negotiations held at once, finished ones included: proposals need a real signed ask of the proposer, so this only bounds a flood of match ids. */
export const MAX_NEGOTIATIONS = 1_000;

/** Counters one negotiation allows: each must lower the quantity, and a few rounds settle any honest difference; more is a stall. */
export const MAX_COUNTERS = 4;
/** Declines remembered ahead of their proposal: crossings are rare and brief, and each entry is a match id. */
export const MAX_EARLY_DECLINES = 256;

/** Confirmations an Ether payment needs before I countersign it, unless the settings ask for more: 1 on a local dev chain; settings raise it on a public chain. */
export const DEFAULT_ETHER_CONFIRMATIONS = 1;

/** Confirmations a token payment needs: its transfer pair is signed by both and stored, final at once (no chain reorganisation). */
export const TOKEN_CONFIRMATIONS = 1;

/** Time a counterparty has for one step (pay and be seen, or countersign mine): covers DEFAULT_ETHER_CONFIRMATIONS blocks of a public chain (12 s each) many times over; the settings raise it with the confirmations. */
export const DEFAULT_STEP_TIMEOUT_MS = 120_000;
