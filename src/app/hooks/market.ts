/**
 * Test hooks for the market (test builds only, see test-hooks.ts). Amounts
 * cross page.evaluate as decimal strings. Hostile behaviour (a buyer that stops
 * paying, a matchmaker that alters orders) is injected here through the
 * market's seams and its raw channel, never by switches in the service.
 */
import { fromHex, toHex } from '../../codec/bytes.ts';
import { isProposal, type HalfBlock } from '../../ledger/block.ts';
import { TRADE_PAYMENT, tradePaymentType } from '../../exchange/tradechain/payment-tx.ts';
import type { MarketService } from '../../exchange/market-service.ts';
import type { MarketSnapshot, TradeView } from '../../exchange/market-api.ts';
import { askType, bidType } from '../../exchange/tradechain/order-tx.ts';
import { orderRefOf } from '../../exchange/market-wire.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';
import { plain } from './plain.ts';

/** When a trade showed in this tab, by Date.now(): first in the snapshot (trade-init recorded, settlement begun) and each status reached. */
interface TradeTimes {
  askId: string;
  bidId: string;
  seenAt: number;
  statusAt: Partial<Record<TradeView['status'], number>>;
}

/** The order block with another price and the same signature: what a cheating matchmaker would pass on. */
function withPrice(block: HalfBlock, price: bigint): HalfBlock {
  const type = block.type === 'ask' ? askType : bidType;
  return { ...block, transaction: type.encode({ ...type.decode(block.transaction), price }) };
}

export function marketHooks(session: AppSession) {
  const market = async (): Promise<MarketService> => (await session.market()) as unknown as MarketService;
  const tradeTimes = new Map<string, TradeTimes>();
  let watching: Promise<void> | undefined;
  return {
    /** Starts the market (as opening the Market page does); returns this peer's key. */
    start: async (): Promise<string> => {
      await market();
      return toHex(running(session).identity.publicKey);
    },
    snapshot: async (): Promise<unknown> => plain((await market()).snapshot() as MarketSnapshot),
    async placeOrder(side: 'ask' | 'bid', quantity: string, price: string, lifetimeMs: number): Promise<string> {
      return (await (await market()).placeOrder({ side, quantity: BigInt(quantity), price: BigInt(price), lifetimeMs })).id;
    },
    /**
     * Records TradeTimes from now on (idempotent), on every change of the market
     * as it happens: the bench times order → match and whole trades by them.
     */
    watchTrades: (): Promise<void> =>
      (watching ??= (async () => {
        const m = await market();
        const look = (): void => {
          const now = Date.now();
          for (const t of m.snapshot().trades) {
            let times = tradeTimes.get(t.tradeId);
            if (times === undefined) tradeTimes.set(t.tradeId, (times = { askId: t.askId, bidId: t.bidId, seenAt: now, statusAt: {} }));
            times.statusAt[t.status] ??= now;
          }
        };
        m.subscribe(look);
        look();
      })()),
    /** What watchTrades recorded, by trade id. */
    tradeTimes: (): Record<string, TradeTimes> => Object.fromEntries(tradeTimes),
    async placeOrderError(side: 'ask' | 'bid', quantity: string, price: string, lifetimeMs: number): Promise<string> {
      try {
        await (await market()).placeOrder({ side, quantity: BigInt(quantity), price: BigInt(price), lifetimeMs });
        return 'placed';
      } catch (err) {
        return `${(err as Error).name}: ${(err as Error).message}`;
      }
    },
    cancelOrder: async (id: string): Promise<void> => (await market()).cancelOrder(id),
    rejections: async () => (await market()).rejections(),
    /** From payment `index` on, this side pays nothing (it "stops paying"). */
    stopPayingFrom(index: number): void {
      session.seams!.market.withholdPayment = (_tradeId, i) => i >= index;
    },
    /** Short settlement deadlines for tests that wait for a timeout (set before the trade starts). */
    settlementTimeout(stepTimeoutMs: number): void {
      session.seams!.market.settlement = { stepTimeoutMs };
    },
    /**
     * A cheating matchmaker: sends each trader the other's order with its price
     * changed (the signature no longer matches) and a match at that price.
     */
    async sendAlteredMatch(askId: string, bidId: string, askPriceToBuyer: string, bidPriceToSeller: string): Promise<void> {
      const m = await market();
      const ask = m.heldOrder(askId);
      const bid = m.heldOrder(bidId);
      if (ask === undefined || bid === undefined) throw new Error('this matchmaker does not hold both orders');
      const me = running(session).identity.publicKey;
      const ref = (id: string) => orderRefOf(id);
      const quantity = askType.decode(ask.transaction).quantity;
      const seller = toHex(ask.publicKey);
      const buyer = toHex(bid.publicKey);
      // Under its own key, as an honest matchmaker's ids are: the cheat is in the prices, not the id.
      const matchId = `${toHex(me)}.altered`;
      await m.channel.send(buyer, { type: 'order', ttl: 0, block: withPrice(ask, BigInt(askPriceToBuyer)) });
      await m.channel.send(buyer, { type: 'match', matchId, ask: ref(askId), bid: ref(bidId), quantity, price: BigInt(askPriceToBuyer), matchmaker: me });
      await m.channel.send(seller, { type: 'order', ttl: 0, block: withPrice(bid, BigInt(bidPriceToSeller)) });
      await m.channel.send(seller, { type: 'match', matchId, ask: ref(askId), bid: ref(bidId), quantity, price: BigInt(bidPriceToSeller), matchmaker: me });
    },
    /** Hashes of the Ether transactions a chain's trade-payment proposals name. */
    async etherPayments(publicKeyHex: string): Promise<string[]> {
      const entries = await running(session).ledger.service.inspectChain(fromHex(publicKeyHex), 500);
      return entries
        .filter((e) => e.block.type === TRADE_PAYMENT && isProposal(e.block))
        .map((e) => tradePaymentType.decode(e.block.transaction).reference)
        .flatMap((r) => (r.kind === 'ether-tx' ? [`0x${toHex(r.txHash)}`] : []));
    },
    /** Block types of a chain, oldest first (TradeChain records among them). */
    async chainTypes(publicKeyHex: string): Promise<string[]> {
      const entries = await running(session).ledger.service.inspectChain(fromHex(publicKeyHex), 500);
      return entries.map((e) => e.block.type).reverse();
    },
  };
}
