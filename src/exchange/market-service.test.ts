import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../testing/until.ts';
import { fromHex, toHex } from '../codec/bytes.ts';
import { MemoryHub } from '../ledger/memory-transport.ts';
import { startTestLedger, type TestLedger } from '../ledger/test-ledger.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth } from '../ledger/transactions/bandwidth.ts';
import { defaultRegistry } from '../ledger/transactions/default-registry.ts';
import { SignRefusedError, type LedgerService } from '../ledger/ledger-service.ts';
import { MBT_ETH, REMATCH_AFTER_MS } from './constants.ts';
import { NEGOTIATION_REPLY_TIMEOUT_MS } from './settlement-constants.ts';
import type { MarketChannel } from './market-channel.ts';
import type { MarketMessage } from './market-wire.ts';
import { MarketService } from './market-service.ts';
import { FakeChain } from './test-chain.ts';
import { TradeStore } from './trade-store.ts';
import { registerExchangeTypes } from './tradechain/register.ts';
import { TRADE_INIT, tradeInitType } from './tradechain/trade-tx.ts';
import type { BrowserWallet } from './wallet/browser-wallet.ts';

const MIB = 1n << 20n;
const PRICE = 10n ** 12n;
const MINUTE = 60_000;
let db = 0;
const stops: Array<() => void> = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

/** Market messages between services in one process, by key, as the libp2p channel delivers them. */
class ChannelHub {
  private readonly handlers = new Map<string, (from: string, m: MarketMessage) => Promise<void>>();
  private readonly listeners = new Set<() => void>();
  /** Frames the test loses on the way (as a peer that left would miss them). */
  lose: (from: string, to: string, m: MarketMessage) => boolean = () => false;
  /** Deliveries of each frame: two peers with two connections between them get each frame on both. */
  copies = 1;

  join(me: string): MarketChannel {
    return {
      send: async (to, message) => {
        const h = this.handlers.get(to);
        if (h === undefined) throw new Error(`${to.slice(0, 8)} is not connected`);
        if (this.lose(me, to, message)) return;
        for (let i = 0; i < this.copies; i++) queueMicrotask(() => void h(me, message));
      },
      serve: (handler) => {
        this.handlers.set(me, handler);
        for (const l of this.listeners) l();
      },
      peers: () => [...this.handlers.keys()].filter((k) => k !== me),
      onPeersChanged: (l) => {
        this.listeners.add(l);
        return () => this.listeners.delete(l);
      },
      stop: () => void this.handlers.delete(me),
    };
  }
}

interface Peer {
  t: TestLedger;
  key: string;
  market: MarketService;
  address: string;
}

/** What a test changes in one peer's services: its ledger as the market sees it, and market options. */
interface PeerTweaks {
  ledger?(name: string, ledger: LedgerService): LedgerService;
  orderCheckWaitMs?: number;
  /** The market's clock (Date.now by default): a test moves it past deadlines. */
  now?: () => number;
}

async function network(names: string[], chain: FakeChain, channels = new ChannelHub(), tweaks: PeerTweaks = {}): Promise<Peer[]> {
  const hub = new MemoryHub();
  const ledgers = await Promise.all(names.map((n, i) => startTestLedger(hub, n, new Uint8Array(32).fill(i + 1), `market-${++db}`, Date.now, registerExchangeTypes(defaultRegistry()))));
  for (const a of names) for (const b of names) if (a < b) hub.connect(a, b);
  const peers: Peer[] = [];
  for (const [i, t] of ledgers.entries()) {
    const key = toHex(t.ref.publicKey);
    const address = `0x${(i + 1).toString(16).repeat(40).slice(0, 40)}`;
    const wallet = chain.wallet(address);
    const browserWallet = { wallet: { ...wallet, address }, endpoint: { url: 'http://chain.test/', source: 'link' }, endpointError: undefined } as unknown as BrowserWallet;
    const market = await MarketService.start({
      me: t.ref.publicKey,
      ledger: tweaks.ledger?.(names[i]!, t.ledger) ?? t.ledger,
      orderCheckWaitMs: tweaks.orderCheckWaitMs,
      blocks: t.store,
      channel: channels.join(key),
      standing: () => undefined,
      openWallet: async () => browserWallet,
      openStore: (hex) => TradeStore.open(`${hex}-${db}`),
      now: tweaks.now ?? Date.now,
      random: Math.random,
      randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    });
    stops.push(() => {
      market.stop();
      t.ledger.stop();
    });
    peers.push({ t, key, market, address });
  }
  return peers;
}


/** The seller earns `bytes` of tokens by an upload the third peer countersigns. */
async function earn(seller: Peer, from: Peer, bytes: bigint): Promise<void> {
  await seller.t.ledger.propose(from.t.ref, BANDWIDTH, (totals) => bandwidthType.encode(nextBandwidth(totals, bytes, 0n)));
  await seller.market.refreshWallet();
}

