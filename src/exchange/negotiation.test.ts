import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tradeWei } from './installments.ts';
import { checkAgainstOrders, NegotiationError, Negotiations, type NegotiationAction, type NegotiationMessage, type OrderView } from './negotiation.ts';
import { MAX_COUNTERS, NEGOTIATION_MEMORY_MS, NEGOTIATION_REPLY_TIMEOUT_MS } from './settlement-constants.ts';

const MiB = 1n << 20n;
const T0 = 1_800_000_000_000;
const SELLER = 'aa'.repeat(32);
const BUYER = 'bb'.repeat(32);
const MALLORY = 'cc'.repeat(32);

const ask = (over: Partial<OrderView> = {}): OrderView => ({ id: 'ask-1', trader: SELLER, side: 'ask', price: 100n, remaining: 50n * MiB, expiresAt: T0 + 3_600_000, ...over });
const bid = (over: Partial<OrderView> = {}): OrderView => ({ id: 'bid-1', trader: BUYER, side: 'bid', price: 120n, remaining: 40n * MiB, expiresAt: T0 + 3_600_000, ...over });

function setUp(orders: OrderView[] = [ask(), bid()]) {
  const clock = { t: T0 };
  const book = new Map(orders.map((o) => [o.id, o]));
  const deps = (me: string) => ({ now: () => clock.t, me, order: (id: string) => book.get(id) });
  const seller = new Negotiations(deps(SELLER));
  const buyer = new Negotiations(deps(BUYER));
  const outcomes: string[] = [];
  const events: { seller: NegotiationAction[]; buyer: NegotiationAction[] } = { seller: [], buyer: [] };
  /** Delivers every 'send' to the other side, keeping the rest per side. */
  const run = (from: 'seller' | 'buyer', actions: NegotiationAction[]): void => {
    for (const a of actions) {
      if (a.type !== 'send') {
        events[from].push(a);
        continue;
      }
      const [to, fromKey] = from === 'seller' ? (['buyer', SELLER] as const) : (['seller', BUYER] as const);
      const r = (to === 'seller' ? seller : buyer).receive(fromKey, a.message);
      outcomes.push(`${to}:${r.outcome}`);
      run(to, r.actions);
    }
  };
  return { clock, book, seller, buyer, run, events, outcomes };
}

const propose = (over: Partial<NegotiationMessage & { type: 'propose' }> = {}): NegotiationMessage => ({ type: 'propose', matchId: 'm1', askId: 'ask-1', bidId: 'bid-1', quantity: 10n * MiB, price: 110n, ...over });

