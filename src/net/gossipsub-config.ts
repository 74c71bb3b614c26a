/**
 * GossipSub's settings for Trustmesh's topics (browser glue reads them; the
 * numbers are the protocol's). Messages are unsigned by GossipSub: what they
 * carry is signed by its authors and checked by the topic's judge, and an
 * unsigned envelope names no author, so a message cannot be traced to its
 * origin by its envelope. Its id is the hash of its bytes, so the same content
 * is one message whoever published it, and junk cannot take a message's id.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { gossipsub, type GossipsubOpts } from '@libp2p/gossipsub';
import { createTopicScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score';
import { GOSSIP_SCORING, type GossipScores } from './gossip-scores.ts';

/** Bytes of the content hash a message is known by (IHAVE/IWANT carry it): 2^-128 collisions are none. */
const MESSAGE_ID_BYTES = 16;

/** Weight of one invalid message's penalty; the penalty is weight × count², as GossipSub v1.1's P4. */
const INVALID_WEIGHT = -10;
/**
 * Below this a peer is graylisted (its messages dropped unread, none sent to it): just above the score
 * of GOSSIP_SCORING.invalidToMute invalid messages, so the same count mutes here as in gossip-scores.ts.
 */
const GRAYLIST = INVALID_WEIGHT * (GOSSIP_SCORING.invalidToMute ** 2 - 1);
/**
 * Per decay interval (1 s), what is left of a peer's count of invalid messages: slow enough that the
 * last of `invalidToMute` keeps it graylisted for about GOSSIP_SCORING.muteMs.
 */
/** A peer muted by gossip-scores.ts (forged swaps, greetings or answers) scores this on every topic: graylisted. */
const MUTED_SCORE = 2 * GRAYLIST;
const INVALID_DECAY = Math.pow(Math.sqrt(GRAYLIST / INVALID_WEIGHT) / GOSSIP_SCORING.invalidToMute, 1_000 / GOSSIP_SCORING.muteMs);

export const GOSSIPSUB_SETTINGS = {
  /** GossipSub's mesh degree: each message reaches 6 neighbours per hop, whatever the network's size. */
  D: 6,
  Dlo: 4,
  Dhi: 12,
  /** Our own messages go to every neighbour on the topic: a fraud proof must not wait for a mesh to form. */
  floodPublish: true,
  /** A tab alone on a topic still publishes (its first neighbour hears later events, and crawls the rest). */
  allowPublishToZeroTopicPeers: true,
  /** Ids remembered against repeats: 2 minutes (GossipSub's default) outlasts a message's spread. */
  seenTTL: 120_000,
  /**
   * What a reader buffers of one RPC frame, which may batch several messages (answers to IWANT): far
   * above any topic's largest message, far below what would strain a phone.
   */
  maxRpcBytes: 1024 * 1024,
} as const;

/** The content hash a message is known by. */
export function gossipMessageId(data: Uint8Array): Uint8Array {
  return sha256(data).subarray(0, MESSAGE_ID_BYTES);
}

/** Topic score parameters: only invalid messages count; delivery-rate penalties would punish quiet topics. */
function topicScore(): TopicScoreParams {
  return createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0,
    timeInMeshQuantum: 1_000,
    firstMessageDeliveriesWeight: 0,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: INVALID_WEIGHT,
    invalidMessageDeliveriesDecay: INVALID_DECAY,
  });
}

/** GossipSub's options for these topics. */
export function gossipsubOptions(topics: readonly string[], scores: GossipScores): Partial<GossipsubOpts> {
  return {
    D: GOSSIPSUB_SETTINGS.D,
    Dlo: GOSSIPSUB_SETTINGS.Dlo,
    Dhi: GOSSIPSUB_SETTINGS.Dhi,
    floodPublish: GOSSIPSUB_SETTINGS.floodPublish,
    allowPublishToZeroTopicPeers: GOSSIPSUB_SETTINGS.allowPublishToZeroTopicPeers,
    ignoreDuplicatePublishError: true,
    seenTTL: GOSSIPSUB_SETTINGS.seenTTL,
    maxInboundDataLength: GOSSIPSUB_SETTINGS.maxRpcBytes,
    globalSignaturePolicy: 'StrictNoSign',
    msgIdFn: (msg) => gossipMessageId(msg.data),
    allowedTopics: new Set(topics),
    emitSelf: false,
    scoreParams: {
      topics: Object.fromEntries(topics.map((t) => [t, topicScore()])),
      // Browsers share addresses behind NATs and on loopback in tests: colocation says nothing here.
      IPColocationFactorWeight: 0,
      // Scores outlive a reconnection: a peer cannot clear its record by dialling again.
      retainScore: GOSSIP_SCORING.muteMs,
      // One record per neighbour: a peer muted for what it sent outside the topics is graylisted on them too.
      appSpecificScore: (peer) => (scores.isMuted(peer) ? MUTED_SCORE : 0),
      appSpecificWeight: 1,
    },
    scoreThresholds: {
      gossipThreshold: GRAYLIST / 4,
      publishThreshold: GRAYLIST / 2,
      graylistThreshold: GRAYLIST,
    },
  };
}

/** The GossipSub service for a libp2p node; `scores` is the node's one record of who sent forged gossip. */
export function gossipsubService(topics: readonly string[], scores: GossipScores) {
  return gossipsub(gossipsubOptions(topics, scores));
}