/** The seller (tokens from Carol) and the buyer (1 ETH) place crossing orders for 2 MiB; resolves once the seller's trade is done. */
async function tradeTwoMiB(seller: Peer, buyer: Peer, carol: Peer, chain: FakeChain): Promise<void> {
  await earn(seller, carol, 8n * MIB);
  chain.fund(buyer.address, 10n ** 18n);
  await buyer.market.refreshWallet();
  await seller.market.placeOrder({ side: 'ask', quantity: 2n * MIB, price: PRICE, lifetimeMs: 10 * MINUTE });
  await buyer.market.placeOrder({ side: 'bid', quantity: 2n * MIB, price: PRICE, lifetimeMs: 10 * MINUTE });
  await until(() => seller.market.snapshot().trades[0]?.status === 'done', 'the trade done');
}

describe('MarketService: three peers, one matchmaker among them, a fake chain', () => {
  it('matches a crossing ask and bid, negotiates, records trade-init and settles in installments', async () => {
    const chain = new FakeChain();
    const [seller, buyer, carol] = await network(['seller', 'buyer', 'carol'], chain);
    await earn(seller!, carol!, 8n * MIB);
    chain.fund(buyer!.address, 10n ** 18n);
    await buyer!.market.refreshWallet();
    await seller!.market.placeOrder({ side: 'ask', quantity: 3n * MIB, price: PRICE, lifetimeMs: 10 * MINUTE });
    await buyer!.market.placeOrder({ side: 'bid', quantity: 3n * MIB, price: PRICE, lifetimeMs: 10 * MINUTE });
    await until(() => seller!.market.snapshot().trades[0]?.status === 'done' && buyer!.market.snapshot().trades[0]?.status === 'done', 'the trade done on both sides');
    expect(chain.balanceOf(seller!.address)).toBe(3n * PRICE);
    expect((await buyer!.t.ledger.verifiedBalance(buyer!.t.ref.publicKey)).net).toBe(3n * MIB);
    expect(seller!.market.snapshot().myOrders[0]?.status).toBe('filled');
  });

  it('a match that overtakes the check of the counter order it names waits for that check, and is negotiated rather than declined', async () => {
    const chain = new FakeChain();
    const channels = new ChannelHub();
    const [seller, buyer, carol] = await network(['seller', 'buyer', 'carol'], chain, channels);
    // The seller hears of the bid only from Carol's matchmaker: her forward, then her match right behind its order frame.
    channels.lose = (from, to, m) => from === buyer!.key && to === seller!.key && (m.type === 'order' || m.type === 'match');
    await tradeTwoMiB(seller!, buyer!, carol!, chain);
    expect(seller!.market.rejections().filter((r) => r.reason.includes('order-unknown'))).toEqual([]);
  });

  it('an order check that never ends holds a match naming that order only for the check wait: the match goes on, and the trade happens', async () => {
    const chain = new FakeChain();
    // The seller's first check of the bid hangs for good (a stuck store or verifier); later checks of it work.
    let hung = false;
    const hangFirstBidCheck = (name: string, ledger: LedgerService): LedgerService => {
      if (name !== 'seller') return ledger;
      const ingestBlocks: LedgerService['ingestBlocks'] = (blocks) => {
        if (hung || !blocks.some((b) => b.type === 'bid')) return ledger.ingestBlocks(blocks);
        hung = true;
        return new Promise(() => {});
      };
      return new Proxy(ledger, { get: (target, prop) => (prop === 'ingestBlocks' ? ingestBlocks : Reflect.get(target, prop, target)) });
    };
    const [seller, buyer, carol] = await network(['seller', 'buyer', 'carol'], chain, new ChannelHub(), { ledger: hangFirstBidCheck, orderCheckWaitMs: 300 });
    await tradeTwoMiB(seller!, buyer!, carol!, chain);
    expect(hung).toBe(true);
    expect(seller!.market.rejections().some((r) => r.reason === 'check-slow')).toBe(true);
    // The check given up is no longer held: later matches naming the bid do not wait for it again.
    expect(seller!.market.snapshot().pending.checking).toBe(0);
  });

  it('every peer a matchmaker, every frame delivered twice, the first proposal lost: the seller times out, the pair is offered again under new match ids, and the trade happens', async () => {
    const chain = new FakeChain();
    const channels = new ChannelHub();
    channels.copies = 2;
    let skew = 0;
    const now = (): number => Date.now() + skew;
    const [seller, buyer, carol] = await network(['seller', 'buyer', 'carol'], chain, channels, { now });
    let lost = 0;
    channels.lose = (from, to, m) => m.type === 'propose' && from === seller!.key && lost++ === 0;
    await earn(seller!, carol!, 8n * MIB);
    chain.fund(buyer!.address, 10n ** 18n);
    await buyer!.market.refreshWallet();
    await seller!.market.placeOrder({ side: 'ask', quantity: 2n * MIB, price: PRICE, lifetimeMs: 10 * MINUTE });
    await buyer!.market.placeOrder({ side: 'bid', quantity: 2n * MIB, price: PRICE, lifetimeMs: 10 * MINUTE });
    await until(() => lost > 0 && seller!.market.snapshot().pending.negotiations.includes('awaiting-them'), 'the seller awaiting an answer to its lost proposal');
    // Past the reply deadline: the seller declines for 'timeout', and the matchmakers offer the pair again after their backoff.
    skew += NEGOTIATION_REPLY_TIMEOUT_MS;
    await until(() => seller!.market.rejections().some((r) => r.reason === 'declined timeout'), 'the timeout');
    skew += 2 * REMATCH_AFTER_MS;
    await until(() => seller!.market.snapshot().trades[0]?.status === 'done' && buyer!.market.snapshot().trades[0]?.status === 'done', 'the trade done on both sides');
    // No copy of a match, nor a later offer of the pair, was taken for a protocol fault (which no matchmaker offers again).
    for (const p of [seller!, buyer!, carol!]) expect(p.market.rejections().filter((r) => r.reason === 'protocol')).toEqual([]);
  });

  it('refuses a match whose id is not under its sender\'s key: no matchmaker can take the ids of another', async () => {
    const chain = new FakeChain();
    const channels = new ChannelHub();
    const [seller, mallory] = await network(['seller', 'mallory'], chain, channels);
    const malloryKey = fromHex(mallory!.key);
    const match: MarketMessage = { type: 'match', matchId: `${seller!.key}.0-x`, ask: { trader: fromHex(seller!.key), orderNumber: 1 }, bid: { trader: malloryKey, orderNumber: 1 }, quantity: MIB, price: PRICE, matchmaker: malloryKey };
    await channels.join(mallory!.key).send(seller!.key, match);
    await until(() => seller!.market.rejections().length > 0, 'the refusal');
    expect(seller!.market.rejections()).toEqual([expect.objectContaining({ from: mallory!.key, reason: 'protocol', detail: expect.stringContaining("not under its matchmaker's key") })]);
  });

  it('refuses to sell tokens it does not hold, and to bid Ether it does not have, with messages that say what to do', async () => {
    const chain = new FakeChain();
    const [seller] = await network(['seller', 'buyer'], chain);
    await expect(seller!.market.placeOrder({ side: 'ask', quantity: MIB, price: PRICE, lifetimeMs: MINUTE })).rejects.toThrow(/Earn tokens by seeding/);
    await expect(seller!.market.placeOrder({ side: 'bid', quantity: MIB, price: PRICE, lifetimeMs: MINUTE })).rejects.toThrow(/Fund your wallet/);
  });

  it('a buyer short of Ether counters with what it can pay, and the trade is for that', async () => {
    const chain = new FakeChain();
    const [seller, buyer, carol] = await network(['seller', 'buyer', 'carol'], chain);
    await earn(seller!, carol!, 8n * MIB);
    chain.fund(buyer!.address, 4n * PRICE);
    await buyer!.market.refreshWallet();
    await seller!.market.placeOrder({ side: 'ask', quantity: 4n * MIB, price: PRICE, lifetimeMs: 10 * MINUTE });
    await buyer!.market.placeOrder({ side: 'bid', quantity: 4n * MIB, price: PRICE, lifetimeMs: 10 * MINUTE });
    // The Ether went elsewhere after the bid was placed.
    await chain.wallet(buyer!.address).send(carol!.address, 2n * PRICE);
    await buyer!.market.refreshWallet();
    await until(() => buyer!.market.snapshot().trades[0]?.status === 'done', 'the smaller trade done');
    expect(buyer!.market.snapshot().trades[0]?.tokens).toBe(2n * MIB);
  });

  it('never countersigns a trade-init it did not agree to in a negotiation', async () => {
    const chain = new FakeChain();
    const [mallory, victim] = await network(['mallory', 'victim'], chain);
    const init = tradeInitType.encode({
      tradeId: new Uint8Array(16).fill(1),
      ask: { trader: mallory!.t.ref.publicKey, orderNumber: 1 },
      bid: { trader: victim!.t.ref.publicKey, orderNumber: 1 },
      pair: MBT_ETH,
      quantity: MIB,
      price: PRICE,
      quoteAmount: PRICE,
      installmentBytes: MIB,
      quoteAddress: new Uint8Array(20).fill(9),
    });
    const proposal = await mallory!.t.ledger.signProposal(victim!.t.ref, TRADE_INIT, () => init);
    await expect(mallory!.t.ledger.requestAgreement(victim!.t.ref, proposal)).rejects.toThrow(SignRefusedError);
    expect(victim!.market.snapshot().trades).toEqual([]);
  });
});
