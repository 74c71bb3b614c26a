/**
 * The two traders' negotiation after a match (pure; clock injected, no timers).
 * A matchmaker matched an ask with a bid and reserved a quantity; the seller (the
 * ask's trader) proposes terms to the buyer; each side may accept, decline with
 * a typed reason, or counter with a smaller quantity (at most MAX_COUNTERS
 * times); a side that does not answer within NEGOTIATION_REPLY_TIMEOUT_MS is
 * declined for 'timeout'. The seller proposes because it also sizes the
 * installments (installments.ts), and one fixed proposer means two proposals
 * for one match never cross.
 *
 * Every offer is checked against both orders as this peer holds them (signed
 * and verified by the book): a price outside either limit, a quantity above
 * what either order has left, an expired order or a trader with itself is
 * declined, never agreed. One negotiation per match id; a finished one is
 * remembered for NEGOTIATION_MEMORY_MS so a replayed proposal is ignored.
 *
 * Messages of one match can cross: the seller's decline for 'timeout' can
 * reach the buyer before the buyer handled the proposal (it waits for the
 * orders' checks), or after it accepted. A decline from a proposal's seller is
 * therefore remembered before its proposal (up to MAX_EARLY_DECLINES), and
 * ends a negotiation the buyer agreed to and the seller had not: either way
 * the buyer holds nothing of its bid for a trade the seller will not start.
 *
 * For the network layer:
 *   in:  start(match)                 when my ask is matched (I am the seller)
 *        receive(fromKeyHex, message) for each decoded negotiation message
 *        accept / counter / decline   the policy's answer to 'answer-needed'
 *        tick(now)                    every second or so (deadlines)
 *   out: 'send'          the message to the peer
 *        'answer-needed' the peer offered terms: the policy answers (funds, trust, maxTradeTokens)
 *        'agreed'        the terms for trade-init; tell the matchmaker (match done)
 *        'declined'      tell the matchmaker, which releases the reservation
 */
import { tradeWei } from './installments.ts';
import { MAX_COUNTERS, MAX_EARLY_DECLINES, MAX_NEGOTIATIONS, NEGOTIATION_MEMORY_MS, NEGOTIATION_REPLY_TIMEOUT_MS } from './settlement-constants.ts';

/** An order as this peer holds it after checking its signature and chain. */
export interface OrderView {
  id: string;
  /** The trader's public key, hex. */
  trader: string;
  side: 'ask' | 'bid';
  /** Limit price, wei per PRICE_UNIT bytes: an ask's least, a bid's most. */
  price: bigint;
  /** Bytes not yet traded nor taken by a trade agreed and not yet recorded (my open negotiations are subtracted here). */
  remaining: bigint;
  expiresAt: number;
}

export type DeclineReason =
  | 'price' // worse than an order's limit
  | 'quantity' // above what an order has left, or nothing
  | 'order-unknown' // an order id this peer does not hold, or not of these two traders
  | 'order-expired'
  | 'self-trade'
  | 'no-funds' // the policy: not enough tokens or Ether
  | 'untrusted' // the policy: the counterparty's record
  | 'busy' // the policy: too many trades at once
  | 'timeout'
  | 'stalled' // more than MAX_COUNTERS counters
  | 'protocol'; // a message out of turn or not matching the offer

export type NegotiationMessage =
  | { type: 'propose'; matchId: string; askId: string; bidId: string; quantity: bigint; price: bigint }
  | { type: 'counter'; matchId: string; quantity: bigint }
  | { type: 'accept'; matchId: string; quantity: bigint; price: bigint }
  | { type: 'decline'; matchId: string; reason: DeclineReason };

/** What trade-init records (with the seller's installment size, installments.ts). */
export interface AgreedTerms {
  matchId: string;
  askId: string;
  bidId: string;
  seller: string;
  buyer: string;
  tokens: bigint;
  price: bigint;
  wei: bigint;
}

export interface Offer {
  quantity: bigint;
  price: bigint;
}

export type NegotiationAction =
  | { type: 'send'; to: string; message: NegotiationMessage }
  | { type: 'answer-needed'; matchId: string; peer: string; offer: Offer }
  | { type: 'agreed'; terms: AgreedTerms }
  | { type: 'declined'; matchId: string; peer: string; reason: DeclineReason; by: 'me' | 'them' };

/** 'ignored': a replay, a message out of turn from someone not in the match, or for no match I hold. */
export type ReceiveOutcome = 'started' | 'progressed' | 'agreed' | 'declined' | 'refused' | 'ignored';

