/**
 * Gossip bookkeeping: deduplication and forwarding choices. Pure: randomness
 * is injected, the caller sends.
 *
 * A message arrives with ttl t (1..MAX_GOSSIP_TTL); it is forwarded with t - 1
 * to a few random peers other than its sender, and dropped when t - 1 would be 0.
 */
import { GOSSIP_FANOUT, GOSSIP_SEEN_CAPACITY } from './constants.ts';
import { toHex } from '../codec/bytes.ts';
import { blockHash } from './block-codec.ts';
import type { GossipPayload } from './ledger-wire.ts';

/** Remembers recently seen message ids; beyond its capacity it forgets the least recently seen. */
export class SeenSet {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity: number = GOSSIP_SEEN_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('a seen-set needs a capacity of at least 1');
  }

  /** True the first time an id is offered; a repeat refreshes it (LRU). */
  add(id: string): boolean {
    if (this.seen.has(id)) {
      this.seen.delete(id);
      this.seen.add(id);
      return false;
    }
    this.seen.add(id);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }

  has(id: string): boolean {
    return this.seen.has(id);
  }

  get size(): number {
    return this.seen.size;
  }
}

/**
 * What deduplication remembers of a message: its id and the hashes of the blocks it carries. By id
 * alone, a peer that sent junk under the id of a message on its way would have it dropped as seen.
 */
export function gossipKey(id: Uint8Array, payload: GossipPayload): string {
  const [what, a, b] = payload.kind === 'pair' ? ['pair', payload.proposal, payload.agreement] : [payload.proof.kind, payload.proof.first, payload.proof.second];
  return `${toHex(id)}:${what}:${toHex(blockHash(a))}:${toHex(blockHash(b))}`;
}

/** Up to `fanout` random peers not excluded (the sender), chosen with the injected randomness in [0, 1). */
export function pickGossipTargets<P>(peers: readonly P[], exclude: (p: P) => boolean, random: () => number, fanout: number = GOSSIP_FANOUT): P[] {
  const pool = peers.filter((p) => !exclude(p));
  // Fisher-Yates shuffle, then the first `fanout`: a uniform sample without repeats.
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, Math.max(0, fanout));
}

/** The TTL a forwarded message carries, or undefined when it must not be forwarded. */
export function forwardTtl(ttl: number): number | undefined {
  return ttl > 1 ? ttl - 1 : undefined;
}

export interface GossipHop<P> {
  /** The TTL the forwarded copies carry. */
  ttl: number;
  targets: P[];
}

/**
 * Where and with which TTL to forward a received message: `fanout` random
 * peers other than its sender. Undefined when the TTL is spent (or no peer is left).
 */
export function nextHop<P>(
  message: { ttl: number; from?: P | undefined },
  fanout: number,
  peers: readonly P[],
  random: () => number,
  isSender: (p: P) => boolean = (p) => message.from !== undefined && p === message.from,
): GossipHop<P> | undefined {
  const ttl = forwardTtl(message.ttl);
  if (ttl === undefined) return undefined;
  const targets = pickGossipTargets(peers, isSender, random, fanout);
  return targets.length === 0 ? undefined : { ttl, targets };
}
