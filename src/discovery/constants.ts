/**
 * Limits and timings of content discovery (pure). Each bound says what it
 * protects: the catalogue is fed by strangers, so every count is capped.
 */

/** Longest name carried, in UTF-8 bytes: longer than any real torrent title, short enough for 64 records a frame. */
export const MAX_NAME_BYTES = 200;
/** How long a record may claim to stay valid: an announcer that goes away is forgotten within the hour. */
export const MAX_RECORD_LIFETIME_MS = 60 * 60_000;
/** What our own records claim: a few missed re-announcements before peers forget the swarm. */
export const RECORD_LIFETIME_MS = 30 * 60_000;
/** How often our public torrents are re-announced with fresh counts. */
export const ANNOUNCE_INTERVAL_MS = 5 * 60_000;
/** Clock difference tolerated between peers before a record counts as dated in the future. */
export const MAX_CLOCK_SKEW_MS = 2 * 60_000;
/** "Recent demand": distinct downloaders seen within this window. */
export const DEMAND_WINDOW_MS = 60 * 60_000;
/** How often swarm counts are sampled for demand (peers that come and go faster are missed). */
export const DEMAND_SAMPLE_MS = 15_000;

/** Records in the catalogue: a few thousand swarms fit in memory, IndexedDB and one MiniSearch index easily. */
export const MAX_CATALOGUE_RECORDS = 4_000;
/** Records one announcer may hold here: a generous sharer's public torrents, and no more. */
export const MAX_RECORDS_PER_ANNOUNCER = 100;
/** New or renewed records one announcer may place at once (its re-announcement round). */
export const ANNOUNCER_BURST = MAX_RECORDS_PER_ANNOUNCER;
/** ...and per minute after that: every record re-announced each ANNOUNCE_INTERVAL_MS, twice over. */
export const ANNOUNCER_REFILL_PER_MINUTE = (2 * MAX_RECORDS_PER_ANNOUNCER * 60_000) / ANNOUNCE_INTERVAL_MS;
/** Announcers whose rate we track; the idlest are forgotten beyond this (a forgotten one starts with a full bucket). */
export const MAX_TRACKED_ANNOUNCERS = 2 * MAX_CATALOGUE_RECORDS;

/**
 * Counts one announcer may claim. A tab holds at most a few dozen wires per
 * torrent, and sees a bounded number of distinct downloaders in an hour; a
 * claim beyond these is cut to them before it is combined with others.
 */
export const MAX_CLAIMED_PEERS = 100;
export const MAX_CLAIMED_DEMAND = 500;

/** Records in one gossip message: bounds the signature checks one frame can cause (~50 ms with noble). */
export const MAX_RECORDS_PER_MESSAGE = 64;
/** Longest search query, in UTF-8 bytes. */
export const MAX_QUERY_BYTES = 120;
/** Swarms one search answer may name, and records per swarm (so the asker can combine several announcers). */
export const MAX_ANSWER_SWARMS = 20;
export const RECORDS_PER_ANSWERED_SWARM = 3;
export const MAX_ANSWER_RECORDS = MAX_ANSWER_SWARMS * RECORDS_PER_ANSWERED_SWARM;

/** Records one sender may push to us per minute (beyond a burst of one greeting): more are dropped unread. */
export const SENDER_RECORDS_PER_MINUTE = 600;
export const SENDER_RECORDS_BURST = 2 * MAX_RECORDS_PER_MESSAGE;
/** Search requests one peer may have answered per minute, with a small burst (typing sends none: only the button). */
export const SEARCHES_PER_MINUTE = 20;
export const SEARCH_BURST = 5;
/** Peers one remote search asks. */
export const MAX_SEARCH_PEERS = 16;
/** Answers to a remote search are taken this long; later ones are ignored. */
export const SEARCH_TIMEOUT_MS = 10_000;