describe('negotiation', () => {
  it('agrees on the proposed terms: the same terms on both sides, for trade-init', () => {
    const { seller, buyer, run, events } = setUp();
    run('seller', seller.start({ matchId: 'm1', ask: ask(), bid: bid(), offer: { quantity: 10n * MiB, price: 110n } }));
    expect(events.buyer).toEqual([{ type: 'answer-needed', matchId: 'm1', peer: SELLER, offer: { quantity: 10n * MiB, price: 110n } }]);
    run('buyer', buyer.accept('m1'));
    const terms = { matchId: 'm1', askId: 'ask-1', bidId: 'bid-1', seller: SELLER, buyer: BUYER, tokens: 10n * MiB, price: 110n, wei: tradeWei(10n * MiB, 110n) };
    expect(events.buyer.at(-1)).toEqual({ type: 'agreed', terms });
    expect(events.seller).toEqual([{ type: 'agreed', terms }]);
    expect(seller.status('m1')?.status).toBe('agreed');
  });

  it('settles a counter for a partial quantity, and declines with a typed reason', () => {
    const { seller, buyer, run, events } = setUp();
    run('seller', seller.start({ matchId: 'm1', ask: ask(), bid: bid(), offer: { quantity: 10n * MiB, price: 110n } }));
    run('buyer', buyer.counter('m1', 4n * MiB));
    expect(events.seller).toEqual([{ type: 'answer-needed', matchId: 'm1', peer: BUYER, offer: { quantity: 4n * MiB, price: 110n } }]);
    run('seller', seller.accept('m1'));
    expect(events.buyer.at(-1)).toMatchObject({ type: 'agreed', terms: { tokens: 4n * MiB, price: 110n } });

    const second = setUp();
    second.run('seller', second.seller.start({ matchId: 'm2', ask: ask(), bid: bid(), offer: { quantity: MiB, price: 110n } }));
    second.run('buyer', second.buyer.decline('m2', 'no-funds'));
    expect(second.events.seller).toEqual([{ type: 'declined', matchId: 'm2', peer: BUYER, reason: 'no-funds', by: 'them' }]);
    expect(second.events.buyer.at(-1)).toEqual({ type: 'declined', matchId: 'm2', peer: SELLER, reason: 'no-funds', by: 'me' });
  });

  it('never proposes terms that contradict the orders', () => {
    const { seller } = setUp();
    const start = (offer: { quantity: bigint; price: bigint }, a = ask(), b = bid()) => () => seller.start({ matchId: `m${Math.random()}`, ask: a, bid: b, offer });
    const code = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(NegotiationError);
        return (e as NegotiationError).code;
      }
    };
    expect(code(start({ quantity: MiB, price: 99n }))).toBe('price');
    expect(code(start({ quantity: MiB, price: 121n }))).toBe('price');
    expect(code(start({ quantity: 40n * MiB + 1n, price: 110n }))).toBe('quantity');
    expect(code(start({ quantity: 0n, price: 110n }))).toBe('quantity');
    expect(code(start({ quantity: MiB, price: 110n }, ask(), bid({ expiresAt: T0 })))).toBe('order-expired');
    expect(code(start({ quantity: MiB, price: 110n }, ask(), bid({ trader: SELLER })))).toBe('self-trade');
    expect(code(start({ quantity: MiB, price: 110n }, ask({ trader: BUYER }), bid({ trader: SELLER })))).toBe('not-mine');
    expect(code(start({ quantity: 40n * MiB, price: 120n }))).toBe('ok');
  });

  it('declines a received proposal that contradicts the orders, or comes from someone not the seller', () => {
    const cases: [NegotiationMessage, string, string][] = [
      [propose({ price: 130n }), SELLER, 'price'],
      [propose({ price: 90n }), SELLER, 'price'],
      [propose({ quantity: 41n * MiB }), SELLER, 'quantity'],
      [propose({ bidId: 'nope' }), SELLER, 'order-unknown'],
      [propose(), MALLORY, 'order-unknown'],
    ];
    for (const [message, from, reason] of cases) {
      const { buyer } = setUp();
      const r = buyer.receive(from, message);
      expect(r.outcome).toBe('refused');
      expect(r.actions).toEqual([
        { type: 'send', to: from, message: { type: 'decline', matchId: 'm1', reason } },
        { type: 'declined', matchId: 'm1', peer: from, reason, by: 'me' },
      ]);
    }
  });

  it('does not promise one order twice: open negotiations on my order count against what it has left', () => {
    const { buyer } = setUp([ask(), ask({ id: 'ask-2', trader: MALLORY }), bid()]);
    expect(buyer.receive(SELLER, propose({ quantity: 30n * MiB })).outcome).toBe('started');
    const second = buyer.receive(MALLORY, propose({ matchId: 'm2', askId: 'ask-2', quantity: 20n * MiB }));
    expect(second.actions[0]).toEqual({ type: 'send', to: MALLORY, message: { type: 'decline', matchId: 'm2', reason: 'quantity' } });
    expect(buyer.receive(MALLORY, propose({ matchId: 'm3', askId: 'ask-2', quantity: 10n * MiB })).outcome).toBe('started');
    buyer.decline('m1', 'busy');
    expect(buyer.receive(MALLORY, propose({ matchId: 'm4', askId: 'ask-2', quantity: 30n * MiB })).outcome).toBe('started');
  });

  it('holds one negotiation per match: a second start throws, replays are ignored', () => {
    const { seller, buyer, run, outcomes } = setUp();
    run('seller', seller.start({ matchId: 'm1', ask: ask(), bid: bid(), offer: { quantity: MiB, price: 110n } }));
    expect(() => seller.start({ matchId: 'm1', ask: ask(), bid: bid(), offer: { quantity: MiB, price: 110n } })).toThrow(NegotiationError);
    expect(buyer.receive(SELLER, propose({ quantity: 2n * MiB })).outcome).toBe('ignored');
    run('buyer', buyer.accept('m1'));
    expect(outcomes).toEqual(['buyer:started', 'seller:agreed']);
    expect(seller.receive(BUYER, { type: 'accept', matchId: 'm1', quantity: MiB, price: 110n }).outcome).toBe('ignored');
    expect(seller.receive(BUYER, { type: 'decline', matchId: 'm1', reason: 'busy' }).outcome).toBe('ignored');
    expect(seller.receive(MALLORY, { type: 'decline', matchId: 'm1', reason: 'busy' }).outcome).toBe('ignored');
  });

  it('refuses an accept of other terms, a counter that does not lower the quantity, and endless counters', () => {
    const a = setUp();
    a.run('seller', a.seller.start({ matchId: 'm1', ask: ask(), bid: bid(), offer: { quantity: 10n * MiB, price: 110n } }));
    expect(a.seller.receive(BUYER, { type: 'accept', matchId: 'm1', quantity: 10n * MiB, price: 109n }).outcome).toBe('refused');
    expect(a.seller.status('m1')?.status).toBe('declined');

    const b = setUp();
    b.run('seller', b.seller.start({ matchId: 'm1', ask: ask(), bid: bid(), offer: { quantity: 10n * MiB, price: 110n } }));
    const r = b.seller.receive(BUYER, { type: 'counter', matchId: 'm1', quantity: 10n * MiB });
    expect(r.actions[0]).toEqual({ type: 'send', to: BUYER, message: { type: 'decline', matchId: 'm1', reason: 'quantity' } });
    expect(() => b.buyer.counter('m1', 10n * MiB)).toThrow(NegotiationError);

    const c = setUp();
    c.run('seller', c.seller.start({ matchId: 'm1', ask: ask(), bid: bid(), offer: { quantity: 10n * MiB, price: 110n } }));
    let q = 10n * MiB;
    for (let i = 0; i < MAX_COUNTERS; i++) c.run(i % 2 === 0 ? 'buyer' : 'seller', (i % 2 === 0 ? c.buyer : c.seller).counter('m1', (q -= MiB)));
    const side = MAX_COUNTERS % 2 === 0 ? c.buyer : c.seller;
    expect(() => side.counter('m1', q - MiB)).toThrow(/Too many counters/);
  });

  it('declines for timeout when the other side does not answer, and forgets finished matches later', () => {
    const { seller, buyer, run, events, clock } = setUp();
    run('seller', seller.start({ matchId: 'm1', ask: ask(), bid: bid(), offer: { quantity: MiB, price: 110n } }));
    expect(seller.tick(clock.t + NEGOTIATION_REPLY_TIMEOUT_MS - 1)).toEqual([]);
    clock.t += NEGOTIATION_REPLY_TIMEOUT_MS;
    run('seller', seller.tick(clock.t));
    expect(events.seller).toEqual([{ type: 'declined', matchId: 'm1', peer: BUYER, reason: 'timeout', by: 'me' }]);
    expect(events.buyer.at(-1)).toEqual({ type: 'declined', matchId: 'm1', peer: SELLER, reason: 'timeout', by: 'them' });
    expect(() => buyer.accept('m1')).toThrow(NegotiationError);
    clock.t += NEGOTIATION_MEMORY_MS;
    seller.tick(clock.t);
    expect(seller.status('m1')).toBeUndefined();
  });

  it('crossing messages: a seller\'s decline that overtakes its proposal, or reaches a buyer that already accepted, leaves the buyer holding nothing', () => {
    // The decline first: the proposal that follows is not answered (the seller will not start this trade).
    const early = setUp();
    const proposal = early.seller.start({ matchId: 'm1', ask: ask(), bid: bid(), offer: { quantity: MiB, price: 110n } });
    early.clock.t += NEGOTIATION_REPLY_TIMEOUT_MS;
    const timedOut = early.seller.tick(early.clock.t).filter((a) => a.type === 'send');
    early.run('seller', timedOut);
    expect(early.outcomes).toEqual(['buyer:ignored']);
    early.run('seller', proposal);
    expect(early.outcomes).toEqual(['buyer:ignored', 'buyer:ignored']);
    expect(early.events.buyer).toEqual([]);
    expect(early.buyer.status('m1')).toBeUndefined();

    // The buyer accepted before the decline reached it: its agreement ends (the caller frees the bid), and the seller ignores the late accept.
    const late = setUp();
    late.run('seller', late.seller.start({ matchId: 'm2', ask: ask(), bid: bid(), offer: { quantity: MiB, price: 110n } }));
    late.clock.t += NEGOTIATION_REPLY_TIMEOUT_MS;
    const decline = late.seller.tick(late.clock.t).find((a) => a.type === 'send')!;
    const accept = late.buyer.accept('m2');
    expect(accept.at(-1)).toMatchObject({ type: 'agreed' });
    expect(late.seller.receive(BUYER, (accept[0] as { message: NegotiationMessage }).message).outcome).toBe('ignored');
    const r = late.buyer.receive(SELLER, (decline as { message: NegotiationMessage }).message);
    expect(r.actions).toEqual([{ type: 'declined', matchId: 'm2', peer: SELLER, reason: 'timeout', by: 'them' }]);
    expect(late.buyer.status('m2')?.status).toBe('declined');
  });

  it('only a proposal\'s seller withdraws it ahead, and only a buyer\'s agreement is ended by a decline', () => {
    // Mallory's decline under the seller's match id does not stop the seller's proposal.
    const { seller, buyer, run, events } = setUp();
    expect(buyer.receive(MALLORY, { type: 'decline', matchId: 'm1', reason: 'timeout' }).outcome).toBe('ignored');
    run('seller', seller.start({ matchId: 'm1', ask: ask(), bid: bid(), offer: { quantity: MiB, price: 110n } }));
    expect(events.buyer).toEqual([expect.objectContaining({ type: 'answer-needed', matchId: 'm1' })]);
    // A seller that agreed is not un-agreed by the buyer's decline: the trade-init it sends is answered by the buyer's own records.
    run('buyer', buyer.accept('m1'));
    expect(seller.receive(BUYER, { type: 'decline', matchId: 'm1', reason: 'timeout' })).toEqual({ outcome: 'ignored', actions: [] });
    expect(seller.status('m1')?.status).toBe('agreed');
    // Nor a buyer's agreement by a decline from anyone but its seller.
    expect(buyer.receive(MALLORY, { type: 'decline', matchId: 'm1', reason: 'timeout' })).toEqual({ outcome: 'ignored', actions: [] });
    expect(buyer.status('m1')?.status).toBe('agreed');
  });

  it('agrees only on terms within both orders, whatever the offers (random)', () => {
    const order = (side: 'ask' | 'bid', trader: string, id: string) =>
      fc.record({ price: fc.bigInt({ min: 1n, max: 300n }), remaining: fc.bigInt({ min: 1n, max: 64n * MiB }), expiresAt: fc.integer({ min: T0 - 10, max: T0 + 10 }) }).map((o): OrderView => ({ ...o, id, side, trader }));
    fc.assert(
      fc.property(order('ask', SELLER, 'ask-1'), order('bid', BUYER, 'bid-1'), fc.bigInt({ min: -1n, max: 70n * MiB }), fc.bigInt({ min: 0n, max: 310n }), fc.bigInt({ min: -1n, max: 70n * MiB }), (a, b, quantity, price, counterQ) => {
        const { buyer, seller, run, events, outcomes } = setUp([a, b]);
        const offer = { quantity, price };
        try {
          run('seller', seller.start({ matchId: 'm1', ask: a, bid: b, offer }));
        } catch {
          // The seller refused to propose it: a forged proposal of the same terms goes to the buyer directly.
          run('seller', [{ type: 'send', to: BUYER, message: propose(offer) }]);
        }
        if (buyer.status('m1')?.status === 'awaiting-me') {
          try {
            run('buyer', buyer.counter('m1', counterQ));
            run('seller', seller.accept('m1'));
          } catch {
            run('buyer', buyer.accept('m1'));
          }
        }
        const agreed = [...events.buyer, ...events.seller].filter((e) => e.type === 'agreed');
        for (const e of agreed) expect(checkAgainstOrders(a, b, { quantity: e.terms.tokens, price: e.terms.price }, T0)).toBeUndefined();
        expect(agreed.length === 0 || agreed.length === 2).toBe(true);
        if (checkAgainstOrders(a, b, offer, T0) !== undefined) expect(outcomes[0]).toBe('buyer:refused');
      }),
    );
  });
});