export interface NegotiationDeps {
  now(): number;
  /** My public key, hex. */
  me: string;
  /** An order as my book holds it (verified), or undefined. */
  order(id: string): OrderView | undefined;
}

export class NegotiationError extends Error {
  override name = 'NegotiationError';
  constructor(
    readonly code: 'duplicate' | 'not-mine' | 'not-my-turn' | 'unknown-match' | DeclineReason,
    message: string,
  ) {
    super(message);
  }
}

type Status = 'awaiting-them' | 'awaiting-me' | 'agreed' | 'declined';

interface Talk {
  matchId: string;
  ask: OrderView;
  bid: OrderView;
  peer: string;
  status: Status;
  offer: Offer;
  counters: number;
  /** Answer due by this time while open; forgotten after it once closed. */
  deadline: number;
}

/** Checks terms against both orders; the first problem found, or undefined. Pure, used by both sides. */
export function checkAgainstOrders(ask: OrderView, bid: OrderView, offer: Offer, now: number): DeclineReason | undefined {
  if (ask.side !== 'ask' || bid.side !== 'bid') return 'order-unknown';
  if (ask.trader === bid.trader) return 'self-trade';
  if (now >= ask.expiresAt || now >= bid.expiresAt) return 'order-expired';
  if (offer.price < ask.price || offer.price > bid.price) return 'price';
  if (offer.quantity <= 0n || offer.quantity > ask.remaining || offer.quantity > bid.remaining) return 'quantity';
  if (tradeWei(offer.quantity, offer.price) === 0n) return 'quantity';
  return undefined;
}

export class Negotiations {
  private readonly talks = new Map<string, Talk>();
  /** Declines that came before their proposal: match id to the peer that withdrew it, oldest first. */
  private readonly earlyDeclines = new Map<string, string>();

  constructor(private readonly deps: NegotiationDeps) {}

  /** Opens the negotiation of a match of my ask: checks and proposes. Throws NegotiationError if the terms contradict the orders. */
  start(match: { matchId: string; ask: OrderView; bid: OrderView; offer: Offer }): NegotiationAction[] {
    const { matchId, ask, bid, offer } = match;
    if (this.talks.has(matchId)) throw new NegotiationError('duplicate', `Match ${matchId} is already being negotiated.`);
    if (this.talks.size >= MAX_NEGOTIATIONS) throw new NegotiationError('busy', 'Too many negotiations at once; wait for some to finish.');
    if (ask.trader !== this.deps.me) throw new NegotiationError('not-mine', 'Only the seller proposes: this ask is not mine.');
    const problem = this.check(matchId, ask, bid, offer);
    if (problem !== undefined) throw new NegotiationError(problem, `These terms contradict the orders (${problem}); propose within both limits.`);
    this.talks.set(matchId, { matchId, ask, bid, peer: bid.trader, status: 'awaiting-them', offer, counters: 0, deadline: this.replyBy() });
    const message: NegotiationMessage = { type: 'propose', matchId, askId: ask.id, bidId: bid.id, ...offer };
    return [{ type: 'send', to: bid.trader, message }];
  }

  receive(from: string, message: NegotiationMessage): { outcome: ReceiveOutcome; actions: NegotiationAction[] } {
    if (message.type === 'propose') return this.proposed(from, message);
    const talk = this.talks.get(message.matchId);
    if (talk === undefined && message.type === 'decline') return this.declinedEarly(from, message.matchId);
    if (talk !== undefined && message.type === 'decline' && this.sellerWithdrewAgreed(talk, from)) {
      this.close(talk, 'declined');
      return { outcome: 'declined', actions: [{ type: 'declined', matchId: talk.matchId, peer: talk.peer, reason: message.reason, by: 'them' }] };
    }
    if (talk === undefined || talk.peer !== from || talk.status === 'agreed' || talk.status === 'declined') return ignored();
    if (message.type === 'decline') {
      this.close(talk, 'declined');
      return { outcome: 'declined', actions: [{ type: 'declined', matchId: talk.matchId, peer: talk.peer, reason: message.reason, by: 'them' }] };
    }
    // Counters and accepts answer my offer: out of turn they are a replay or a stale crossing, not a new fact.
    if (talk.status !== 'awaiting-them') return ignored();
    if (message.type === 'accept') {
      if (message.quantity !== talk.offer.quantity || message.price !== talk.offer.price) return this.refuse(talk, 'protocol');
      return { outcome: 'agreed', actions: this.agree(talk) };
    }
    if (talk.counters >= MAX_COUNTERS) return this.refuse(talk, 'stalled');
    if (message.quantity >= talk.offer.quantity) return this.refuse(talk, 'quantity');
    const offer = { quantity: message.quantity, price: talk.offer.price };
    const problem = this.check(talk.matchId, talk.ask, talk.bid, offer);
    if (problem !== undefined) return this.refuse(talk, problem);
    talk.offer = offer;
    talk.counters++;
    talk.status = 'awaiting-me';
    talk.deadline = this.replyBy();
    return { outcome: 'progressed', actions: [{ type: 'answer-needed', matchId: talk.matchId, peer: talk.peer, offer }] };
  }

