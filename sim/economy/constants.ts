/** Pure: the economy experiment's fixed figures (issue #17), each with the reason for its value. */

export const MiB = 1024 * 1024;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** The default: 1,000 peers for one simulated day. */
export const DEFAULT_ECONOMY_PEERS = 1000;
export const DEFAULT_ECONOMY_HOURS = 24;
export const DEFAULT_ECONOMY_SEED = 1;

/**
 * Rechoke and transfer step. BitTorrent rechokes every 10 s, WebTorrent rotates its optimistic
 * slot every 30 s, the app rechokes every 2 s; 30 s keeps a simulated day at 2,880 steps (inside
 * the 2-minute budget) while a median file still takes several steps at a median link, so slot
 * decisions change during a download.
 */
export const TICK_MS = 30_000;
/** The balance distribution is sampled this often: 24 points a day, enough for a chart. */
export const SAMPLE_MS = HOUR;
/**
 * Each peer recomputes its personalized trust this often, when it next judges a peer with
 * credits. The app recomputes after each burst of ledger news (~1 s); a recompute costs ~10 ms
 * on a day's graph, so per peer per step would cost hours of CPU. Stale views only undercount
 * recent credits (a judged peer looks poorer, never richer).
 */
export const REPUTATION_REFRESH_MS = 2 * HOUR;

/**
 * Upload capacity, log-normal (measured residential uplinks are right-skewed over two orders of
 * magnitude): median 1 MiB/s, σ = 1 gives a 10th–90th percentile of ~0.28–3.6 MiB/s.
 */
export const UPLOAD_MEDIAN_BYTES_PER_SEC = 1 * MiB;
export const UPLOAD_SIGMA = 1;
/** Downlinks are ~4× uplinks on asymmetric lines, with their own spread. */
export const DOWNLOAD_TO_UPLOAD = 4;
export const DOWNLOAD_SIGMA = 0.5;
/** Floors: a tab below ~64 KiB/s is not a usable peer. */
export const MIN_CAPACITY_BYTES_PER_SEC = 64 * 1024;

/** Files in the catalogue per 1,000 peers: a few hundred swarms, so the popular head is crowded and the tail sparse. */
export const FILES_PER_PEER = 0.2;
/** Zipf exponent of file popularity (BitTorrent measurements find ~0.8–1.2). */
export const ZIPF_EXPONENT = 1;
/** File sizes, log-normal: median 256 MiB (an album to a short video), σ = 0.8, bounded to 16 MiB–2 GiB. */
export const FILE_MEDIAN_BYTES = 256 * MiB;
export const FILE_SIGMA = 0.8;
export const FILE_MIN_BYTES = 16 * MiB;
export const FILE_MAX_BYTES = 2048 * MiB;
/** Cooperators holding each file at the start: its first seeders. */
export const INITIAL_SEEDERS_PER_FILE = 2;

/** Sessions: online for an exponential time (mean 3 h), offline for another (mean 5 h); first arrivals Poisson over the first session gap. */
export const SESSION_MEAN_MS = 3 * HOUR;
export const OFFLINE_MEAN_MS = 5 * HOUR;
/** Between two downloads a peer waits this long on average (browsing, watching). */
export const THINK_MEAN_MS = 10 * MINUTE;
/** Most files a cooperator seeds at once (its most recent): a tab seeds a handful, not its whole library. */
export const MAX_SEEDING = 5;
/** Connections per peer per swarm (WebTorrent asks trackers for 50 and keeps ~55 in all). */
export const MAX_CONNECTIONS = 20;

/** A Sybil ring's size and what its sink signs each member: far beyond any honest balance. */
export const SYBIL_RING_SIZE = 10;
export const SYBIL_MINT_BYTES = 10n * 1024n * BigInt(MiB);
/** Minted pairs per member: enough blocks that its chain is no newcomer's (policy newcomerChainLength is 5). */
export const SYBIL_MINT_BLOCKS = 8;

/** Share of cooperators' downloads that go over circuits (privacy-minded users). */
export const PRIVATE_SHARE = 0.2;
/** Of private downloads, the share that uses 2 hops (a relay, then an exit); the rest use the default 1 (the exit). */
export const TWO_HOP_SHARE = 0.5;
/** Relays and exits and miners keep their tab open: sessions this much longer than others'. */
export const ALWAYS_ON_SESSION_FACTOR = 8;
/**
 * Miners ask the mining policy this often. The app asks every minute (DECIDE_EVERY_MS); the
 * policy's windows are hours (payback, idle, timeout) and demand is counted over an hour, so five
 * minutes changes when a decision lands by at most that, and saves four fifths of its CPU here.
 */
export const MINING_DECIDE_MS = 5 * MINUTE;
