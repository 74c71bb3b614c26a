/**
 * Pure: how a stock WebTorrent client chooses whom to upload to, for stock clients and for every
 * peer when the policy is off. WebTorrent does this in `Torrent._rechoke` (node_modules/webtorrent
 * lib/torrent.js), a method bound to live wires and Math.random, so it cannot be called here;
 * this is its rule restated over plain figures: rank interested peers by what they sent us last
 * round, then by what we sent them, then keep those already unchoked, then random; fill all but
 * one slot, and give the last to a random other peer for RECHOKE_OPTIMISTIC_DURATION rounds.
 */

/** WebTorrent's defaults: `opts.uploads || 10` slots, the optimistic peer kept for 2 rechokes. */
export const STOCK_UPLOAD_SLOTS = 10;
export const STOCK_OPTIMISTIC_ROUNDS = 2;

export interface StockCandidate {
  readonly id: number;
  /** Bytes it sent us in the last round. */
  readonly downspeed: number;
  /** Bytes we sent it in the last round. */
  readonly upspeed: number;
  readonly unchoked: boolean;
}

export interface Optimistic {
  id: number | undefined;
  rounds: number;
}

export function stockChoke(candidates: readonly StockCandidate[], optimistic: Optimistic, random: () => number): number[] {
  const tie = new Map(candidates.map((c) => [c.id, random()] as const));
  const best = [...candidates].sort(
    (a, b) => b.downspeed - a.downspeed || b.upspeed - a.upspeed || Number(b.unchoked) - Number(a.unchoked) || tie.get(a.id)! - tie.get(b.id)!,
  );
  if (optimistic.rounds <= 0 || !candidates.some((c) => c.id === optimistic.id)) optimistic.id = undefined;
  else optimistic.rounds--;
  const chosen: number[] = [];
  const rest: number[] = [];
  for (const c of best) {
    if (c.id === optimistic.id) continue;
    if (chosen.length < STOCK_UPLOAD_SLOTS - 1) chosen.push(c.id);
    else rest.push(c.id);
  }
  if (optimistic.id === undefined && rest.length > 0) {
    optimistic.id = rest[Math.floor(random() * rest.length)]!;
    optimistic.rounds = STOCK_OPTIMISTIC_ROUNDS;
  }
  if (optimistic.id !== undefined) chosen.push(optimistic.id);
  return chosen;
}
