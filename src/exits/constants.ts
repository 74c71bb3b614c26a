/** Limits of exit relays, each with the reason for its value. */
/** The circuit's own limits that bound what an exit stream carries. */
export { MAX_CIRCUIT_BYTES, MAX_DATA_BYTES } from '../circuits/constants.ts';

/**
 * Streams a circuit may have open or opening at its exit at once. They share the circuit's bandwidth, so
 * swarm peers past a handful add no speed; each holds a WebRTC connection and up to a stream window at the exit.
 */
export const MAX_STREAMS_PER_CIRCUIT = 8;
/** Streams a circuit may begin over its life: swarm peers leave and are replaced, but no circuit makes its exit dial without bound. */
export const MAX_BEGINS_PER_CIRCUIT = 4 * MAX_STREAMS_PER_CIRCUIT;
/** Trackers one begin may name: magnet links name a few, and each is a WebSocket the exit opens and announces on. */
export const MAX_EXIT_TRACKERS = 8;
/** Longest tracker URL in a begin: real ones are well under 100 bytes; fits a u8 length. */
export const MAX_TRACKER_URL_BYTES = 200;
/**
 * Stream data either end may have sent that the other has not yet delivered (returned as sendme credit).
 * A circuit carries many streams and its back-pressure is per circuit, so without this one stalled peer
 * would make the other end buffer without bound or hold up every stream. 1 MiB keeps ~10 MiB/s on one
 * stream at a 100 ms circuit round trip.
 */
export const EXIT_STREAM_WINDOW_BYTES = 1024 * 1024;
/** A receiver returns credit after delivering this much of a stream (a quarter window keeps it busy). */
export const EXIT_SENDME_EVERY_BYTES = EXIT_STREAM_WINDOW_BYTES / 4;
/**
 * With an exit upload cap, a circuit may send its swarm at most this long's worth of it: a downloader's own
 * upload (handshakes, requests, haves) stays far below, while no one circuit takes the exit's upload for its life.
 */
export const EXIT_UPLOAD_SHARE_MS = 60_000;
/**
 * A ledger request the exit sends a swarm peer over its stream (a sign request's crawl of the proposer) gets no
 * answer within this: treated like a lost peer. As peer-link's wire timeout: the answer queues behind piece data.
 */
export const EXIT_PAY_REQUEST_TIMEOUT_MS = 15_000;
/** Malformed trustmesh_pay messages (or failed proofs) a swarm peer may send before the exit ends its stream: as peer-link. */
export const MAX_BAD_EXIT_PAY_MESSAGES = 8;
/**
 * How long an exit waits for a swarm peer for a begin: a tracker answers an announce at once and a WebRTC
 * connection takes a few seconds, so past this no peer is coming now (the originator begins again later).
 */
export const EXIT_DIAL_TIMEOUT_MS = 20_000;
/**
 * Bytes from a swarm peer an exit holds for the originator before it stops reading that peer: a little
 * over one stream window, so the originator's credit is always covered while a stalled one costs little.
 */
export const EXIT_BUFFER_BYTES = 2 * 1024 * 1024;
/** How often an exit looks whether payments through a circuit cover more verified bytes it may acknowledge. */
export const ACK_CHECK_MS = 500;

/**
 * Longest BitTorrent message an exit passes (the length field, id byte included). The largest honest ones are
 * a bitfield (one bit per piece: 256 KiB covers 2M pieces) and a piece (a 16 KiB block; some clients allow
 * 128 KiB); an exit holds at most one partial message per direction of a stream, so junk cannot make it buffer more.
 */
export const MAX_BT_MESSAGE_BYTES = 256 * 1024;
/** Longest BEP 10 extended handshake an exit decodes: real ones are a few hundred bytes (a dozen extension names, a version). */
export const MAX_EXTENDED_HANDSHAKE_BYTES = 8 * 1024;
/** Deepest bencode nesting in a handshake an exit decodes: real ones nest 2 deep (`m` inside the dict); bounds the decoder's recursion. */
export const MAX_BENCODE_DEPTH = 8;
/**
 * Pay messages an exit holds for a swarm peer before the originator's extended handshake (which carries the
 * exit's pay fields) has gone out to it: a proof and a head block, with room to spare.
 */
export const MAX_HELD_PAY_BYTES = 64 * 1024;

/**
 * Streams (swarm peers) a download keeps open through its exit circuit. A few peers fill one circuit (all its
 * streams share one path of relays), and each costs the exit a WebRTC connection; half of MAX_STREAMS_PER_CIRCUIT
 * leaves room for streams still closing at the exit while their replacements begin.
 */
export const EXIT_STREAMS_PER_DOWNLOAD = MAX_STREAMS_PER_CIRCUIT / 2;
/**
 * A begin the exit has answered neither `connected` nor `end` within this is ended by the originator: longer
 * than an exit takes to announce and dial (a tracker round trip, a WebRTC offer and answer), so the exit's own
 * `end 'no-peer'` comes first unless the exit is stuck.
 */
export const EXIT_BEGIN_TIMEOUT_MS = 60_000;
/** An exit whose circuit broke or could not be built is passed over while other exits exist, this long: a tab that left lingers in the directory a while. */
export const EXIT_AVOID_FAILED_MS = 2 * 60_000;
/** An exit whose stream was dropped for bytes that failed hash checks is not chosen at all, this long: it (or the peer it chose) sends junk. */
export const EXIT_AVOID_CHEATED_MS = 30 * 60_000;
/**
 * How long an exit keeps a closed circuit's swarm connections, or a stream's the originator ended, for
 * settling: the originator pays its last step as the circuit closes (a payment may take
 * FINAL_PAYMENT_WAIT_MS, 10 s), then the exit acknowledges and the swarm peer proposes; past this the exit
 * owes nothing more it was paid for.
 */
export const EXIT_SETTLE_AFTER_CLOSE_MS = 20_000;
