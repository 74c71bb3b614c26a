/**
 * Peer scoring for everything that spreads by gossip (ledger pairs and fraud
 * proofs, relay announcements, swarm records): a peer that sends messages
 * invalid by themselves is muted, its gossip dropped unread and none sent to
 * it, the way GossipSub v1.1 graylists peers for invalid message deliveries.
 * Only what is invalid whatever anyone holds counts (each caller decides): an
 * outcome that depends on our own store or clock (a fork of a chain we hold, an
 * expired record) is news or skew, not a fault. Pure: the clock is injected.
 */

/**
 * A message invalid by itself (a bad signature, a pair that does not link, a proof that proves nothing)
 * was made by its sender or passed on unchecked: an honest peer passes on only what validated, so it
 * sends none.
 */
export const GOSSIP_SCORING = {
  /** Such messages within `windowMs` that mute a peer: one may be a bug or an older version's rule, three are a habit. */
  invalidToMute: 3,
  windowMs: 10 * 60_000,
  /** A muted peer's gossip is dropped unread and it is sent none, for this long: sending junk buys nothing but silence. */
  muteMs: 60 * 60_000,
  /** Peers scored at once; past it the one penalised least recently is forgotten (each costs its sender a connection). */
  peers: 1_024,
} as const;

interface Score {
  /** When each invalid message counted came, within the window. */
  strikes: number[];
  mutedUntil: number;
}

export class GossipScores {
  /** Least recently penalised first. */
  private readonly scores = new Map<string, Score>();

  constructor(private readonly now: () => number, private readonly limits: Record<keyof typeof GOSSIP_SCORING, number> = GOSSIP_SCORING) {}

  /** Counts an invalid message from `peer`; true when it mutes the peer. */
  penalise(peer: string): boolean {
    const t = this.now();
    const score = this.scores.get(peer) ?? { strikes: [], mutedUntil: Number.NEGATIVE_INFINITY };
    this.scores.delete(peer);
    this.scores.set(peer, score);
    if (this.scores.size > this.limits.peers) this.scores.delete(this.scores.keys().next().value!);
    score.strikes = score.strikes.filter((at) => t - at < this.limits.windowMs);
    score.strikes.push(t);
    if (score.strikes.length < this.limits.invalidToMute) return false;
    score.strikes = [];
    score.mutedUntil = t + this.limits.muteMs;
    return true;
  }

  isMuted(peer: string): boolean {
    return (this.scores.get(peer)?.mutedUntil ?? Number.NEGATIVE_INFINITY) > this.now();
  }
}

/**
 * Offers each message `from` sent, unless `from` is muted (then none is read), and counts against it
 * each one whose outcome says it is invalid by itself. Returns the messages that were news.
 */
export function offerScored<M, R>(scores: GossipScores, from: string, messages: readonly M[], offer: (m: M) => R, judge: (outcome: R) => 'new' | 'invalid' | 'other'): M[] {
  const news: M[] = [];
  for (const m of messages) {
    // A muted sender's messages go unread, including the rest of this batch once it is muted.
    if (scores.isMuted(from)) break;
    const verdict = judge(offer(m));
    if (verdict === 'new') news.push(m);
    else if (verdict === 'invalid') scores.penalise(from);
  }
  return news;
}