  /** Accepts the peer's current offer. */
  accept(matchId: string): NegotiationAction[] {
    const talk = this.myTurn(matchId);
    return [{ type: 'send', to: talk.peer, message: { type: 'accept', matchId, ...talk.offer } }, ...this.agree(talk)];
  }

  /** Answers the peer's offer with a smaller quantity. */
  counter(matchId: string, quantity: bigint): NegotiationAction[] {
    const talk = this.myTurn(matchId);
    if (talk.counters >= MAX_COUNTERS) throw new NegotiationError('stalled', 'Too many counters in this negotiation; accept or decline.');
    if (quantity >= talk.offer.quantity) throw new NegotiationError('quantity', 'A counter must ask for less than the offer; accept it instead.');
    const problem = this.check(matchId, talk.ask, talk.bid, { quantity, price: talk.offer.price });
    if (problem !== undefined) throw new NegotiationError(problem, `This counter contradicts the orders (${problem}).`);
    talk.offer = { quantity, price: talk.offer.price };
    talk.counters++;
    talk.status = 'awaiting-them';
    talk.deadline = this.replyBy();
    return [{ type: 'send', to: talk.peer, message: { type: 'counter', matchId, quantity } }];
  }

  /** Declines the peer's offer (or withdraws mine) with a reason. */
  decline(matchId: string, reason: DeclineReason): NegotiationAction[] {
    const talk = this.talks.get(matchId);
    if (talk === undefined || talk.status === 'agreed' || talk.status === 'declined') throw new NegotiationError('unknown-match', `No open negotiation for match ${matchId}.`);
    return this.declineOpen(talk, reason);
  }

  /** Declines what waited past its deadline, and forgets what finished long ago. */
  tick(now: number): NegotiationAction[] {
    const actions: NegotiationAction[] = [];
    for (const talk of [...this.talks.values()]) {
      if (now < talk.deadline) continue;
      if (talk.status === 'agreed' || talk.status === 'declined') this.talks.delete(talk.matchId);
      else actions.push(...this.declineOpen(talk, 'timeout'));
    }
    return actions;
  }

  /** Where each negotiation held stands (open ones and those closed lately), for diagnostics. */
  statuses(): Status[] {
    return [...this.talks.values()].map((t) => t.status);
  }

  /** The state of a match's negotiation, for the UI and tests. */
  status(matchId: string): { status: Status; offer: Offer; counters: number } | undefined {
    const talk = this.talks.get(matchId);
    return talk === undefined ? undefined : { status: talk.status, offer: { ...talk.offer }, counters: talk.counters };
  }

  private proposed(from: string, message: Extract<NegotiationMessage, { type: 'propose' }>): { outcome: ReceiveOutcome; actions: NegotiationAction[] } {
    // One negotiation per match: a second proposal (replayed or not) changes nothing; nor one its seller already withdrew.
    if (this.talks.has(message.matchId)) return ignored();
    if (this.earlyDeclines.get(message.matchId) === from) {
      this.earlyDeclines.delete(message.matchId);
      return ignored();
    }
    const ask = this.deps.order(message.askId);
    const bid = this.deps.order(message.bidId);
    const offer = { quantity: message.quantity, price: message.price };
    const decline = (reason: DeclineReason) => ({
      outcome: 'refused' as const,
      actions: [
        { type: 'send' as const, to: from, message: { type: 'decline' as const, matchId: message.matchId, reason } },
        { type: 'declined' as const, matchId: message.matchId, peer: from, reason, by: 'me' as const },
      ],
    });
    // The proposer must be the seller of a real ask, and the bid mine: nobody negotiates in another's name.
    if (ask === undefined || bid === undefined || ask.trader !== from || bid.trader !== this.deps.me) return decline('order-unknown');
    if (this.talks.size >= MAX_NEGOTIATIONS) return decline('busy');
    const problem = this.check(message.matchId, ask, bid, offer);
    // A refused proposal is remembered too, so its replays are ignored rather than answered again.
    const talk: Talk = { matchId: message.matchId, ask, bid, peer: from, status: 'awaiting-me', offer, counters: 0, deadline: this.replyBy() };
    this.talks.set(message.matchId, talk);
    if (problem !== undefined) {
      this.close(talk, 'declined');
      return decline(problem);
    }
    return { outcome: 'started', actions: [{ type: 'answer-needed', matchId: message.matchId, peer: from, offer }] };
  }

