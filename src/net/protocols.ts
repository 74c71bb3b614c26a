/**
 * Names shared by browser peers and the relay: stream protocol ids.
 * Every protocol id carries a version; a breaking wire change gets a new id.
 */

/** Peer exchange: ask a directly connected peer which peers it knows. */
export const PEX_PROTOCOL = '/trustmesh/pex/1.0.0';

/**
 * A relay names peers reserved with it, its own only, never ones it learnt from other relays (the PEX
 * wire format): what federated relays sample from each other, so a sample is never passed on as a
 * relay's own, whoever is configured with whom.
 */
export const RELAY_PEERS_PROTOCOL = '/trustmesh/relay-peers/1.0.0';

/** A relay names the relays it federates with (the PEX wire format; entries are relays, with WebSocket addresses). */
export const RELAYS_PROTOCOL = '/trustmesh/relays/1.0.0';

/** Throughput probe between two peers (diagnostics and benchmarks). */
export const PERF_PROTOCOL = '/trustmesh/perf/1.0.0';
