/**
 * Pure: one rechoke-and-transfer step of every swarm. Each uploader chooses whom to unchoke with
 * the app's policy (src/sharing/policy.ts allocateSlots, as ChokeController does), or, when the
 * policy is off and for stock clients, as stock WebTorrent does (stock-choke.ts); it splits its
 * upload for the step evenly among the swarms it serves and the peers it unchoked, never beyond
 * what the policy lets each peer take; downlinks, the bytes a file still lacks and circuits'
 * relays then cap what arrives, every offer scaled down in proportion. Honest payers settle every
 * PROPOSE_EVERY_BYTES, as the app's uploaders propose.
 */
import { DEFAULT_MINING_SETTINGS } from '../../src/mining/settings.ts';
import { DEFAULT_POLICY, PROPOSE_EVERY_BYTES } from '../../src/sharing/constants.ts';
import { allocateSlots, type PeerFacts } from '../../src/sharing/policy.ts';
import { factsFor, headroom, settle, type Books } from './accounting.ts';
import { TICK_MS } from './constants.ts';
import type { Random } from './distributions.ts';
import type { Download, Peer, Swarm, World } from './model.ts';
import { stockChoke } from './stock-choke.ts';

export interface StepContext extends Books {
  readonly world: World;
  readonly policy: boolean;
  readonly random: Random;
}

interface Plan {
  readonly seeder: Peer;
  readonly swarm: Swarm;
  readonly targets: Download[];
  /** Most bytes each target may take this step (the policy's headroom); Infinity when unlimited. */
  readonly limits: number[];
}

/** Bytes per step a peer may upload: a miner's tab is capped by its mining settings. */
function uploadBudget(p: Peer): number {
  const rate = p.cls === 'miner' ? Math.min(p.up, DEFAULT_MINING_SETTINGS.uploadCapBytesPerSec) : p.up;
  return (rate * TICK_MS) / 1000;
}

function canUpload(p: Peer, s: Swarm): boolean {
  if (!p.traits.uploads) return false;
  if (p.has.has(s.file)) return true;
  const d = p.downloads.get(s.file);
  // A leecher serves the pieces it has; a private leecher's pieces come over its circuit and it does not serve.
  return d !== undefined && d.have > 0 && d.circuit === undefined;
}

function choose(ctx: StepContext, seeder: Peer, swarm: Swarm, wanting: Download[]): Plan {
  const served = seeder.served.get(swarm.file) ?? new Set<number>();
  let targets: Download[];
  let limits: number[];
  if (!ctx.policy || !seeder.traits.extension) {
    let optimistic = seeder.optimistic.get(swarm.file);
    if (optimistic === undefined) seeder.optimistic.set(swarm.file, (optimistic = { id: undefined, rounds: 0 }));
    const candidates = wanting.map((d) => ({ id: d.peer.id, downspeed: seeder.recvLast.get(d.peer.id) ?? 0, upspeed: seeder.sentLast.get(d.peer.id) ?? 0, unchoked: served.has(d.peer.id) }));
    const chosen = new Set(stockChoke(candidates, optimistic, ctx.random));
    targets = wanting.filter((d) => chosen.has(d.peer.id));
    limits = targets.map(() => Infinity);
  } else {
    const facts: PeerFacts[] = wanting.map((d) => factsFor(ctx, seeder, d, String(d.peer.id)));
    const servedIds = new Set([...served].map(String));
    const { unchoke, standings } = allocateSlots(facts, DEFAULT_POLICY, servedIds, ctx.random);
    targets = [];
    limits = [];
    wanting.forEach((d, i) => {
      const s = standings.get(facts[i]!.id)!;
      if (s.kind === 'refused' && s.reason === 'balance') d.peer.refused = true;
      if (!unchoke.has(facts[i]!.id)) return;
      targets.push(d);
      limits.push(headroom(facts[i]!));
    });
  }
  seeder.served.set(swarm.file, new Set(targets.map((d) => d.peer.id)));
  return { seeder, swarm, targets, limits };
}

