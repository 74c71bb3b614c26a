/** Limits of the market (orders, TradeChain records, order books, book sync), each with the reason for its value. Pure. */

/** The one pair this version trades: bandwidth tokens (bytes) against Ether (wei). */
export const MBT_ETH = 'MBT/ETH';
/** A pair is BASE/QUOTE in upper-case ASCII: short tickers, no room for anything else in a signed order. */
export const PAIR_PATTERN = /^[A-Z0-9]{1,8}\/[A-Z0-9]{1,8}$/;
/** Longest pair text: two 8-character tickers and the slash. */
export const MAX_PAIR_BYTES = 17;
/** Asset names (a pair's side, a payment's asset): a ticker. */
export const ASSET_PATTERN = /^[A-Z0-9]{1,8}$/;
export const MAX_ASSET_BYTES = 8;
/** The quote asset paid on the Ethereum chain (its payments name a transaction hash). */
export const ETHER = 'ETH';

/**
 * Prices are integers: quote units (wei) per PRICE_UNIT base units (bytes),
 * i.e. wei per MiB. Exact bigint arithmetic, no fractions or floats.
 */
export const PRICE_UNIT = 1n << 20n;
/** Smallest order: 1 MiB, one price unit, so no order costs a fraction of its own price unit by design. */
export const MIN_ORDER_QUANTITY = PRICE_UNIT;
/** Largest order: 1 TiB, far beyond what a browser uploads in an order's lifetime. */
export const MAX_ORDER_QUANTITY = 1n << 40n;
/** A price of 0 would give bandwidth away; 1 wei per MiB is the floor. */
export const MIN_PRICE = 1n;
/** 1 ETH per MiB: ~10^8 times today's cloud egress price, so only typos and attacks exceed it. */
export const MAX_PRICE = 10n ** 18n;
/** Orders live at most a week: a book never holds stale intents for longer, and expiry needs no clock agreement finer than minutes. */
export const MAX_ORDER_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/** Order numbers are u32 from 1 (0 is never used, so a zeroed field is refused). */
export const MIN_ORDER_NUMBER = 1;
export const MAX_ORDER_NUMBER = 0xffff_ffff;

/** A trade id: 128 random bits never collide by chance. */
export const TRADE_ID_BYTES = 16;
/** Installments per trade: the settlement sizes them; 65,535 bounds the index on the wire and the records one trade makes. */
export const MAX_INSTALLMENTS = 0xffff;
/** Why a trade failed, in words for the record: one sentence. */
export const MAX_TRADE_REASON_BYTES = 200;
/** Ether amounts exceed u64 (18.4 ETH); payments and totals are u128 on the wire. */
export const MAX_U128 = (1n << 128n) - 1n;

/** Open orders one trader may have in one book: enough for a ladder of orders, few enough that a flood from one key costs the book little. */
export const MAX_ORDERS_PER_TRADER = 20;
/** Orders one book holds: ~10k orders of ~300-byte blocks is ~3 MB per pair. */
export const MAX_BOOK_ORDERS = 10_000;
/** Cancelled order ids remembered so a late copy of the order is refused; oldest forgotten first (an order lives a week at most). */
export const MAX_CANCELLED_REMEMBERED = 10_000;
/** Cancellations remembered per trader: a trader flooding cancel blocks evicts only its own oldest, never another trader's. */
export const MAX_CANCELLED_PER_TRADER = 100;
/** Counter orders one match call reserves against (AnyDex matches in batches of 20). */
export const MAX_MATCHES_PER_CALL = 20;
/** A reservation the traders neither complete nor decline is released after this: negotiation is a few round trips, each allowed NEGOTIATION_REPLY_TIMEOUT_MS (20 s). */
export const RESERVATION_TIMEOUT_MS = 45_000;
/** How long a match or proposal waits for the checks of an order frame sent just before it: checks take milliseconds, seconds on a loaded tab; past this it goes on without, is declined for a passing reason and offered again. */
export const ORDER_CHECK_WAIT_MS = 10_000;
/** Price levels per side in a depth view: more than a chart shows. */
export const MAX_DEPTH_LEVELS = 50;

