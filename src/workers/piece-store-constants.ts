/** The piece store worker's limits, each with its reason. */

/** The OPFS directory holding one file per torrent (named by infohash). */
export const PIECES_DIR = 'trustmesh-pieces';
/** Written pieces are flushed to disk this often: a tab that dies loses at most this much, which WebTorrent re-fetches (it re-checks every piece on resume). */
export const PIECE_FLUSH_MS = 1_000;
/** Pieces moved from the old store per flush: each batch is durable before its old files go, and 64 makes a 100 MB torrent's move a dozen flushes, not 800. */
export const MIGRATION_BATCH_PIECES = 64;
/** A reloaded page's file may still be held by the old page's worker for a moment: retry opening it this often… */
export const OPEN_RETRY_MS = 100;
/** …this many times (5 s), then report the file as in use. */
export const OPEN_RETRIES = 50;
