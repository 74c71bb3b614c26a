import { describe, expect, it } from 'vitest';
import { bytesEqual, toHex } from '../codec/bytes.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { verifyBlockSignature } from '../ledger/block-codec.ts';
import { testPeer } from '../ledger/test-support.ts';
import { CROSSING_SWEEP_MS, DECLINED_PAIR_REST_MS, MAX_FORWARD, MAX_PENDING_VERIFICATIONS, MAX_REMATCHES, PAIR_REST_MS, PEER_ORDER_BURST, PEER_ORDERS_PER_SECOND, REMATCH_AFTER_MS, RESERVATION_TIMEOUT_MS, SYNC_ANSWER_TIMEOUT_MS, SYNC_EVERY_MS } from './constants.ts';
import { decodeMarketMessage, encodeMarketMessage, MAX_ORDER_TTL, matchMessage, type MarketMessage } from './market-wire.ts';
import { Matchmaker, type MatchmakerAction, type MatchmakerDeps, type PeerKey } from './matchmaker.ts';
import { orderFromBlock } from './order.ts';
import { MIB, signCancel, signOrder, T0, trader, type Trader } from './test-support.ts';
import type { DeclineReason } from './negotiation.ts';
import type { Match } from './order-book.ts';
import { askType } from './tradechain/order-tx.ts';

/** The ledger's signature check stands in for full validation; `refuse` makes it refuse some blocks besides. */
function verifier(refuse: (b: HalfBlock) => boolean = () => false): MatchmakerDeps['verifyOrderBlock'] & { calls: number } {
  const verify = async (b: HalfBlock): Promise<'valid' | 'invalid'> => {
    verify.calls += 1;
    return verifyBlockSignature(b) && !refuse(b) ? 'valid' : 'invalid';
  };
  verify.calls = 0;
  return verify;
}