/** Tribler's book sync false-positive rate: one order in 200 is missed per round and caught in a later one (the salt changes). */
export const BLOOM_FALSE_POSITIVE_RATE = 0.005;
/** A filter of 16 KiB holds ~11k ids at 0.005, the whole of a full book. */
export const MAX_BLOOM_BYTES = 16 * 1024;
/** Hash functions of a filter: the optimum at 0.005 is 8; more only costs time. */
export const MAX_BLOOM_HASHES = 16;
/** Blocks (orders and cancellations) in one sync answer: a few batches catch up a new matchmaker without one answer hogging a connection. */
export const MAX_SYNC_ANSWER_BLOCKS = 100;
/** Bytes of one sync answer: 100 blocks of a few hundred bytes fit with margin. */
export const MAX_SYNC_ANSWER_BYTES = 64 * 1024;
/** Version byte of the book-sync messages. */
export const BOOK_SYNC_VERSION = 1;

/** Peer matchmakers a new order is passed on to: with MAX_ORDER_TTL 2 it reaches up to 4 + 16 books; book sync catches the rest. */
export const MAX_FORWARD = 4;
/** A matchmaker asks one peer for what it lacks this often: a new order missed by the flood arrives within a few rounds. */
export const SYNC_EVERY_MS = 20_000;
/** A sync answer later than this is not awaited (and refused): a live peer answers in a round trip. */
export const SYNC_ANSWER_TIMEOUT_MS = 10_000;
/** Order blocks awaiting signature and chain checks at once: more is a flood, refused until the checks catch up. */
export const MAX_PENDING_VERIFICATIONS = 64;
/** Reservations awaiting their traders' outcome at once: ~a full batch per few takers; no new match until some resolve or time out. */
export const MAX_MATCHES_IN_FLIGHT = 200;
/** A pair declined for a passing reason (busy, not yet verified, no answer) is offered again after this, doubled per attempt: such a trader is ready within seconds. */
export const REMATCH_AFTER_MS = 2_000;
/** Offers of one pair after passing declines: 2 + 4 + 8 + 16 + 32 s, about a minute; a trader that keeps declining cannot keep a matchmaker busy. */
export const MAX_REMATCHES = 5;
/** Pairs awaiting a new offer at once, as many as matches in flight: the oldest is forgotten beyond it. */
export const MAX_PENDING_REMATCHES = MAX_MATCHES_IN_FLIGHT;
/**
 * A matchmaker looks for crossing orders that rest unmatched this often: a pair whose offers ran out, one
 * declined for what can change (funds arrived, trust grew), or one not offered because matches in flight were
 * at their bound when its order came. Matching otherwise runs only when an order arrives.
 */
export const CROSSING_SWEEP_MS = 15_000;
/** Orders one sweep tries as takers, in turns over the crossing ones: bounds its work (each is matched against the whole book). */
export const SWEEP_TAKERS = 64;
/** A pair whose offers ran out (MAX_REMATCHES) rests this long before a sweep offers it again. */
export const PAIR_REST_MS = 2 * 60_000;
/** A pair declined for its terms (trust, funds, price, protocol) rests this long: a trader that keeps declining is offered it a few times an hour. */
export const DECLINED_PAIR_REST_MS = 5 * 60_000;
/** Resting pairs remembered at once: the oldest is forgotten beyond it (and may be offered early). */
export const MAX_RESTING_PAIRS = 4 * MAX_MATCHES_IN_FLIGHT;
/** Order and cancel frames one peer may send in a burst: a trader placing a ladder of MAX_ORDERS_PER_TRADER, twice over. */
export const PEER_ORDER_BURST = 40;
/** Sustained order and cancel frames per peer per second: a flooding peer costs each matchmaker at most this many checks. */
export const PEER_ORDERS_PER_SECOND = 5;
/** Sync requests one peer may have answered per SYNC_EVERY_MS: each answer costs up to MAX_SYNC_ANSWER_BYTES. */
export const PEER_SYNC_REQUESTS_PER_ROUND = 2;
/** Peers whose rates are tracked: beyond this the least recently seen is forgotten, so the table stays bounded. */
export const MAX_RATED_PEERS = 512;
