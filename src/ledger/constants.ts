/** TrustChain constants and limits, each with the reason for its value. */

/** The first block of every chain. */
export const GENESIS_SEQ = 1;
/** previousHash of a genesis block. */
export const GENESIS_HASH = new Uint8Array(32);
/** linkPublicKey of a block that any counterparty may link to (e.g. a market order). */
export const ANY_COUNTERPARTY = new Uint8Array(32);
/** linkSequenceNumber of a proposal: it links to nothing yet. */
export const UNKNOWN_SEQ = 0;

/** Ed25519 public keys, SHA-256 hashes and signatures. */
export const KEY_BYTES = 32;
export const HASH_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** Domain separation: block signatures can never be mistaken for anything else signed with the same key. */
export const BLOCK_MAGIC = new Uint8Array([0x54, 0x4d, 0x48, 0x42]); // "TMHB"
export const BLOCK_VERSION = 1;

/** Type names are short identifiers ("bandwidth", "payout"). */
export const MAX_TYPE_LENGTH = 32;
/** Transactions are small records; 4 KiB bounds storage and validation work per block. */
export const MAX_TRANSACTION_BYTES = 4096;
/** A transfer's reference names what it pays for (a 32-byte trade id, an installment index, room to spare). */
export const MAX_TRANSFER_REFERENCE_BYTES = 64;
/** A sequence number is a u32 on the wire. */
export const MAX_SEQ = 0xffff_ffff;

/** Largest possible block encoding (magic, version, fixed fields, type, transaction, signature). */
export const MAX_BLOCK_BYTES =
  BLOCK_MAGIC.length + 1 + KEY_BYTES + 4 + KEY_BYTES + 4 + HASH_BYTES + 8 + 1 + MAX_TYPE_LENGTH + 2 + MAX_TRANSACTION_BYTES + SIGNATURE_BYTES;

/** Before countersigning, the proposer's preceding blocks we must know (py-ipv8's validation range). */
export const CONTEXT_BLOCKS = 5;
/** A crawl answer carries at most this many of the owner's blocks (plus their linked halves). */
export const MAX_CRAWL_BLOCKS = 100;
/** Crawl pages asked for at once: the next page's round trip (~50 ms tab to tab) is hidden behind storing; more gained nothing on 2 cores (the crawl is CPU-bound). */
export const CRAWL_PAGES_IN_FLIGHT = 2;
/** Crawled blocks validated and stored per batch: one IndexedDB transaction and one window read per ~5 pages of pairs, not per page. */
export const CRAWL_INGEST_BLOCKS = 1_000;
/** Walking back to the previous token block stops here; beyond it totals are "unknown" (partial). */
export const MAX_TOTALS_WALK = 1000;

/** Other peers' blocks kept beyond our own pairs: ~50k blocks is ~10 MB, enough to check every recent partner. */
export const GENERAL_BUDGET_BLOCKS = 50_000;
export const GENERAL_BUDGET_BYTES = 32 * 1024 * 1024;
/**
 * Blocks of unknown types and of chains with no verified link to us: enough to
 * validate a few newcomers' recent history (a sign request's context, a crawl
 * sample), small enough that a flood of fresh keys costs us at most ~1 MiB.
 */
export const STRANGER_BUDGET_BLOCKS = 2_000;
export const STRANGER_BUDGET_BYTES = 1024 * 1024;
/**
 * Blocks one sender may make us store per minute through gossip, crawl answers
 * and sign-request context: an honest neighbour relays its share of the
 * overlay's payments (a few pairs a second at most), a flooder gets no further.
 */
export const SENDER_BLOCKS_PER_MINUTE = 600;
/** A sender's bucket starts full with this many: a crawl page plus context and a burst of gossip. */
export const SENDER_BURST_BLOCKS = 300;
/**
 * Fraud proofs one sender may pass us, in their own bucket: each names an offender it passes on for
 * the first time, and real forks are rare, while a fresh key that forks costs nothing to make. Apart
 * from the blocks' bucket, so a neighbour busy with payments (pairs) still passes a proof on.
 */
export const SENDER_PROOFS_PER_MINUTE = 30;
export const SENDER_BURST_PROOFS = 60;
/** Senders whose buckets are remembered; the least recently seen is forgotten (it restarts full, bounded by the burst). */
export const MAX_TRACKED_SENDERS = 1024;

export const LEDGER_TIMINGS = {
  /** A countersignature needs a validation and a disk flush on the other side; seconds, not minutes. */
  signTimeoutMs: 10_000,
  /** Sign requests are idempotent, so retrying after a timeout is safe. */
  signAttempts: 3,
  signRetryDelayMs: 1_000,
  /** Crawls answer from the store: a few seconds even for a full page. */
  crawlTimeoutMs: 15_000,
  /** One random peer's chain sample this often, so forks meet without flooding anyone. */
  crawlIntervalMs: 15_000,
  /** Blocks per background crawl sample (the tail of a chain). */
  crawlSampleBlocks: 20,
  /**
   * A restored identity asks peers for its own head before it signs; if none
   * answers within this, it signs on (a peer with no neighbours must still work,
   * and a sign request waits no longer than a requester's own timeout).
   */
  ownHeadSyncMs: 10_000,
  /** How often a restored identity looks for its first peers to ask for its head. */
  ownHeadPeerPollMs: 250,
} as const;
/**
 * The longest a peer asks for one agreement: every attempt timed out, with
 * the pauses between (33 s). A counterparty under load may answer this late
 * and still be honest; nothing should hold it to less.
 */
export const SIGN_REQUEST_SPAN_MS =
  LEDGER_TIMINGS.signAttempts * LEDGER_TIMINGS.signTimeoutMs + (LEDGER_TIMINGS.signRetryDelayMs * LEDGER_TIMINGS.signAttempts * (LEDGER_TIMINGS.signAttempts - 1)) / 2;
