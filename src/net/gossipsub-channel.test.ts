/**
 * The gossip channel on real GossipSub (libp2p nodes over libp2p's in-memory
 * transport, the settings tabs use): a message goes as far as the judges
 * accept it, published before any mesh formed; what a judge rejects costs its
 * sender score, and three rejects graylist it, as gossip-scores.ts mutes;
 * what a judge ignores costs nothing; oversized messages are not read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GossipSub } from '@libp2p/gossipsub';
import { until } from '../testing/until.ts';
import { utf8 } from '../codec/bytes.ts';
import { topicChannel } from './gossipsub-channel.ts';
import { linkOnTopic, memoryGossipNode, type GossipNode } from './memory-gossip-node.ts';
import type { GossipChannel, GossipVerdict } from './gossip-channel.ts';
import { GOSSIP_SCORING } from './gossip-scores.ts';

const TOPIC = '/trustmesh/test-gossip/1.0.0';
const MAX_BYTES = 1000;
/** GossipSub's score refresh period (its decayInterval default). */
const SCORE_REFRESH_MS = 1_000;
type Node = GossipNode;
/** What the class has beyond the interface (scores), read by these tests only. */
type Scored = GossipSub & { getScore(peer: string): number; getSubscribers(topic: string): unknown[] };

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function peer(): Promise<Node> {
  const node = await memoryGossipNode([TOPIC]);
  nodes.push(node);
  return node;
}

/** A channel whose judge rejects text starting with "bad", ignores "dull", accepts the rest, and records what it judged. */
function channel(node: Node): { ch: GossipChannel<string>; judged: Array<{ from: string; text: string; verdict: GossipVerdict }> } {
  const ch = topicChannel<string>(node, { topic: TOPIC, maxBytes: MAX_BYTES, encode: (t) => utf8.encode(t), decode: (b) => new TextDecoder('utf-8', { fatal: true }).decode(b) });
  const judged: Array<{ from: string; text: string; verdict: GossipVerdict }> = [];
  ch.subscribe(async (from, text) => {
    const verdict: GossipVerdict = text.startsWith('bad') ? 'reject' : text.startsWith('dull') ? 'ignore' : 'accept';
    judged.push({ from, text, verdict });
    return verdict;
  });
  return { ch, judged };
}

const link = (a: Node, b: Node): Promise<void> => linkOnTopic(a, b, TOPIC);

const texts = (judged: Array<{ text: string }>) => judged.map((j) => j.text);

