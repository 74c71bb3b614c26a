/**
 * A GossipChannel on a GossipSub topic (browser glue): the judge is the
 * topic's validator, so GossipSub forwards only what it accepts and scores
 * the neighbour that sent what it rejects. GossipSub runs on direct
 * connections only (relayed ones are limited), so signaling relays carry none of it.
 */
import { TopicValidatorResult, type GossipSub, type SubscriptionChangeData } from '@libp2p/gossipsub';
import type { GossipChannel, GossipJudge, GossipVerdict } from './gossip-channel.ts';
import type { Libp2p } from 'libp2p';
import type { GossipScores } from './gossip-scores.ts';

/** What a node carries for gossip: GossipSub, and its one record of who sent forged gossip. */
export type GossipServices = { pubsub: GossipSub; gossipScores: GossipScores };

export interface TopicCodec<M> {
  topic: string;
  /** The largest message the topic carries: a larger one is rejected unread. */
  maxBytes: number;
  encode(message: M): Uint8Array;
  /** Throws on bytes that are not a message. */
  decode(bytes: Uint8Array): M;
}

const RESULTS: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

/** `scores`: the node's record of forged gossip (the one GossipSub reads), where this topic's rejects count too. */
export function gossipsubChannel<M>(pubsub: GossipSub, codec: TopicCodec<M>, scores: GossipScores): GossipChannel<M> {
  const rejected = (from: string): TopicValidatorResult => {
    scores.penalise(from);
    return TopicValidatorResult.Reject;
  };
  return {
    async publish(message) {
      await pubsub.publish(codec.topic, codec.encode(message));
    },
    subscribe(judge: GossipJudge<M>) {
      pubsub.topicValidators.set(codec.topic, async (from, msg) => {
        // Bytes that are no message are invalid by themselves: an honest peer passes on only what it decoded.
        if (msg.data.length > codec.maxBytes) return rejected(from.toString());
        let message: M;
        try {
          message = codec.decode(msg.data);
        } catch {
          return rejected(from.toString());
        }
        const verdict = await judge(from.toString(), message).catch((): GossipVerdict => 'ignore');
        return verdict === 'reject' ? rejected(from.toString()) : RESULTS[verdict];
      });
      pubsub.subscribe(codec.topic);
    },
    onJoin(listener) {
      // GossipSub has recorded the subscription when it reports it: a publication from here on includes the peer.
      const onChange = (e: CustomEvent<SubscriptionChangeData>): void => {
        if (e.detail.subscriptions.some((s) => s.subscribe && s.topic === codec.topic)) listener(e.detail.peerId.toString());
      };
      pubsub.addEventListener('subscription-change', onChange);
      for (const peer of pubsub.getSubscribers(codec.topic)) listener(peer.toString());
      return () => pubsub.removeEventListener('subscription-change', onChange);
    },
    stop() {
      pubsub.topicValidators.delete(codec.topic);
      if (pubsub.getTopics().includes(codec.topic)) pubsub.unsubscribe(codec.topic);
    },
  };
}

/** A node's channel on one topic. */
export function topicChannel<M>(node: Libp2p<GossipServices>, codec: TopicCodec<M>): GossipChannel<M> {
  return gossipsubChannel(node.services.pubsub, codec, node.services.gossipScores);
}
