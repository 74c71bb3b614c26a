/** Onion circuits: protocol id and limits, each with the reason for its value. */

/** One long-lived stream per direct connection carries every circuit between the two peers. */
export const CIRCUIT_PROTOCOL = '/trustmesh/circuits/1.0.0';

/** Tribler's range: 1 hop hides the ends from each other; 3 hops resists a colluding pair of relays. */
export const MAX_HOPS = 3;
/** A circuit's path: up to MAX_HOPS relays, then the far end (a rendezvous point or a probe's sink). */
export const MAX_PATH_LENGTH = MAX_HOPS + 1;
/**
 * Largest data payload in one cell. Big cells amortise the per-message cost of
 * WebCrypto calls and of WebRTC data channels (on Tor's 509 bytes both would
 * dominate); with every layer's overhead a cell stays inside one libp2p
 * WebRTC message (NODE_LIMITS.webRtcMaxMessageSize).
 */
export const MAX_DATA_BYTES = 180 * 1024;
/** Largest link frame: a data cell with every layer's overhead, and room to spare. */
export const MAX_FRAME_BYTES = 184 * 1024;
/** Circuits a peer may hold open through one link: bounds state a neighbour can make us keep. */
export const MAX_CIRCUITS_PER_LINK = 64;
/** Circuits a peer relays at once, over all links. */
export const MAX_RELAYED_CIRCUITS = 256;
/** A circuit is torn down after this long, as Tribler's 10 minutes: long-lived circuits are easier to correlate. */
export const CIRCUIT_LIFETIME_MS = 10 * 60_000;
/** A circuit may carry at most this much; then a fresh one is built (Tribler: 250 MiB stalled downloads at 55 MB). */
export const MAX_CIRCUIT_BYTES = 1024 * 1024 * 1024;
/** The originator sends a keepalive this often when idle, so relays can drop circuits whose originator vanished. */
export const KEEPALIVE_MS = 10_000;
/** A relay drops a circuit with no traffic for this long (three missed keepalives). */
export const IDLE_TIMEOUT_MS = 3 * KEEPALIVE_MS;
/** A create or extend that gets no answer within this fails, and the hop is tried elsewhere. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Cells that fail authentication on one circuit before the relay gives up on it. */
export const MAX_BAD_CELLS_PER_CIRCUIT = 64;
/**
 * Bytes a link may have sent that the other side has not yet processed.
 * WebRTC has no receive-side flow control and libp2p resets a stream whose
 * read buffer passes 4 MiB, so a sender must wait for credit well before that.
 */
export const LINK_WINDOW_BYTES = 1024 * 1024;
/** The receiver returns credit after processing this much (a quarter window keeps the pipe full). */
export const LINK_CREDIT_EVERY_BYTES = LINK_WINDOW_BYTES / 4;
