/**
 * An in-memory network of ledger transports (tests): messages are encoded and
 * decoded as on the wire. Its gossip is a flood with GossipSub's rules that
 * tests rely on: a message is known by the hash of its bytes, passed on only
 * when its receiver accepts it, and a neighbour that sends what its receiver
 * rejects is scored (gossip-scores.ts), muted ones neither read nor sent to.
 */
import { toHex } from '../codec/bytes.ts';
import type { GossipJudge, GossipVerdict } from '../net/gossip-channel.ts';
import { GossipScores } from '../net/gossip-scores.ts';
import { gossipMessageId } from '../net/gossipsub-config.ts';
import { decodeGossipPayload, encodeGossipPayload, type GossipPayload } from './ledger-gossip-wire.ts';
import { decodeLedgerMessage, encodeLedgerMessage, type LedgerMessage } from './ledger-wire.ts';
import { PeerUnreachableError, type LedgerHandler, type LedgerTransport, type PeerRef } from './ledger-transport.ts';

interface HubNode {
  ref: PeerRef;
  handler?: LedgerHandler;
  links: Set<string>;
  judge?: GossipJudge<GossipPayload>;
  /** Gossip message ids seen, as GossipSub's seen cache. */
  seen: Set<string>;
  scores: GossipScores;
}

export class MemoryHub {
  private readonly nodes = new Map<string, HubNode>();
  /** Sees every message delivered (what tests assert about traffic). */
  private readonly taps = new Set<(from: string, to: string, message: LedgerMessage) => void>();
  private readonly gossipTaps = new Set<(from: string, to: string, payload: GossipPayload) => void>();

  /** Every session opened: by whom, to whom, how many requests it carried, whether it was closed. */
  readonly sessionLog: { from: string; to: string; requests: number; closed: boolean }[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  tap(listener: (from: string, to: string, message: LedgerMessage) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  /** Sees every gossip hop delivered. */
  tapGossip(listener: (from: string, to: string, payload: GossipPayload) => void): () => void {
    this.gossipTaps.add(listener);
    return () => this.gossipTaps.delete(listener);
  }

  join(ref: PeerRef): LedgerTransport {
    const node: HubNode = { ref, links: new Set(), seen: new Set(), scores: new GossipScores(this.now) };
    this.nodes.set(ref.id, node);
    const deliver = async (to: PeerRef, bytes: Uint8Array): Promise<Uint8Array | undefined> => {
      const target = this.nodes.get(to.id);
      if (target?.handler === undefined || !node.links.has(to.id)) throw new PeerUnreachableError(`${to.id} is not connected`);
      const message = decodeLedgerMessage(bytes);
      for (const t of this.taps) t(ref.id, to.id, message);
      const res = await target.handler(ref, message);
      return res === undefined ? undefined : encodeLedgerMessage(res);
    };
    const request = async (peer: PeerRef, message: LedgerMessage, timeoutMs: number): Promise<LedgerMessage> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PeerUnreachableError('timed out')), timeoutMs)));
      try {
        const res = await Promise.race([deliver(peer, encodeLedgerMessage(message)), timeout]);
        if (res === undefined) throw new PeerUnreachableError('no response');
        return decodeLedgerMessage(res);
      } finally {
        clearTimeout(timer);
      }
    };
    return {
      request,
      // The hub has no streams to share: a session's requests go one by one, and are logged (what tests assert).
      session: (peer) => {
        const log = { from: ref.id, to: peer.id, requests: 0, closed: false };
        this.sessionLog.push(log);
        return {
          request: (message, timeoutMs) => {
            log.requests++;
            return request(peer, message, timeoutMs);
          },
          close: async () => void (log.closed = true),
        };
      },
      gossip: {
        publish: async (payload) => {
          const bytes = encodeGossipPayload(payload);
          const id = toHex(gossipMessageId(bytes));
          // As GossipSub: a message seen already (another's copy came first) is not published again.
          if (node.seen.has(id)) return;
          node.seen.add(id);
          await this.passOn(node, bytes);
        },
        subscribe: (judge) => void (node.judge = judge),
        // The hub's links are made before anything is published: nobody joins late.
        onJoin: () => () => undefined,
        stop: () => void (node.judge = undefined),
      },
      peers: () => [...node.links].map((id) => this.nodes.get(id)?.ref).filter((r): r is PeerRef => r !== undefined),
      serve(handler) {
        node.handler = handler;
      },
      stop: () => {
        for (const other of this.nodes.values()) other.links.delete(ref.id);
        this.nodes.delete(ref.id);
      },
    };
  }

  /**
   * Delivers gossip bytes from `from` to its neighbour `to`, as if `from` had passed them on (tests that
   * play a hostile peer send what they like this way). Resolves once `to` has judged the message and
   * passed it on, with its verdict; undefined when `to` never read it (not linked, or seen already).
   */
  async gossip(from: string, to: string, bytes: Uint8Array): Promise<GossipVerdict | undefined> {
    const target = this.nodes.get(to);
    if (target?.judge === undefined || !target.links.has(from)) return undefined;
    // A muted neighbour's messages are dropped unread: checking junk is the cost it would impose.
    if (target.scores.isMuted(from)) return 'ignore';
    const id = toHex(gossipMessageId(bytes));
    if (target.seen.has(id)) return undefined;
    target.seen.add(id);
    let payload: GossipPayload;
    try {
      payload = decodeGossipPayload(bytes);
    } catch {
      target.scores.penalise(from);
      return 'reject';
    }
    for (const t of this.gossipTaps) t(from, to, payload);
    const verdict = await target.judge(from, payload);
    if (verdict === 'reject') target.scores.penalise(from);
    if (verdict === 'accept') await this.passOn(target, bytes, from);
    return verdict;
  }

  /** To every neighbour but the one it came from and those muted. */
  private async passOn(node: HubNode, bytes: Uint8Array, except?: string): Promise<void> {
    const targets = [...node.links].filter((id) => id !== except && !node.scores.isMuted(id));
    await Promise.all(targets.map((id) => this.gossip(node.ref.id, id, bytes)));
  }

  connect(a: string, b: string): void {
    this.nodes.get(a)?.links.add(b);
    this.nodes.get(b)?.links.add(a);
  }

  disconnect(a: string, b: string): void {
    this.nodes.get(a)?.links.delete(b);
    this.nodes.get(b)?.links.delete(a);
  }
}