  /**
   * checkAgainstOrders with my order's remaining less what my other open
   * negotiations offer of it: two matches of one order cannot both be agreed
   * beyond it. (Agreed trades are the caller's: `order` counts them as taken.)
   */
  private check(matchId: string, ask: OrderView, bid: OrderView, offer: Offer): DeclineReason | undefined {
    const mine = ask.trader === this.deps.me ? ask : bid;
    let promised = 0n;
    for (const t of this.talks.values()) {
      const open = t.status === 'awaiting-me' || t.status === 'awaiting-them';
      if (open && t.matchId !== matchId && (t.ask.id === mine.id || t.bid.id === mine.id)) promised += t.offer.quantity;
    }
    const less = { ...mine, remaining: mine.remaining - promised };
    return checkAgainstOrders(mine === ask ? less : ask, mine === bid ? less : bid, offer, this.deps.now());
  }

  /** Only a proposal's sender can withdraw it ahead: the proposal must come from the same peer to be ignored. */
  private declinedEarly(from: string, matchId: string): { outcome: ReceiveOutcome; actions: NegotiationAction[] } {
    this.earlyDeclines.delete(matchId);
    this.earlyDeclines.set(matchId, from);
    if (this.earlyDeclines.size > MAX_EARLY_DECLINES) this.earlyDeclines.delete(this.earlyDeclines.keys().next().value!);
    return ignored();
  }

  /** I am the buyer and accepted; the seller's decline (sent before my accept reached it) means it will not start this trade. */
  private sellerWithdrewAgreed(talk: Talk, from: string): boolean {
    return talk.status === 'agreed' && talk.peer === from && talk.ask.trader === from && talk.bid.trader === this.deps.me;
  }

  private myTurn(matchId: string): Talk {
    const talk = this.talks.get(matchId);
    if (talk === undefined) throw new NegotiationError('unknown-match', `No negotiation for match ${matchId}.`);
    if (talk.status !== 'awaiting-me') throw new NegotiationError('not-my-turn', 'The other trader has not answered yet.');
    // My answer is checked like theirs: the orders may have expired while the policy decided.
    const problem = this.check(matchId, talk.ask, talk.bid, talk.offer);
    if (problem !== undefined) throw new NegotiationError(problem, `The offer no longer fits the orders (${problem}); decline it.`);
    return talk;
  }

  private agree(talk: Talk): NegotiationAction[] {
    this.close(talk, 'agreed');
    const { quantity, price } = talk.offer;
    const terms: AgreedTerms = {
      matchId: talk.matchId,
      askId: talk.ask.id,
      bidId: talk.bid.id,
      seller: talk.ask.trader,
      buyer: talk.bid.trader,
      tokens: quantity,
      price,
      wei: tradeWei(quantity, price),
    };
    return [{ type: 'agreed', terms }];
  }

  private refuse(talk: Talk, reason: DeclineReason): { outcome: ReceiveOutcome; actions: NegotiationAction[] } {
    return { outcome: 'refused', actions: this.declineOpen(talk, reason) };
  }

  private declineOpen(talk: Talk, reason: DeclineReason): NegotiationAction[] {
    this.close(talk, 'declined');
    return [
      { type: 'send', to: talk.peer, message: { type: 'decline', matchId: talk.matchId, reason } },
      { type: 'declined', matchId: talk.matchId, peer: talk.peer, reason, by: 'me' },
    ];
  }

  private close(talk: Talk, status: 'agreed' | 'declined'): void {
    talk.status = status;
    talk.deadline = this.deps.now() + NEGOTIATION_MEMORY_MS;
  }

  private replyBy(): number {
    return this.deps.now() + NEGOTIATION_REPLY_TIMEOUT_MS;
  }
}

function ignored(): { outcome: ReceiveOutcome; actions: NegotiationAction[] } {
  return { outcome: 'ignored', actions: [] };
}
