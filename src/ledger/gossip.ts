/** Gossip bookkeeping: deduplication and forwarding choices. Pure. */
import { GOSSIP_FANOUT } from './constants.ts';

/** Remembers recently seen message ids, forgetting the oldest beyond its capacity. */
export class SeenSet {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** True the first time an id is offered. */
  add(id: string): boolean {
    if (this.seen.has(id)) return false;
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
}

/** Up to `fanout` random peers other than `from`, chosen with the injected randomness. */
export function pickGossipTargets<P>(peers: readonly P[], exclude: (p: P) => boolean, random: () => number, fanout: number = GOSSIP_FANOUT): P[] {
  const pool = peers.filter((p) => !exclude(p));
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, fanout);
}

/** The TTL a forwarded message carries, or undefined when it must not be forwarded. */
export function forwardTtl(ttl: number): number | undefined {
  return ttl > 1 ? ttl - 1 : undefined;
}
