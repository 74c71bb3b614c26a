/** Peer scoring for gossip: strikes within a window mute a peer for a while; bounded memory. */
import { describe, expect, it } from 'vitest';
import { GOSSIP_SCORING, GossipScores, offerScored } from './gossip-scores.ts';

describe('GossipScores', () => {
  it('mutes a peer at the third invalid message within the window, for muteMs, and forgets strikes older than the window', () => {
    let t = 0;
    const scores = new GossipScores(() => t);
    expect(scores.penalise('p')).toBe(false);
    t += GOSSIP_SCORING.windowMs; // the first strike ages out
    expect(scores.penalise('p')).toBe(false);
    expect(scores.penalise('p')).toBe(false);
    expect(scores.isMuted('p')).toBe(false);
    expect(scores.penalise('p')).toBe(true);
    expect(scores.isMuted('p')).toBe(true);
    expect(scores.isMuted('q')).toBe(false);
    t += GOSSIP_SCORING.muteMs - 1;
    expect(scores.isMuted('p')).toBe(true);
    t += 1;
    expect(scores.isMuted('p')).toBe(false);
  });

  it('scores a bounded number of peers, forgetting the one penalised least recently', () => {
    const scores = new GossipScores(() => 0, { ...GOSSIP_SCORING, invalidToMute: 1, peers: 2 });
    scores.penalise('a');
    scores.penalise('b');
    scores.penalise('c');
    expect([scores.isMuted('a'), scores.isMuted('b'), scores.isMuted('c')]).toEqual([false, true, true]);
  });
});

describe('offerScored', () => {
  const judge = (outcome: string): 'new' | 'invalid' | 'other' => (outcome === 'new' || outcome === 'invalid' ? outcome : 'other');

  it('returns the news, counts what is invalid by itself against the sender, and reads nothing more once it is muted', () => {
    const scores = new GossipScores(() => 0);
    const offered: string[] = [];
    const offer = (m: string): string => {
      offered.push(m);
      return m.split(':')[0]!;
    };
    expect(offerScored(scores, 'p', ['new:1', 'invalid:2', 'known:3', 'new:4'], offer, judge)).toEqual(['new:1', 'new:4']);
    expect(scores.isMuted('p')).toBe(false);
    expect(offerScored(scores, 'p', ['invalid:5', 'invalid:6', 'new:7'], offer, judge)).toEqual([]);
    expect(scores.isMuted('p')).toBe(true);
    expect(offerScored(scores, 'p', ['new:8'], offer, judge)).toEqual([]);
    expect(offered).toEqual(['new:1', 'invalid:2', 'known:3', 'new:4', 'invalid:5', 'invalid:6']);
    // Another sender is not held to p's score.
    expect(offerScored(scores, 'q', ['new:9'], offer, judge)).toEqual(['new:9']);
  });
});
