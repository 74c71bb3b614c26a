/**
 * Recent demand of the swarms we share (pure; times passed in): distinct
 * downloaders seen within DEMAND_WINDOW_MS, from samples of each torrent's
 * wires. A downloader is a peer that was interested in our pieces or got
 * some from us when sampled; WebTorrent exposes that per wire for free,
 * whereas counting individual requests would need a hook on every wire.
 * Peers that come and go between two samples are missed.
 */
import { DEMAND_WINDOW_MS, MAX_CLAIMED_DEMAND } from './constants.ts';

/** Peers remembered per swarm: past the most any record may claim, more would change nothing. */
const MAX_REMEMBERED = MAX_CLAIMED_DEMAND;

export class DemandWindow {
  /** infohash → peer id → last seen (ms); insertion order is recency order. */
  private readonly seen = new Map<string, Map<string, number>>();

  constructor(private readonly windowMs = DEMAND_WINDOW_MS) {}

  observe(infoHash: string, downloaders: readonly string[], now: number): void {
    let peers = this.seen.get(infoHash);
    if (peers === undefined) this.seen.set(infoHash, (peers = new Map()));
    for (const p of downloaders) {
      peers.delete(p);
      peers.set(p, now);
    }
    while (peers.size > MAX_REMEMBERED) peers.delete(peers.keys().next().value!);
  }

  /** Distinct downloaders seen in the window ending now. */
  demand(infoHash: string, now: number): number {
    const peers = this.seen.get(infoHash);
    if (peers === undefined) return 0;
    for (const [p, at] of peers) {
      if (at > now - this.windowMs) break;
      peers.delete(p);
    }
    return peers.size;
  }

  /** Forgets swarms not in `keep` (torrents removed). */
  retain(keep: ReadonlySet<string>): void {
    for (const ih of this.seen.keys()) if (!keep.has(ih)) this.seen.delete(ih);
  }
}
