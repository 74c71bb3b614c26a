/** Onion circuits: protocol id and limits, each with the reason for its value. */

/** One long-lived stream per direct connection carries every circuit between the two peers. */
export const CIRCUIT_PROTOCOL = '/trustmesh/circuits/1.0.0';

/** Tribler's range: 1 hop hides the ends from each other; 3 hops resists a colluding pair of relays. */
export const MAX_HOPS = 3;
/**
 * Largest data payload in one cell. Big cells amortise WebCrypto's per-call cost
 * (AES-GCM runs at 150+ MiB/s on 64 KiB messages, far less on Tor's 509 bytes);
 * 60 KiB plus three layers of overhead stays under a 64 KiB libp2p message.
 */
export const MAX_DATA_BYTES = 60 * 1024;
/** Largest link frame: a data cell with every layer's overhead, and room to spare. */
export const MAX_FRAME_BYTES = 64 * 1024;
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
