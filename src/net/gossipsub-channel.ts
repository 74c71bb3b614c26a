/**
 * A GossipChannel on a GossipSub topic (browser glue): the judge is the
 * topic's validator, so GossipSub forwards only what it accepts and scores
 * the neighbour that sent what it rejects. GossipSub runs on direct
 * connections only (relayed ones are limited), so signaling relays carry none of it.
 */
import { TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub';
import type { GossipChannel, GossipJudge, GossipVerdict } from './gossip-channel.ts';

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

export function gossipsubChannel<M>(pubsub: GossipSub, codec: TopicCodec<M>): GossipChannel<M> {
  return {
    async publish(message) {
      await pubsub.publish(codec.topic, codec.encode(message));
    },
    subscribe(judge: GossipJudge<M>) {
      pubsub.topicValidators.set(codec.topic, async (from, msg) => {
        // Bytes that are no message are invalid by themselves: an honest peer passes on only what it decoded.
        if (msg.data.length > codec.maxBytes) return TopicValidatorResult.Reject;
        let message: M;
        try {
          message = codec.decode(msg.data);
        } catch {
          return TopicValidatorResult.Reject;
        }
        return RESULTS[await judge(from.toString(), message).catch((): GossipVerdict => 'ignore')];
      });
      pubsub.subscribe(codec.topic);
    },
    stop() {
      pubsub.topicValidators.delete(codec.topic);
      if (pubsub.getTopics().includes(codec.topic)) pubsub.unsubscribe(codec.topic);
    },
  };
}
