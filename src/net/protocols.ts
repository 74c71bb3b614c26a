/**
 * Names shared by browser peers and the relay: pubsub topics and stream protocol ids.
 * Every protocol id carries a version; a breaking wire change gets a new id.
 */

/** Pubsub topic on which peers announce their dialable addresses (pubsub peer discovery). */
export const DISCOVERY_TOPIC = 'trustmesh/1/_peer-discovery._p2p._pubsub';

/** Peer exchange: ask a directly connected peer which peers it knows. */
export const PEX_PROTOCOL = '/trustmesh/pex/1.0.0';

/** A relay names the relays it federates with (the PEX wire format; entries are relays, with WebSocket addresses). */
export const RELAYS_PROTOCOL = '/trustmesh/relays/1.0.0';

/** Throughput probe between two peers (diagnostics and benchmarks). */
export const PERF_PROTOCOL = '/trustmesh/perf/1.0.0';