describe('gossip channel on GossipSub', () => {
  it('carries a message along a line of peers, each judging it first, published before any mesh formed', async () => {
    const line = await Promise.all([peer(), peer(), peer(), peer()]);
    const chans = line.map(channel);
    for (let i = 1; i < line.length; i++) await link(line[i - 1]!, line[i]!);
    await chans[0]!.ch.publish('fraud proof');
    await until(() => texts(chans[3]!.judged).includes('fraud proof'), 'the far end hears of it');
    // Each judged it once, from its neighbour towards the publisher; the publisher never judges its own.
    for (let i = 1; i < line.length; i++) expect(chans[i]!.judged).toEqual([{ from: line[i - 1]!.peerId.toString(), text: 'fraud proof', verdict: 'accept' }]);
    expect(chans[0]!.judged).toEqual([]);
  });

  it('stops what a judge ignores or rejects at that judge', async () => {
    const line = await Promise.all([peer(), peer(), peer()]);
    const chans = line.map(channel);
    await link(line[0]!, line[1]!);
    await link(line[1]!, line[2]!);
    await chans[0]!.ch.publish('dull news');
    await chans[0]!.ch.publish('bad news');
    await chans[0]!.ch.publish('news');
    // Messages from one sender arrive in order on its stream: once the third has gone through, the first two were judged.
    await until(() => texts(chans[2]!.judged).includes('news'), 'the accepted message passes');
    expect(texts(chans[1]!.judged)).toEqual(['dull news', 'bad news', 'news']);
    expect(texts(chans[2]!.judged)).toEqual(['news']);
  });

  it('graylists a neighbour after three rejected messages (not two, and never for ignored ones): its messages are then not read', async () => {
    const [victim, hostile, honest] = await Promise.all([peer(), peer(), peer()]);
    const v = channel(victim);
    const h = channel(hostile);
    const o = channel(honest);
    await link(hostile, victim);
    await link(honest, victim);
    const pubsub = victim.services.pubsub as Scored;
    const graylist = -10 * (GOSSIP_SCORING.invalidToMute ** 2 - 1);
    const hostileId = hostile.peerId.toString();

    for (let i = 0; i < 5; i++) await h.ch.publish(`dull ${i}`);
    await h.ch.publish('bad 1');
    await h.ch.publish('bad 2');
    await until(() => texts(v.judged).includes('bad 2'), 'two rejects judged');
    // Scores are computed as the peer-score heartbeat refreshes them: wait for the two to count.
    await until(() => pubsub.getScore(hostileId) < 0, 'the rejects count');
    // weight × count²: two rejects and no ignores (seven of each would be -490).
    expect(pubsub.getScore(hostileId)).toBeGreaterThanOrEqual(-40);
    expect(pubsub.getScore(hostileId)).toBeGreaterThan(graylist);

    await h.ch.publish('bad 3');
    await until(() => pubsub.getScore(hostileId) < graylist, 'the third reject graylists the sender');
    // GossipSub turns away a graylisted peer's frames as they arrive, before any is judged: count those turned away.
    let turnedAway = 0;
    const gate = pubsub as unknown as { acceptFrom(id: string): boolean };
    const accepts = gate.acceptFrom.bind(pubsub);
    gate.acceptFrom = (id) => {
      const ok = accepts(id);
      if (!ok && id === hostileId) turnedAway++;
      return ok;
    };
    await h.ch.publish('from a graylisted peer');
    await until(() => turnedAway > 0, "the graylisted peer's frame arrives and is turned away");
    expect(texts(v.judged)).not.toContain('from a graylisted peer');
    // The honest neighbour is still heard.
    await o.ch.publish('from an honest peer');
    await until(() => texts(v.judged).includes('from an honest peer'), "the honest peer's message is read");
    expect(pubsub.getScore(honest.peerId.toString())).toBe(0);
  });

  it('keeps a graylisted neighbour graylisted when it hangs up and dials again', async () => {
    const [victim, hostile] = await Promise.all([peer(), peer()]);
    const v = channel(victim);
    const h = channel(hostile);
    await link(hostile, victim);
    const pubsub = victim.services.pubsub as Scored;
    const graylist = -10 * (GOSSIP_SCORING.invalidToMute ** 2 - 1);
    const hostileId = hostile.peerId.toString();
    for (let i = 1; i <= GOSSIP_SCORING.invalidToMute; i++) await h.ch.publish(`bad ${i}`);
    await until(() => pubsub.getScore(hostileId) < graylist, 'the rejects graylist the sender');

    // A fresh connection is a fresh start only if the score is forgotten with the old one.
    await hostile.hangUp(victim.peerId);
    await until(() => victim.getConnections(hostile.peerId).length === 0, 'the hostile peer is gone');
    // Time is what is tested: GossipSub drops a gone peer's score at its next refresh (each second) unless retained.
    const goneAt = Date.now();
    await until(() => Date.now() > goneAt + 2 * SCORE_REFRESH_MS, 'two score refreshes have passed');
    await hostile.dial(victim.getMultiaddrs());
    await until(() => victim.getConnections(hostile.peerId).length === 1, 'it is back');
    expect(pubsub.getScore(hostileId)).toBeLessThan(graylist);
    await h.ch.publish('after dialling again');
    // Its subscription is not read either: the victim does not count it among the topic's peers.
    expect(pubsub.getSubscribers(TOPIC).map(String)).not.toContain(hostileId);
    expect(texts(v.judged)).not.toContain('after dialling again');
  });

  it('keeps one record per neighbour: topic rejects mute it for swaps and answers, and a mute from those graylists it on the topics', async () => {
    const [victim, hostile, forger] = await Promise.all([peer(), peer(), peer()]);
    channel(victim);
    channel(forger);
    const h = channel(hostile);
    await link(hostile, victim);
    await link(forger, victim);
    const record = victim.services.gossipScores;
    for (let i = 1; i <= GOSSIP_SCORING.invalidToMute; i++) await h.ch.publish(`bad ${i}`);
    await until(() => record.isMuted(hostile.peerId.toString()), "the topic's rejects mute the sender for everything else");

    // The forger sent forged records in greetings (outside the topic): muted there, it is graylisted on the topic.
    const pubsub = victim.services.pubsub as Scored;
    const forgerId = forger.peerId.toString();
    for (let i = 0; i < GOSSIP_SCORING.invalidToMute; i++) record.penalise(forgerId);
    await until(() => pubsub.getScore(forgerId) < -10 * (GOSSIP_SCORING.invalidToMute ** 2 - 1), 'GossipSub reads the mute');
  });

  it("rejects unread a message over the topic's limit, or one that does not decode", async () => {
    const [a, b] = await Promise.all([peer(), peer()]);
    const chans = [channel(a), channel(b)];
    await link(a, b);
    await chans[0]!.ch.publish('x'.repeat(MAX_BYTES + 1));
    await a.services.pubsub.publish(TOPIC, new Uint8Array([0xff, 0xfe]));
    await chans[0]!.ch.publish('small');
    await until(() => texts(chans[1]!.judged).includes('small'), 'the small message arrives');
    expect(texts(chans[1]!.judged)).toEqual(['small']);
    await until(() => (b.services.pubsub as Scored).getScore(a.peerId.toString()) < 0, 'both count against the sender');
  });

  it('names each neighbour on the topic, those there already and those that join, once GossipSub would send to it', async () => {
    const [a, b, c] = await Promise.all([peer(), peer(), peer()]);
    const chans = [channel(a), channel(b), channel(c)];
    await link(a, b);
    const joined: string[] = [];
    // What a joining neighbour missed is sent to it from here: published at once, it must arrive.
    const stop = chans[0]!.ch.onJoin((id) => {
      joined.push(id);
      void chans[0]!.ch.publish(`welcome ${id}`);
    });
    expect(joined).toEqual([b.peerId.toString()]);
    await a.dial(c.getMultiaddrs());
    await until(() => joined.includes(c.peerId.toString()), 'the newcomer is named');
    expect(joined[0]).toBe(b.peerId.toString());
    await until(() => texts(chans[2]!.judged).includes(`welcome ${c.peerId.toString()}`), 'the newcomer hears what was published as it joined');
    stop();
  });
});