function seededRandom(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

let seedByte = 100;
function matchmaker(deps: Partial<MatchmakerDeps> = {}): { mm: Matchmaker; key: PeerKey; me: Uint8Array } {
  const me = testPeer('matchmaker', seedByte++).publicKey;
  return { mm: new Matchmaker({ me, verifyOrderBlock: verifier(), random: seededRandom(seedByte), ...deps }), key: toHex(me), me };
}

const keyOf = (t: Trader): PeerKey => toHex(t.publicKey);
const order = (block: HalfBlock, ttl: number = MAX_ORDER_TTL): MarketMessage => ({ type: 'order', ttl, block });
const sends = (actions: MatchmakerAction[]): Extract<MatchmakerAction, { kind: 'send' }>[] => actions.flatMap((a) => (a.kind === 'send' ? [a] : []));
const drops = (actions: MatchmakerAction[]): string[] => actions.flatMap((a) => (a.kind === 'dropped' ? [a.reason] : []));
/** Distinct matches made (each is sent to both traders). */
const matchesIn = (actions: MatchmakerAction[]): MarketMessage[] => [...new Map(sends(actions).flatMap((a) => (a.message.type === 'match' ? [[a.message.matchId, a.message] as const] : []))).values()];

/** Matchmakers wired to each other; every frame goes through the wire codec; frames to anyone else land in `inbox`. */
class Network {
  readonly nodes = new Map<PeerKey, Matchmaker>();
  readonly queue: { from: PeerKey; to: PeerKey; message: MarketMessage }[] = [];
  readonly delivered: { from: PeerKey; to: PeerKey; message: MarketMessage }[] = [];
  readonly inbox: { to: PeerKey; message: MarketMessage }[] = [];

  add(...nodes: { mm: Matchmaker; key: PeerKey }[]): void {
    for (const n of nodes) this.nodes.set(n.key, n.mm);
    for (const [key, mm] of this.nodes) mm.peersChanged([...this.nodes.keys()].filter((k) => k !== key));
  }

  enqueue(from: PeerKey, actions: MatchmakerAction[]): void {
    for (const a of sends(actions)) {
      const message = decodeMarketMessage(encodeMarketMessage(a.message));
      if (this.nodes.has(a.to)) this.queue.push({ from, to: a.to, message });
      else this.inbox.push({ to: a.to, message });
    }
  }

  /** Delivers until no frame is left; throws if traffic outlives `maxFrames` (a loop). */
  async drain(now: number, maxFrames = 10_000): Promise<void> {
    for (let n = 0; this.queue.length > 0; n++) {
      if (n >= maxFrames) throw new Error(`traffic did not end within ${maxFrames} frames`);
      const f = this.queue.shift()!;
      this.delivered.push(f);
      this.enqueue(f.to, await this.nodes.get(f.to)!.receive(f.from, f.message, now));
    }
  }
}

/** Alice's 1 MiB ask matched by Bob's bid in one matchmaker; `traded(n)` is a trade report with trade id n. */
async function matchedPair() {
  const [alice, bob] = [trader('alice', 1), trader('bob', 2)];
  const { mm } = matchmaker();
  const ask = orderFromBlock(signOrder(alice, 'ask', { quantity: MIB, price: 10n }));
  await mm.receive(keyOf(alice), order(ask.block), T0);
  const [m] = matchesIn(await mm.receive(keyOf(bob), order(signOrder(bob, 'bid', { quantity: MIB, price: 10n })), T0));
  if (m?.type !== 'match') throw new Error('no match');
  const traded = (id: number): MarketMessage => ({ type: 'match-outcome', matchId: m.matchId, outcome: { kind: 'traded', tradeId: new Uint8Array(16).fill(id), quantity: MIB } });
  return { mm, alice, bob, ask, traded, matchId: m.matchId };
}

describe('Matchmaker: booking and forwarding', () => {
  it('never books, forwards or matches an order the verifier rejects', async () => {
    const mallory = trader('mallory', 1);
    const bob = trader('bob', 2);
    const { mm } = matchmaker({ verifyOrderBlock: verifier((b) => bytesEqual(b.publicKey, mallory.publicKey)) });
    mm.peersChanged(['p1', 'p2']);
    const rejected = await mm.receive(keyOf(mallory), order(signOrder(mallory, 'ask', { quantity: MIB, price: 10n })), T0);
    expect(drops(rejected)).toEqual(['invalid']);
    expect(sends(rejected)).toEqual([]);
    expect(mm.book.size).toBe(0);
    const crossing = await mm.receive(keyOf(bob), order(signOrder(bob, 'bid', { quantity: MIB, price: 20n })), T0);
    expect(matchesIn(crossing)).toEqual([]);
    expect(sends(crossing).every((s) => s.message.type === 'order' && s.to !== keyOf(mallory))).toBe(true);
  });

  it('refuses an altered order (same trader and number, other terms), signed or not, and does not pass it on', async () => {
    const alice = trader('alice', 1);
    const { mm } = matchmaker();
    mm.peersChanged(['p1', 'p2']);
    const original = signOrder(alice, 'ask', { quantity: MIB, price: 10n, orderNumber: 1 });
    expect(sends(await mm.receive(keyOf(alice), order(original), T0))).toHaveLength(2);

    const resigned = signOrder(alice, 'ask', { quantity: MIB, price: 1n, orderNumber: 1 });
    const tampered = { ...original, transaction: askType.encode({ ...askType.decode(original.transaction), price: 1n }) };
    for (const altered of [resigned, tampered]) {
      const actions = await mm.receive('p1', order(altered), T0);
      expect(drops(actions)).toEqual(['conflict']);
      expect(sends(actions)).toEqual([]);
    }
    expect(mm.book.get(orderFromBlock(original).id)!.price).toBe(10n);

    // A tampered block reaching a book that lacks the original fails the signature check.
    const fresh = matchmaker().mm;
    fresh.peersChanged(['p1']);
    const actions = await fresh.receive('p2', order(tampered), T0);
    expect(drops(actions)).toEqual(['invalid']);
    expect(fresh.book.size).toBe(0);
  });

  it('passes a new order on to at most MAX_FORWARD peers with ttl - 1, never to its sender or trader; a known or ttl-0 order to nobody', async () => {
    const alice = trader('alice', 1);
    const { mm } = matchmaker();
    const peers = Array.from({ length: MAX_FORWARD + 4 }, (_, i) => `peer${i}`);
    mm.peersChanged([...peers, keyOf(alice)]);
    const block = signOrder(alice, 'ask', { quantity: MIB, price: 10n });
    const out = sends(await mm.receive('peer0', order(block, 2), T0));
    expect(out).toHaveLength(MAX_FORWARD);
    expect(new Set(out.map((s) => s.to)).size).toBe(MAX_FORWARD);
    expect(out.every((s) => s.to !== 'peer0' && s.to !== keyOf(alice) && s.message.type === 'order' && s.message.ttl === 1)).toBe(true);

    expect(await mm.receive('peer2', order(block, 2), T0)).toEqual([]);

    const last = await mm.receive('peer1', order(signOrder(alice, 'ask', { quantity: MIB, price: 11n }), 0), T0);
    expect(sends(last)).toEqual([]);
    expect(mm.book.size).toBe(2);
  });

  it('verifies a block once while copies of it arrive, and books it once', async () => {
    const alice = trader('alice', 1);
    const verify = verifier();
    const { mm } = matchmaker({ verifyOrderBlock: verify });
    mm.peersChanged(['p1', 'p2', 'p3']);
    const block = signOrder(alice, 'ask', { quantity: MIB, price: 10n });
    const results = await Promise.all(['p1', 'p2', 'p3'].map((p) => mm.receive(p, order(block), T0)));
    expect(verify.calls).toBe(1);
    expect(results.flatMap(sends).length).toBeLessThanOrEqual(2);
    expect(mm.book.size).toBe(1);
  });

  it('bounds a peer flooding orders: past the burst they are dropped unverified until its rate refills', async () => {
    const verify = verifier();
    const { mm } = matchmaker({ verifyOrderBlock: verify });
    const traders = Array.from({ length: 10 }, (_, i) => trader(`t${i}`, 10 + i));
    const flood = Array.from({ length: PEER_ORDER_BURST + 30 }, (_, i) => signOrder(traders[i % traders.length]!, 'ask', { quantity: MIB, price: 10n }));
    const results = [];
    for (const b of flood) results.push(...(await mm.receive('flooder', order(b, 0), T0)));
    expect(verify.calls).toBe(PEER_ORDER_BURST);
    expect(drops(results).filter((r) => r === 'rate')).toHaveLength(30);
    expect(mm.book.size).toBe(PEER_ORDER_BURST);
    // Another peer is not held back by the flooder.
    expect(drops(await mm.receive('other', order(signOrder(traders[0]!, 'bid', { quantity: MIB, price: 1n }), 0), T0))).toEqual([]);
    // One second later, the flooder has PEER_ORDERS_PER_SECOND more.
    const later = [];
    for (const b of flood.slice(PEER_ORDER_BURST)) later.push(...(await mm.receive('flooder', order(b, 0), T0 + 1000)));
    expect(verify.calls).toBe(PEER_ORDER_BURST + 1 + PEER_ORDERS_PER_SECOND);
  });

  it('bounds verifications in flight: past MAX_PENDING_VERIFICATIONS a block is refused as busy, unverified', async () => {
    const waiting: (() => void)[] = [];
    let calls = 0;
    const verifyOrderBlock = (): Promise<'valid'> => {
      calls += 1;
      return new Promise((resolve) => waiting.push(() => resolve('valid')));
    };
    const { mm } = matchmaker({ verifyOrderBlock });
    const traders = Array.from({ length: 10 }, (_, i) => trader(`t${i}`, 40 + i));
    const blocks = Array.from({ length: MAX_PENDING_VERIFICATIONS + 1 }, (_, i) => signOrder(traders[i % traders.length]!, 'ask', { quantity: MIB, price: 10n }));
    const results = blocks.map((b, i) => mm.receive(`peer${i % 4}`, order(b, 0), T0));
    expect(drops(await results.at(-1)!)).toEqual(['busy']);
    expect(calls).toBe(MAX_PENDING_VERIFICATIONS);
    for (const release of waiting) release();
    await Promise.all(results);
    expect(mm.book.size).toBe(MAX_PENDING_VERIFICATIONS);
  });

  it.each([2, 3, 4])('ends a flood between %i matchmakers wired to each other: each passes each order on at most once per peer', async (count) => {
    const net = new Network();
    const nodes = Array.from({ length: count }, () => matchmaker());
    net.add(...nodes);
    const traders = Array.from({ length: 5 }, (_, i) => trader(`t${i}`, 20 + i));
    const blocks = traders.flatMap((t) => Array.from({ length: 6 }, () => signOrder(t, 'ask', { quantity: MIB, price: 10n })));
    // Each trader sends each order to every matchmaker it knows (market-wire.ts), so copies meet forwards everywhere.
    for (const b of blocks) for (const n of nodes) net.queue.push({ from: toHex(b.publicKey), to: n.key, message: order(b) });
    await net.drain(T0);
    const perLink = new Map<string, number>();
    for (const f of net.delivered) {
      if (f.message.type !== 'order') continue;
      const k = `${f.from}>${f.to}>${toHex(f.message.block.signature)}`;
      perLink.set(k, (perLink.get(k) ?? 0) + 1);
    }
    expect(Math.max(...perLink.values())).toBe(1);
    for (const n of nodes) expect(n.mm.book.size).toBe(blocks.length);
    // A cancellation floods the same way, and ends.
    net.queue.push({ from: keyOf(traders[0]!), to: nodes[0]!.key, message: order(signCancel(traders[0]!, 1)) });
    await net.drain(T0);
    for (const n of nodes) expect(n.mm.book.size).toBe(blocks.length - 1);
  });
});

describe('Matchmaker: matching', () => {
  it('sends each match to both traders, each preceded by the counterparty signed order at ttl 0', async () => {
    const [alice, bob] = [trader('alice', 1), trader('bob', 2)];
    const { mm, me } = matchmaker();
    const ask = signOrder(alice, 'ask', { quantity: 2n * MIB, price: 10n });
    const bid = signOrder(bob, 'bid', { quantity: MIB, price: 12n });
    await mm.receive(keyOf(alice), order(ask), T0);
    const out = sends(await mm.receive(keyOf(bob), order(bid), T0));
    const [offered] = matchesIn(out);
    if (offered?.type !== 'match') throw new Error('no match');
    const m = mm.book.reservation(offered.matchId)!;
    expect(m.taker.id).toBe(orderFromBlock(bid).id);
    expect(m.id).toMatch(new RegExp(`^${toHex(me)}\\.`));
    expect(out).toEqual([
      { kind: 'send', to: keyOf(bob), message: { type: 'order', ttl: 0, block: ask } },
      { kind: 'send', to: keyOf(bob), message: matchMessage(m, me) },
      { kind: 'send', to: keyOf(alice), message: { type: 'order', ttl: 0, block: bid } },
      { kind: 'send', to: keyOf(alice), message: matchMessage(m, me) },
    ]);
    expect(m).toMatchObject({ quantity: MIB, price: 10n });
  });

  it('does not match expired or cancelled orders', async () => {
    const [alice, bob, carol] = [trader('alice', 1), trader('bob', 2), trader('carol', 3)];
    const { mm } = matchmaker();
    await mm.receive(keyOf(alice), order(signOrder(alice, 'ask', { quantity: MIB, price: 10n, expiry: T0 + 1000 })), T0);
    const cancelled = signOrder(carol, 'ask', { quantity: MIB, price: 10n });
    await mm.receive(keyOf(carol), order(cancelled), T0);
    await mm.receive(keyOf(carol), order(signCancel(carol, 1)), T0);
    expect(mm.book.size).toBe(1);
    // Alice's ask expired without a tick; Carol's is gone, and a late copy is refused.
    expect(matchesIn(await mm.receive(keyOf(bob), order(signOrder(bob, 'bid', { quantity: MIB, price: 20n })), T0 + 1000))).toEqual([]);
    expect(drops(await mm.receive('p1', order(cancelled), T0 + 1000))).toEqual(['cancelled']);
    expect(matchesIn(await mm.receive(keyOf(bob), order(signOrder(bob, 'bid', { quantity: MIB, price: 20n })), T0 + 1000))).toEqual([]);
  });

  it('releases a reservation on timeout, and the quantity matches again', async () => {
    const [alice, bob, carol] = [trader('alice', 1), trader('bob', 2), trader('carol', 3)];
    const { mm } = matchmaker();
    await mm.receive(keyOf(alice), order(signOrder(alice, 'ask', { quantity: MIB, price: 10n })), T0);
    expect(matchesIn(await mm.receive(keyOf(bob), order(signOrder(bob, 'bid', { quantity: MIB, price: 10n })), T0))).toHaveLength(1);
    expect(matchesIn(await mm.receive(keyOf(carol), order(signOrder(carol, 'bid', { quantity: MIB, price: 10n })), T0))).toEqual([]);
    mm.tick(T0 + RESERVATION_TIMEOUT_MS - 1);
    expect(mm.matchesInFlight).toBe(1);
    mm.tick(T0 + RESERVATION_TIMEOUT_MS);
    expect(mm.matchesInFlight).toBe(0);
    const again = matchesIn(await mm.receive(keyOf(carol), order(signOrder(carol, 'bid', { quantity: MIB, price: 10n })), T0 + RESERVATION_TIMEOUT_MS));
    expect(again).toHaveLength(1);
  });

  it('takes a match-outcome only from one of the match two traders', async () => {
    const [alice, bob, mallory] = [trader('alice', 1), trader('bob', 2), trader('mallory', 3)];
    const { mm } = matchmaker();
    const ask = orderFromBlock(signOrder(alice, 'ask', { quantity: 2n * MIB, price: 10n }));
    await mm.receive(keyOf(alice), order(ask.block), T0);
    const [m] = matchesIn(await mm.receive(keyOf(bob), order(signOrder(bob, 'bid', { quantity: MIB, price: 10n })), T0));
    if (m?.type !== 'match') throw new Error('no match');
    const declined: MarketMessage = { type: 'match-outcome', matchId: m.matchId, outcome: { kind: 'declined', reason: 'price' } };
    expect(drops(await mm.receive(keyOf(mallory), declined, T0))).toEqual(['not-a-trader']);
    const traded: MarketMessage = { type: 'match-outcome', matchId: m.matchId, outcome: { kind: 'traded', tradeId: new Uint8Array(16), quantity: MIB } };
    expect(drops(await mm.receive(keyOf(mallory), traded, T0))).toEqual(['not-a-trader']);
    expect(mm.book.reservation(m.matchId)).toBeDefined();
    expect(mm.book.available(ask.id)).toBe(MIB);

    // One trader's report alone fills nothing: the reservation waits for the other's.
    expect(drops(await mm.receive(keyOf(alice), traded, T0))).toEqual([]);
    expect(drops(await mm.receive(keyOf(alice), traded, T0))).toEqual([]);
    expect(mm.book.reservation(m.matchId)).toBeDefined();
    expect(drops(await mm.receive(keyOf(bob), traded, T0))).toEqual([]);
    expect(mm.book.available(ask.id)).toBe(MIB);
    expect(mm.book.reservation(m.matchId)).toBeUndefined();
    expect(drops(await mm.receive(keyOf(bob), declined, T0))).toEqual(['unknown-match']);
  });

  it('a trader alone cannot fill the other trader\'s order: a lone or contradicting trade report releases the reservation', async () => {
    const { mm, bob, ask, traded } = await matchedPair();
    // Bob claims a trade Alice never reports: when the reservation times out, Alice's ask is whole again.
    await mm.receive(keyOf(bob), traded(1), T0);
    expect(mm.book.available(ask.id)).toBe(0n);
    mm.tick(T0 + RESERVATION_TIMEOUT_MS + 1);
    expect(mm.book.available(ask.id)).toBe(MIB);
    expect(mm.matchesInFlight).toBe(0);
  });

  it('releases when the traders report different trades', async () => {
    const { mm, alice, bob, ask, traded } = await matchedPair();
    await mm.receive(keyOf(bob), traded(1), T0);
    expect(drops(await mm.receive(keyOf(alice), traded(2), T0))).toEqual(['conflict']);
    expect(mm.book.available(ask.id)).toBe(MIB);
  });

  it('releases on a decline from a trader', async () => {
    const { mm, bob, ask, matchId } = await matchedPair();
    expect(mm.book.available(ask.id)).toBe(0n);
    await mm.receive(keyOf(bob), { type: 'match-outcome', matchId, outcome: { kind: 'declined', reason: 'untrusted' } }, T0);
    expect(mm.book.available(ask.id)).toBe(MIB);
  });
});

describe('Matchmaker: a pair whose offer fell through for a passing reason is offered again', () => {
  const declined = (matchId: string, reason: DeclineReason): MarketMessage => ({ type: 'match-outcome', matchId, outcome: { kind: 'declined', reason } });
  /** Matches of this pair made by ticks from `from` to `to`, a second at a time: the times at which it was offered. */
  const offersBetween = (mm: Matchmaker, from: number, to: number): number[] => offers(mm, from, to).map((o) => o.at);
  /** The same, with the id of each offer. */
  const offers = (mm: Matchmaker, from: number, to: number): { at: number; matchId: string }[] => {
    const made: { at: number; matchId: string }[] = [];
    for (let now = from; now <= to; now += 1000) for (const m of matchesIn(mm.tick(now))) if (m.type === 'match') made.push({ at: now, matchId: m.matchId });
    return made;
  };

  for (const reason of ['busy', 'quantity', 'order-unknown', 'timeout'] as const) {
    it(`after '${reason}': again after REMATCH_AFTER_MS, doubling, at most MAX_REMATCHES times (each trader busy with another matchmaker's match of the same orders would otherwise leave them resting forever)`, async () => {
      const { mm, alice, matchId: firstId } = await matchedPair();
      let now = T0;
      let matchId = firstId;
      const ids = new Set([matchId]);
      const times: number[] = [];
      for (let attempt = 1; attempt <= MAX_REMATCHES + 1; attempt++) {
        await mm.receive(keyOf(alice), declined(matchId, reason), now);
        expect(mm.matchesInFlight).toBe(0);
        if (attempt > MAX_REMATCHES) {
          expect(offersBetween(mm, now + 1000, now + 2 ** MAX_REMATCHES * REMATCH_AFTER_MS)).toEqual([]);
          break;
        }
        // Within its backoff and not before its end (the offer's own reservation then runs for RESERVATION_TIMEOUT_MS).
        const offered = offers(mm, now + 1000, now + REMATCH_AFTER_MS * 2 ** (attempt - 1));
        expect(offered).toHaveLength(1);
        times.push(offered[0]!.at - now);
        now = offered[0]!.at;
        // A new id for each offer: the traders remember the last one's negotiation, and would ignore it.
        matchId = offered[0]!.matchId;
        expect(mm.book.reservation(matchId)).toBeDefined();
        ids.add(matchId);
      }
      expect(times).toEqual(Array.from({ length: MAX_REMATCHES }, (_, i) => REMATCH_AFTER_MS * 2 ** i));
      expect(ids.size).toBe(MAX_REMATCHES + 1);
    });
  }

  for (const reason of ['price', 'untrusted', 'no-funds', 'self-trade', 'order-expired', 'stalled', 'protocol'] as const) {
    it(`after '${reason}': never again by itself (the trader would decline it again)`, async () => {
      const { mm, bob, matchId } = await matchedPair();
      await mm.receive(keyOf(bob), declined(matchId, reason), T0);
      expect(offersBetween(mm, T0, T0 + 2 ** MAX_REMATCHES * REMATCH_AFTER_MS)).toEqual([]);
    });
  }

  it('after its offers ran out, a pair rests PAIR_REST_MS, then a sweep offers it again: crossing orders never rest side by side for good', async () => {
    const { mm, alice, matchId: firstId } = await matchedPair();
    let now = T0;
    let matchId = firstId;
    for (let attempt = 1; attempt <= MAX_REMATCHES; attempt++) {
      await mm.receive(keyOf(alice), declined(matchId, 'busy'), now);
      const [next] = offers(mm, now + 1000, now + REMATCH_AFTER_MS * 2 ** (attempt - 1));
      now = next!.at;
      matchId = next!.matchId;
    }
    await mm.receive(keyOf(alice), declined(matchId, 'busy'), now);
    expect(offers(mm, now + 1000, now + PAIR_REST_MS - 1000)).toEqual([]);
    const swept = offers(mm, now + PAIR_REST_MS, now + PAIR_REST_MS + CROSSING_SWEEP_MS);
    expect(swept).toHaveLength(1);
    expect(mm.book.reservation(swept[0]!.matchId)).toBeDefined();
  });

  for (const reason of ['untrusted', 'no-funds', 'protocol'] as const) {
    it(`after '${reason}': the pair rests DECLINED_PAIR_REST_MS, then a sweep offers it again (funds arrive, trust grows); a trader declining every offer gets it a few times an hour`, async () => {
      const { mm, bob, matchId: firstId } = await matchedPair();
      const hour = 3_600_000;
      const made: number[] = [];
      let matchId = firstId;
      await mm.receive(keyOf(bob), declined(matchId, reason), T0);
      for (let now = T0 + 1000; now <= T0 + hour; now += 1000) {
        for (const m of matchesIn(mm.tick(now))) {
          if (m.type !== 'match') continue;
          made.push(now - T0);
          matchId = m.matchId;
          await mm.receive(keyOf(bob), declined(matchId, reason), now);
        }
      }
      expect(made[0]).toBeGreaterThanOrEqual(DECLINED_PAIR_REST_MS);
      expect(made[0]).toBeLessThanOrEqual(DECLINED_PAIR_REST_MS + CROSSING_SWEEP_MS);
      expect(made.length).toBeLessThanOrEqual(hour / DECLINED_PAIR_REST_MS);
      expect(made.length).toBeGreaterThanOrEqual(hour / (DECLINED_PAIR_REST_MS + CROSSING_SWEEP_MS) - 1);
    });
  }

  it('a ring of newer bids at the same price that declines every offer cannot keep an older honest pair from being offered again', async () => {
    const { mm, bob, ask, matchId } = await matchedPair();
    await mm.receive(keyOf(bob), declined(matchId, 'no-funds'), T0);
    // Four keys, 76 bids at the ask's price, each taking Alice's ask whenever it can, and declining it.
    const ring = [trader('ring1', 11), trader('ring2', 12), trader('ring3', 13), trader('ring4', 14)];
    const ringKeys = new Set(ring.map(keyOf));
    const declineRing = async (actions: MatchmakerAction[], now: number): Promise<Match[]> => {
      const made = matchesIn(actions).flatMap((m) => (m.type === 'match' ? [mm.book.reservation(m.matchId)!] : []));
      for (const r of made) {
        const bidder = r.taker.side === 'bid' ? r.taker.trader : r.maker.trader;
        if (ringKeys.has(bidder)) await mm.receive(bidder, declined(r.id, 'untrusted'), now);
      }
      return made;
    };
    for (const t of ring) for (let k = 0; k < 19; k++) await declineRing(await mm.receive(keyOf(t), order(signOrder(t, 'bid', { quantity: MIB, price: 10n }), 0), T0 + 1000), T0 + 1000);
    let offeredToBob: number | undefined;
    for (let now = T0 + 2000; now <= T0 + DECLINED_PAIR_REST_MS + 4 * CROSSING_SWEEP_MS && offeredToBob === undefined; now += 1000) {
      for (const r of await declineRing(mm.tick(now), now)) if ([r.taker.trader, r.maker.trader].includes(keyOf(bob)) && [r.taker.id, r.maker.id].includes(ask.id)) offeredToBob = now;
    }
    expect(offeredToBob).toBeDefined();
    expect(offeredToBob!).toBeGreaterThanOrEqual(T0 + DECLINED_PAIR_REST_MS);
  });

  it('a reservation nobody answered is offered again once it times out', async () => {
    const { mm, matchId } = await matchedPair();
    expect(offersBetween(mm, T0 + 1000, T0 + RESERVATION_TIMEOUT_MS)).toEqual([]);
    expect(mm.matchesInFlight).toBe(0);
    const again = offers(mm, T0 + RESERVATION_TIMEOUT_MS + 1000, T0 + RESERVATION_TIMEOUT_MS + REMATCH_AFTER_MS);
    expect(again.map((o) => o.at)).toEqual([T0 + RESERVATION_TIMEOUT_MS + REMATCH_AFTER_MS]);
    expect(again[0]!.matchId).not.toBe(matchId);
    expect(mm.book.reservation(again[0]!.matchId)).toBeDefined();
  });

  it('a pair that traded, or whose order was cancelled or filled meanwhile, is not offered again', async () => {
    const { mm, alice, bob, ask, matchId } = await matchedPair();
    await mm.receive(keyOf(bob), declined(matchId, 'busy'), T0);
    await mm.receive(keyOf(alice), order(signCancel(alice, 1)), T0);
    expect(mm.book.get(ask.id)).toBeUndefined();
    expect(offersBetween(mm, T0, T0 + 10 * REMATCH_AFTER_MS)).toEqual([]);

    const done = await matchedPair();
    await done.mm.receive(keyOf(done.alice), done.traded(1), T0);
    await done.mm.receive(keyOf(done.bob), done.traded(1), T0);
    expect(offersBetween(done.mm, T0, T0 + 10 * REMATCH_AFTER_MS)).toEqual([]);
  });

  it('a pair whose quantity another match took waits, and is offered when that match falls through', async () => {
    const [alice, bob, carol] = [trader('alice', 1), trader('bob', 2), trader('carol', 3)];
    const { mm } = matchmaker();
    await mm.receive(keyOf(alice), order(signOrder(alice, 'ask', { quantity: MIB, price: 10n })), T0);
    const [first] = matchesIn(await mm.receive(keyOf(bob), order(signOrder(bob, 'bid', { quantity: MIB, price: 10n })), T0));
    if (first?.type !== 'match') throw new Error('no match');
    await mm.receive(keyOf(bob), declined(first.matchId, 'busy'), T0);
    // Carol takes Alice's whole ask meanwhile: Bob's pair is not offered while that match is in flight.
    const [second] = matchesIn(await mm.receive(keyOf(carol), order(signOrder(carol, 'bid', { quantity: MIB, price: 10n })), T0 + 1000));
    if (second?.type !== 'match') throw new Error('no match for carol');
    expect(offersBetween(mm, T0 + 1000, T0 + 4 * REMATCH_AFTER_MS)).toEqual([]);
    await mm.receive(keyOf(carol), declined(second.matchId, 'untrusted'), T0 + 4 * REMATCH_AFTER_MS);
    const after = offers(mm, T0 + 4 * REMATCH_AFTER_MS + 1000, T0 + 6 * REMATCH_AFTER_MS);
    expect(after).toHaveLength(1);
    expect(mm.book.reservation(after[0]!.matchId)).toMatchObject({ taker: { trader: keyOf(bob) }, maker: { trader: keyOf(alice) } });
  });
});

describe('Matchmaker: book sync', () => {
  it('two matchmakers converge by sync, cancellations included', async () => {
    const net = new Network();
    const a = matchmaker();
    const b = matchmaker();
    const traders = Array.from({ length: 6 }, (_, i) => trader(`t${i}`, 30 + i));
    // Each books its own orders at ttl 0 (no flood), then B learns a cancellation of one of A's.
    for (const [i, t] of traders.entries()) {
      const node = i < 4 ? a : b;
      for (let k = 0; k < 3; k++) await node.mm.receive(keyOf(t), order(signOrder(t, i % 2 === 0 ? 'ask' : 'bid', { quantity: MIB, price: i % 2 === 0 ? 100n : 1n }), 0), T0);
    }
    await b.mm.receive(keyOf(traders[0]!), order(signCancel(traders[0]!, 2), 0), T0);
    net.add(a, b);
    const ids = (mm: Matchmaker): string[] => [...mm.book.orders()].map((o) => o.id).sort();
    let now = T0;
    for (let round = 0; round < 10 && (ids(a.mm).join() !== ids(b.mm).join() || a.mm.book.size !== 17); round++) {
      net.enqueue(a.key, a.mm.tick(now));
      net.enqueue(b.key, b.mm.tick(now));
      await net.drain(now);
      now += SYNC_EVERY_MS;
    }
    expect(ids(a.mm)).toEqual(ids(b.mm));
    expect(a.mm.book.size).toBe(17);
    expect(a.mm.book.isCancelled(orderFromBlock(traders[0]!.chain[1]!).id)).toBe(true);
  });

  it('refuses a sync answer it did not ask that peer for', async () => {
    const alice = trader('alice', 1);
    const { mm } = matchmaker();
    mm.peersChanged(['p1', 'p2']);
    const answer: MarketMessage = { type: 'sync-answer', pair: mm.book.pair, blocks: [signOrder(alice, 'ask', { quantity: MIB, price: 10n })] };
    expect(drops(await mm.receive('p1', answer, T0))).toEqual(['unsolicited']);
    const [request] = sends(mm.tick(T0));
    const other = request!.to === 'p1' ? 'p2' : 'p1';
    expect(drops(await mm.receive(other, answer, T0))).toEqual(['unsolicited']);
    expect(drops(await mm.receive(request!.to, answer, T0))).toEqual([]);
    // A copy of the answer taken (one per connection to that peer) is no refusal; a later answer nobody asked for is.
    expect(drops(await mm.receive(request!.to, answer, T0 + 1))).toEqual([]);
    expect(drops(await mm.receive(request!.to, answer, T0 + SYNC_ANSWER_TIMEOUT_MS))).toEqual(['unsolicited']);
    expect(mm.book.size).toBe(1);
  });
});
