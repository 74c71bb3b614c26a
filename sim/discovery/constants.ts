/** The discovery simulation's parameters (issue #19), each with why it has this value. */
import { WALK } from '../../src/net/walk.ts';

/** The design walks replaced: every tab published its addresses on a floodsub topic this often. */
export const FLOOD_ANNOUNCE_EVERY_MS = 5_000;
/** A peer asks one random neighbour for peers this often, as the app does. */
export const PEX_WALK_EVERY_MS = WALK.askNeighbourEveryMs;
/** Peers in one exchange answer (src/net/pex/pex-wire.ts MAX_PEX_PEERS). */
export const PEX_ANSWER_PEERS = 32;
/** Candidates a peer remembers, newest kept: enough to refill a neighbourhood twice over, bounded whatever N. */
export const KNOWN_PEERS_KEPT = 64;
/** A peer below its target plans again this often; one at its target only when a refresh is due. */
export const ROUND_MS = 5_000;
/** A WebRTC dial signalled through a relay, start to open (0.4–0.7 s on loopback, ~1 s over the internet). */
export const DIAL_MS = 1_000;
/** One-way message latency between two peers, drawn uniformly in this range (a WebRTC data channel across a continent). */
export const LATENCY_MS: readonly [number, number] = [20, 150];
/** Relays the peers are spread over (each reserved at one, round robin). */
export const DEFAULT_RELAYS = 3;
/** Peers join over this span: a network filling up, not all at one instant. */
export const JOIN_SPAN_MS = 5 * 60_000;
/** Simulated time after the last join; discovery traffic is counted over its second half (steady state). */
export const STEADY_MS = 10 * 60_000;
/** A newcomer "has found" the network once it knows this many peers (the figure). */
export const FOUND_PEERS = 10;
/** GossipSub's heartbeat (its default): when a peer tells the neighbours outside its mesh what it has. */
export const GOSSIP_HEARTBEAT_MS = 1_000;
/** Share of peers a fraud proof must reach (the figure). */
export const REACH_SHARE = 0.99;
/** Network sizes of the default run: the curve from a demo to 100,000 peers. */
export const DEFAULT_SIZES: readonly number[] = [100, 1_000, 10_000, 100_000];
