/** What a CircuitNode is given: its identity, clock, randomness, crypto, links, settings and the ledger's pay. */
import type { Requester } from './admission.ts';
import type { DestroyReason } from './cell-wire.ts';
import type { CircuitLink } from './circuit-link.ts';
import type { StaticKey } from './handshake.ts';
import type { RelayDebts } from './relay-debt.ts';
import type { CircuitEnd, RelayEvent } from './relayed.ts';
import type { CircuitSeams } from './seams.ts';

export interface CircuitNodeOptions {
  /** Our Ed25519 identity (what neighbours see) and its X25519 form (what handshakes prove). */
  publicKey: Uint8Array;
  staticKey: StaticKey;
  subtle: SubtleCrypto;
  random: (n: number) => Uint8Array;
  now: () => number;
  /** Opens, or reuses, a link to the peer with this identity. */
  connect(peerKey: Uint8Array): Promise<CircuitLink>;
  /** Whether we relay circuits for others now (a setting). */
  relaying(): boolean;
  /** Data arriving at the end of a circuit that someone built to us. */
  onEndpointData?(end: CircuitEnd, data: Uint8Array): void;
  /** A relay circuit opened or closed, or carried bytes (for the UI and payouts). */
  onRelayEvent?(e: RelayEvent): void;
  /** A circuit we built broke: its path (relays, then the far end) and why. */
  onOriginBroken?(path: Uint8Array[], reason: DestroyReason): void;
  /**
   * Pays the neighbour with this key `amount` tokens (a TrustChain payout it
   * countersigns); rejects when it did not. Without it, circuits are unpaid
   * and relays enforce nothing (tests of routing alone).
   */
  pay?(peerKey: Uint8Array, amount: bigint): Promise<void>;
  /**
   * Signs with our identity key (the one `publicKey` names): the receipts we send a
   * circuit's originator for its payments (receipt-wire.ts). Without it, none are sent.
   */
  sign?(message: Uint8Array): Promise<Uint8Array>;
  /** What neighbours owe us for relaying, by key, as loaded from storage (default: in memory, from zero). */
  debts?: RelayDebts;
  /** Test builds only: where test code intercepts (a payer that keeps its tokens). */
  seams?: CircuitSeams;
  /** Waits until `bytes` of relayed traffic fit the user's upload cap. */
  throttle?(bytes: number): Promise<void>;
  /** Longest random pause before passing a payment on (tests shorten it). */
  passOnDelayMaxMs?: number;
  /** How long after a relayed circuit closes we pay its next hop what the previous one did not (tests shorten it). */
  liableAfterMs?: number;
  /** How long a relayed circuit's queue may wait for the next link before it is cut, at a sweep (tests shorten it). */
  forwardStallMs?: number;
  /**
   * End-to-end window of our circuits, in bytes of data cells (CIRCUIT_WINDOW_BYTES): what our ends
   * send unacknowledged, and what we queue per relayed circuit beyond slack. Benches widen it.
   */
  circuitWindowBytes?: number;
  /** What we know of a neighbour asking us to relay: fraud, verified balance, chain length (for admission). */
  requester?(fromKey: Uint8Array): Promise<Requester>;
}
