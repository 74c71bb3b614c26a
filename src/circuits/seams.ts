import type { RelayCommand } from './cell-wire.ts';

/**
 * Interception points of the circuits that only a test build fills in (see
 * src/app/fault-seams.ts). Empty in production: every field is optional and unset.
 */

/**
 * Sees a frame a link is about to send, and may first write frames of its
 * own with `inject` (through the link's window, in order): a hostile neighbour.
 */
export type LinkTap = (frame: Uint8Array, link: { readonly closed: boolean }, inject: (frame: Uint8Array) => Promise<void>) => Promise<void>;

export interface CircuitSeams {
  /** Asked before we pay a neighbour (as originator or passing a payment on); false keeps the tokens. */
  beforePay?(peerKey: Uint8Array, amount: bigint): boolean;
  /** The tap for links to the peer with this key (hex), if any. */
  linkTap?(peerKeyHex: string): LinkTap | undefined;
  /**
   * What this tab answers others' hidden-swarm lookups with, given `own` (the
   * descriptors it holds as introduction point): a neighbour that lies.
   */
  lookupAnswers?(lookup: Uint8Array, own: Uint8Array[]): Uint8Array[];
  /**
   * While it gives a promise, our link from the peer with this key (hex) reads no frames until it
   * settles: a tab that stopped reading (its circuits' far ends stall; benches of head-of-line blocking).
   */
  readGate?(peerKeyHex: string): Promise<void> | undefined;
  /** The end-to-end window of circuits opened from now on (benches widen it on every tab; one tab alone ignores the rule). */
  circuitWindowBytes?(): number | undefined;
  /** A circuit we relay opened: test code may send commands back on it as this relay (a hostile middle relay). */
  relayedOpened?(sendBack: (c: RelayCommand) => boolean): void;
  /** The tap for our introduction to `service` through `introPoint` (keys), if any; asked before the attempt. */
  introductionTap?(introPoint: Uint8Array, service: Uint8Array): IntroductionTap | undefined;
}

/** Sends a sealed introduction on its circuit by calling `send` (once, twice: a requester that replays it). */
export type IntroductionTap = (send: () => Promise<void>) => Promise<void>;