/** Runs one step over every swarm with leechers; returns the bytes moved. */
export function step(ctx: StepContext, active: Iterable<Swarm>): number {
  const plans: Plan[] = [];
  const { peers } = ctx.world;
  for (const swarm of active) {
    // From the leechers' side: they are fewer than the members (seeders crowd popular swarms).
    const wanting = new Map<Peer, Download[]>();
    for (const id of swarm.members) {
      const d = peers[id]!.downloads.get(swarm.file);
      if (d === undefined) continue;
      for (const other of swarm.conns.get(id)!) {
        const seeder = peers[other]!;
        let list = wanting.get(seeder);
        if (list === undefined) {
          if (!canUpload(seeder, swarm)) continue;
          wanting.set(seeder, (list = []));
        }
        list.push(d);
      }
    }
    for (const [seeder, list] of wanting) {
      const plan = choose(ctx, seeder, swarm, list);
      if (plan.targets.length > 0) plans.push(plan);
    }
  }

  // Offers: each seeder's budget split over its plans, then over its targets, within each target's limit; what a limit leaves unused goes to the others once.
  const planCount = new Map<Peer, number>();
  for (const p of plans) planCount.set(p.seeder, (planCount.get(p.seeder) ?? 0) + 1);
  const offers: { seeder: Peer; download: Download; bytes: number }[] = [];
  const inbound = new Map<Download, number>();
  for (const p of plans) {
    const budget = uploadBudget(p.seeder) / planCount.get(p.seeder)!;
    const even = budget / p.targets.length;
    const first = p.limits.map((l) => Math.min(even, l));
    const spare = budget - first.reduce((a, x) => a + x, 0);
    const open = first.filter((x, i) => x < p.limits[i]!).length;
    p.targets.forEach((d, i) => {
      const bytes = open > 0 && first[i]! < p.limits[i]! ? Math.min(p.limits[i]!, first[i]! + spare / open) : first[i]!;
      if (bytes <= 0) return;
      offers.push({ seeder: p.seeder, download: d, bytes });
      inbound.set(d, (inbound.get(d) ?? 0) + bytes);
    });
  }

  // Caps on arrival: what the file still lacks, the circuit's hops (each splits its upload over its busy circuits), the downloader's downlink.
  const scale = new Map<Download, number>();
  const busy = new Map<Peer, number>();
  for (const d of inbound.keys()) {
    const c = d.circuit;
    if (c === undefined) continue;
    busy.set(c.exit, (busy.get(c.exit) ?? 0) + 1);
    if (c.relay !== undefined) busy.set(c.relay, (busy.get(c.relay) ?? 0) + 1);
  }
  const perPeer = new Map<Peer, number>();
  for (const [d, bytes] of inbound) {
    let cap = ctx.world.swarms[d.file]!.size - d.have;
    const c = d.circuit;
    if (c !== undefined) {
      cap = Math.min(cap, (c.exit.up * TICK_MS) / 1000 / busy.get(c.exit)!);
      if (c.relay !== undefined) cap = Math.min(cap, (c.relay.up * TICK_MS) / 1000 / busy.get(c.relay)!);
    }
    const s = Math.min(1, cap / bytes);
    scale.set(d, s);
    perPeer.set(d.peer, (perPeer.get(d.peer) ?? 0) + bytes * s);
  }
  for (const [d, s] of scale) {
    const total = perPeer.get(d.peer)!;
    const downlink = (d.peer.down * TICK_MS) / 1000;
    if (total > downlink) scale.set(d, (s * downlink) / total);
  }

  // Deliver, count, and pay.
  for (const p of peers) {
    if (p.sentLast.size > 0) p.sentLast = new Map();
    if (p.recvLast.size > 0) p.recvLast = new Map();
  }
  let moved = 0;
  for (const { seeder, download: d, bytes: offered } of offers) {
    // Whole bytes, rounded up so the last bytes of a file always arrive, and never past its end.
    const bytes = Math.min(Math.ceil(offered * scale.get(d)!), ctx.world.swarms[d.file]!.size - d.have);
    if (bytes <= 0) continue;
    moved += bytes;
    d.have += bytes;
    d.peer.stats.downloaded += bytes;
    seeder.stats.uploaded += bytes;
    seeder.sentLast.set(d.peer.id, (seeder.sentLast.get(d.peer.id) ?? 0) + bytes);
    d.peer.recvLast.set(seeder.id, (d.peer.recvLast.get(seeder.id) ?? 0) + bytes);
    ctx.received.set(d.peer.cls, (ctx.received.get(d.peer.cls) ?? 0) + bytes);
    let row = ctx.flows.get(seeder.cls);
    if (row === undefined) ctx.flows.set(seeder.cls, (row = new Map()));
    row.set(d.peer.cls, (row.get(d.peer.cls) ?? 0) + bytes);
    if (!seeder.traits.extension) continue; // a stock seeder keeps no books
    if (!d.peer.traits.extension) {
      seeder.debts.pool().charge(BigInt(bytes));
      continue;
    }
    seeder.debts.account(d.circuit === undefined ? d.peer.key : d.circuit.exit.key).charge(BigInt(bytes));
    const owed = (d.owes.get(seeder.id) ?? 0) + bytes;
    if (owed >= PROPOSE_EVERY_BYTES) {
      settle(ctx, seeder, d, owed);
      d.owes.delete(seeder.id);
    } else d.owes.set(seeder.id, owed);
  }
  return moved;
}
