/**
 * A topic everything that spreads to everyone travels on: GossipSub in tabs
 * (gossipsub-channel.ts), an in-memory flood in unit tests. The subscriber
 * judges each message before it goes further: only what it accepts is passed
 * on, and what it rejects counts against the peer that sent it (peer scoring).
 */

/**
 * accept: valid and news, pass it on. ignore: not passed on, no fault of the sender (known already,
 * over its sender's intake, invalid only against our own store). reject: invalid by itself; an honest
 * peer passes on only what validated, so the sender made it or forwarded it unchecked.
 */
export type GossipVerdict = 'accept' | 'ignore' | 'reject';

/** What a store's judgement of an offered item (new / invalid by itself / anything else) means for gossip. */
export function verdictOf(judged: 'new' | 'invalid' | 'other'): GossipVerdict {
  return judged === 'new' ? 'accept' : judged === 'invalid' ? 'reject' : 'ignore';
}

/** `from` is the neighbour that passed the message to us, not necessarily its author. */
export type GossipJudge<M> = (from: string, message: M) => Promise<GossipVerdict>;

export interface GossipChannel<M> {
  /** Sends our own message to every neighbour on the topic; they pass it on if they accept it. */
  publish(message: M): Promise<void>;
  /** Installs the judge for incoming messages (one per channel). */
  subscribe(judge: GossipJudge<M>): void;
  /**
   * Calls `listener` with each neighbour on the topic now, then with each that joins: our publications
   * reach it from then on, and none from before, so what it should know already is sent to it by other
   * means. Returns the unsubscribe.
   */
  onJoin(listener: (peer: string) => void): () => void;
  stop(): void;
}
