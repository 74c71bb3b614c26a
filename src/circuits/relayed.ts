/**
 * What a relay keeps per circuit it relays (the relay core, its payments and
 * its introduction and rendezvous roles share it), and the events and ends it
 * shows the app.
 */
import { toHex } from '../codec/bytes.ts';
import type { CircuitLink } from './circuit-link.ts';
import type { DestroyReason } from './cell-wire.ts';
import type { HopLayer } from './hop-layer.ts';
import { openFlow, type RelayFlow } from './far-end.ts';
import { CIRCUIT_WINDOW_BYTES } from './constants.ts';
import type { KeeperFinding } from './payment-receipts.ts';

export type RelayEvent =
  | { type: 'opened'; id: string; from: Uint8Array }
  | { type: 'bytes'; id: string; bytes: number }
  /** With what it was paid, passed on and promised by then (diagnostics). */
  | { type: 'closed'; id: string; reason: DestroyReason; bytes: number; paidIn: bigint; paidOut: bigint; promisedIn: bigint }
  | { type: 'paid'; id: string; amount: bigint; direction: 'in' | 'out' }
  /** We cut a circuit for non-payment: its figures at the cut (bytes carried, paid in and out, in flight, the key's debt). */
  | { type: 'unpaid'; id: string; carried: number; paidIn: bigint; paidOut: bigint; inFlight: bigint; debt: bigint; overKeyWindow: boolean; lapsed: boolean }
  /** At the originator: a relay of a circuit we built kept a payment it should have passed on (payment-receipts.ts). */
  | { type: 'keeper'; finding: KeeperFinding }
  /** We refused to countersign a payout: no announcement held for it, and its payer's key owed us less (diagnostics). */
  | { type: 'payout-refused'; from: string; amount: bigint; owed: bigint }
  /** A link to a neighbour went away, and every circuit on it with it (diagnostics). */
  | { type: 'link-closed'; to: Uint8Array };

/** The far end of a circuit someone else built to us: we can answer along it. */
export interface CircuitEnd {
  readonly id: string;
  reply(data: Uint8Array): Promise<void>;
  /**
   * Tokens the previous hop paid us for this circuit beyond the cells we
   * carried: what its originator paid through to us, the far end (an exit
   * relay's pay for the swarm's data). Never more than was paid in.
   */
  surplus(): bigint;
  /** Calls back once when the circuit closes (at once if it has). */
  onClose(listener: () => void): void;
}

export interface Hop {
  link: CircuitLink;
  circuitId: number;
}

/** One way payments leave a circuit (on toward the far end, or back toward the originator): what is under way. */
export interface PaymentFlow {
  payments: number;
  inFlight: bigint;
  /** Failed payments in a row: each is tried again, a little later each time. */
  failures: number;
}


export interface Relayed {
  id: string;
  prev: Hop;
  /** The previous hop's key (hex): who pays us for this circuit, and owes us while it does not. */
  debtor: string;
  next: Hop | undefined;
  forward: HopLayer;
  backward: HopLayer;
  extending: boolean;
  bytes: number;
  openedAt: number;
  lastActive: number;
  /** When it last carried IDLE_PLACE_BYTES more, and its bytes then: what keeps its place when tables are full (relay-tables.ts). */
  busyAt: number;
  busyMark: number;
  badCells: number;
  /** Ties an introduction proof to this circuit: a hash of our handshake keys with its originator (descriptors.ts). */
  binding: Uint8Array;
  /** Tokens the previous hop paid us for this circuit, and what we passed on to the next. */
  paidIn: bigint;
  paidOut: bigint;
  /**
   * Our bytes when the latest payment credited from the previous hop was
   * announced: what it covers of our own share. The rest of it is passed on,
   * so the next hop is not shorted by what we carried while it travelled.
   */
  covered: number;
  /**
   * The largest total the previous hop announced for this circuit (what it
   * will have paid once its payouts under way land), and our bytes then: the
   * gap to `paidIn` is passed on ahead (relay-payments.ts passOn).
   */
  promisedIn: bigint;
  promisedAt: number;
  forwardFlow: PaymentFlow;
  /**
   * Tokens coming back from the far side toward the originator (a downloader
   * paying a hidden seeder through the rendezvous point): all of it passes on.
   */
  backIn: bigint;
  backOut: bigint;
  backFlow: PaymentFlow;
  open: boolean;
  /** Closed, and past the time for its final payment: we owe the next hop for what we carried, paid or not. */
  liable: boolean;
  /** Closed: until when its step still counts toward its key's window (its final payment may be on its way). */
  excusedUntil: number;
  /** How the requester ranked at admission. */
  newcomer: boolean;
  balance: bigint;
  /** At a rendezvous point: the circuit this one is spliced to. */
  spliced?: Relayed;
  /** When we end it: what endpoint handlers see of it, and who waits for it to close. */
  end?: CircuitEnd;
  closeListeners?: (() => void)[];
  /** Its cells waiting for each link here, and its end-to-end windows when we end it (far-end.ts). */
  flow: RelayFlow;
}

/** A payout a neighbour announced on a circuit link, waiting for its TrustChain proposal. */
export interface Announced {
  amount: bigint;
  /** When it was announced, and the circuit's bytes then (what it pays for). */
  at: number;
  bytesAt: number;
  /** Tokens of payouts announced after it on the same circuit and credited (`forward` only): enough of them cover it. */
  coveredBy: bigint;
  /** The relayed circuit it pays for from its previous hop's side, if that is what it is (counts as in flight). */
  forward?: Relayed;
  /** Whether the circuit it is for may still be paid. */
  live(): boolean;
  credit(amount: bigint, bytesAt: number): void;
}

/** What an announcement is for, before its amount and moment are known. */
export type AnnouncedTarget = Omit<Announced, 'amount' | 'at' | 'bytesAt' | 'coveredBy'>;

/** Bytes of a relayed circuit its previous hop has not paid for: what we kept paid for our own bytes, the rest was passed on for others. */
export function unpaidOn(r: Relayed): bigint {
  return BigInt(r.bytes) - (r.paidIn - r.paidOut);
}

/** A circuit just admitted: nothing carried, paid or extended yet. */
export function openRelayed(f: Pick<Relayed, 'id' | 'prev' | 'forward' | 'backward' | 'binding' | 'newcomer' | 'balance'> & { now: number; flow?: RelayFlow }): Relayed {
  const { now, flow, ...given } = f;
  return {
    ...given,
    flow: flow ?? openFlow(CIRCUIT_WINDOW_BYTES, () => now),
    debtor: toHex(f.prev.link.remoteKey),
    next: undefined,
    extending: false,
    bytes: 0,
    openedAt: now,
    lastActive: now,
    busyAt: now,
    busyMark: 0,
    badCells: 0,
    paidIn: 0n,
    paidOut: 0n,
    covered: 0,
    promisedIn: 0n,
    promisedAt: 0,
    forwardFlow: { payments: 0, inFlight: 0n, failures: 0 },
    backIn: 0n,
    backOut: 0n,
    backFlow: { payments: 0, inFlight: 0n, failures: 0 },
    open: true,
    liable: false,
    excusedUntil: 0,
  };
}
