/**
 * Glue: a rate limit on the floodsub discovery topic. A topic validator runs
 * after floodsub has dropped duplicates and checked the signature, so `from`
 * (the peer that handed us the message) and the message's signed origin are
 * both real; a message over either peer's share is ignored, and floodsub does
 * not pass an ignored message on. Before that, a cruder cap on everything a
 * peer sends drops a flood before its signatures cost any work.
 */
import { TopicValidatorResult, type FloodSub } from '@libp2p/floodsub';
import { WindowCounter, type RelayLimits, type Refusals } from './limits.ts';

/**
 * `isRelay(peerId)`: federated relays forward every peer of theirs, so only the
 * origin limit applies to what they hand us.
 */
export function guardDiscovery(pubsub: FloodSub, topic: string, limits: RelayLimits, refusals: Refusals, isRelay: (peerId: string) => boolean, now: () => number): void {
  const perOrigin = new WindowCounter<string>(limits.discoveryPerOrigin.count, limits.discoveryPerOrigin.windowMs, now);
  const perSender = new WindowCounter<string>(limits.discoveryPerSender.count, limits.discoveryPerSender.windowMs, now);
  const raw = new WindowCounter<string>(limits.pubsubRawPerSender.count, limits.pubsubRawPerSender.windowMs, now);
  // processRpc is floodsub's public entry for a peer's RPC; messages dropped here are never verified or passed on.
  const router = pubsub as unknown as { processRpc(peerStream: { peerId: { toString(): string } }, rpc: { messages: unknown[] }): Promise<boolean> };
  const processRpc = router.processRpc.bind(router);
  router.processRpc = (peerStream, rpc) => {
    const sender = peerStream.peerId.toString();
    if (rpc.messages.length > 0 && !isRelay(sender)) {
      const before = rpc.messages.length;
      rpc.messages = rpc.messages.filter(() => raw.take(sender));
      refusals.pubsubUnchecked += before - rpc.messages.length;
    }
    return processRpc(peerStream, rpc);
  };
  pubsub.topicValidators.set(topic, (from, msg) => {
    const sender = from.toString();
    const senderOk = isRelay(sender) || perSender.take(sender);
    // Unsigned messages have no origin; the relay's StrictSign policy refuses them before this.
    const originOk = msg.type !== 'signed' || perOrigin.take(msg.from.toString());
    if (senderOk && originOk) return TopicValidatorResult.Accept;
    refusals.discoveryMessages++;
    return TopicValidatorResult.Ignore;
  });
}
