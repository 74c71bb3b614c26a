/** How the ledger talks to peers; libp2p streams in tabs, an in-memory hub in tests. */
import type { GossipChannel } from '../net/gossip-channel.ts';
import type { GossipPayload } from './ledger-gossip-wire.ts';
import type { LedgerMessage } from './ledger-wire.ts';

export interface PeerRef {
  /** libp2p PeerId (string form). */
  id: string;
  /** The peer's Ed25519 key: its chain owner key. */
  publicKey: Uint8Array;
}

export type LedgerHandler = (from: PeerRef, message: LedgerMessage) => Promise<LedgerMessage | undefined>;

/**
 * One way to ask a peer: e.g. the BitTorrent wire, whose peers are not libp2p
 * peers, or a session of the ledger's own transport. Requests and answers are
 * the same ledger messages.
 */
export interface LedgerChannel {
  request(message: LedgerMessage, timeoutMs: number): Promise<LedgerMessage>;
}

/** Requests to one peer that share one stream, answered in order (a whole-chain crawl's pages); closed when done. */
export interface LedgerSessionRequests extends LedgerChannel {
  close(): Promise<void>;
}

export interface LedgerTransport {
  /** Sends a request and waits for the one response. */
  request(peer: PeerRef, message: LedgerMessage, timeoutMs: number): Promise<LedgerMessage>;
  /** Requests to `peer` sent one after another without a stream each; the caller closes it. */
  session(peer: PeerRef): LedgerSessionRequests;
  /** What spreads to everyone: block pairs and fraud proofs. */
  readonly gossip: GossipChannel<GossipPayload>;
  /** Peers reachable now over direct connections. */
  peers(): PeerRef[];
  /** Installs the handler for incoming messages; a returned message is the response. */
  serve(handler: LedgerHandler): void;
  stop(): void;
}

export class PeerUnreachableError extends Error {
  override name = 'PeerUnreachableError';
}
