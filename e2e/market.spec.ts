/**
 * The market in real tabs against a real chain (anvil): a seller, a buyer and
 * a matchmaker, each a browser profile with its own key and wallet; every
 * order, match, negotiation and installment goes peer to peer over the
 * market protocol and both ledgers, and Ether over the chain. The harness only
 * funds the buyer's address and gives the seller tokens to sell (a bandwidth
 * block the matchmaker countersigns, as an upload would).
 */
import { startAnvil } from './support/anvil.ts';
import { EVERY_BROWSER, expect, test } from './support/fixtures.ts';
import { hooksReady } from './support/ledger.ts';
import { etherOf, market, MIB, MINUTE, PRICE, snapshot, tradeOf, traders } from './support/market.ts';
import type { PeerPage } from './support/peer-page.ts';

test('a full trade: 4 MiB of tokens for 0.004 ETH in 4 rounds of installments; balances move by exactly the amounts and every record is on both chains after a reload', EVERY_BROWSER, async ({ openPeer, net }) => {
  const anvil = await startAnvil();
  try {
    const t = await traders(openPeer, net.relay.multiaddr, anvil, 8n * MIB);
    const buyerEtherBefore = await etherOf(anvil, t.buyerAddress);
    await market(t.seller.page, 'placeOrder', 'ask', String(4n * MIB), String(PRICE), 10 * MINUTE);
    await market(t.buyer.page, 'placeOrder', 'bid', String(4n * MIB), String(PRICE), 10 * MINUTE);

    const [sold, bought] = await Promise.all([tradeOf(t.seller.page, 'done'), tradeOf(t.buyer.page, 'done')]);
    expect(sold.tradeId).toBe(bought.tradeId);
    expect(sold.installments).toHaveLength(8);
    expect(sold.installments.every((i) => i.state === 'settled')).toBe(true);

    // Ether: the seller received exactly the price; the buyer paid it plus the gas of its 4 transactions.
    expect(await etherOf(anvil, t.sellerAddress)).toBe(4n * PRICE);
    const paymentHashes = await market<string[]>(t.buyer.page, 'etherPayments', t.keys.buyer);
    expect(paymentHashes).toHaveLength(4);
    let fees = 0n;
    for (const hash of paymentHashes) {
      const receipt = await anvil.rpc<{ gasUsed: string; effectiveGasPrice: string }>('eth_getTransactionReceipt', [hash]);
      fees += BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice);
    }
    expect(await etherOf(anvil, t.buyerAddress)).toBe(buyerEtherBefore - 4n * PRICE - fees);

    // Tokens: verified balances from the signed chains.
    await expect.poll(async () => (await snapshot(t.seller.page)).wallet.tokens).toBe(String(4n * MIB));
    await expect.poll(async () => (await snapshot(t.buyer.page)).wallet.tokens).toBe(String(4n * MIB));

    // Every step on both chains, after a reload of both.
    await Promise.all([t.seller.page.reload(), t.buyer.page.reload()]);
    await Promise.all([t.seller, t.buyer].map(async (p) => {
      await hooksReady(p.page);
      await market(p.page, 'start');
    }));
    const records = (types: string[]) => ({
      orders: types.filter((x) => x === 'ask' || x === 'bid').length,
      init: types.filter((x) => x === 'trade-init').length,
      transfers: types.filter((x) => x === 'transfer').length,
      payments: types.filter((x) => x === 'trade-payment').length,
      done: types.filter((x) => x === 'trade-done').length,
    });
    const want = { orders: 1, init: 1, transfers: 4, payments: 8, done: 1 };
    await expect.poll(async () => records(await market<string[]>(t.seller.page, 'chainTypes', t.keys.seller))).toEqual(want);
    await expect.poll(async () => records(await market<string[]>(t.buyer.page, 'chainTypes', t.keys.buyer))).toEqual(want);
    expect((await tradeOf(t.buyer.page, 'done')).tradeId).toBe(sold.tradeId);
  } finally {
    await anvil.stop();
  }
});

test('a buyer that stops paying after two installments: the seller loses one installment, the trade fails on both sides and the failure is on TradeChain', async ({ openPeer, net }) => {
  const anvil = await startAnvil();
  try {
    const t = await traders(openPeer, net.relay.multiaddr, anvil, 8n * MIB);
    // Deadlines of seconds instead of minutes, and a buyer that pays its Ether installments 1 and 3, then nothing.
    await Promise.all([t.seller, t.buyer].map((p) => market(p.page, 'settlementTimeout', 3_000)));
    await market(t.buyer.page, 'stopPayingFrom', 5);
    await market(t.seller.page, 'placeOrder', 'ask', String(4n * MIB), String(PRICE), 10 * MINUTE);
    await market(t.buyer.page, 'placeOrder', 'bid', String(4n * MIB), String(PRICE), 10 * MINUTE);

    const [sold, bought] = await Promise.all([tradeOf(t.seller.page, 'failed'), tradeOf(t.buyer.page, 'failed')]);
    expect(sold.failure).toMatchObject({ stalled: 'buyer', paidTokens: String(3n * MIB), paidWei: String(2n * PRICE), buyerOwes: String(PRICE), sellerOwes: '0' });
    expect(bought.failure).toMatchObject({ stalled: 'buyer', paidTokens: String(3n * MIB), paidWei: String(2n * PRICE) });
    // The seller gave 3 MiB and received the price of 2: one installment lost, no more.
    expect(await etherOf(anvil, t.sellerAddress)).toBe(2n * PRICE);
    await expect.poll(async () => (await snapshot(t.seller.page)).wallet.tokens).toBe(String(5n * MIB));
    // The seller's signed statement of the failure is in its chain.
    await expect.poll(async () => (await market<string[]>(t.seller.page, 'chainTypes', t.keys.seller)).includes('trade-done')).toBe(true);
  } finally {
    await anvil.stop();
  }
});

test('expired and cancelled orders are not matched, and orders altered by a matchmaker are rejected by both traders', async ({ openPeer, net }) => {
  const anvil = await startAnvil();
  try {
    const t = await traders(openPeer, net.relay.multiaddr, anvil, 16n * MIB);
    const peers = [t.seller, t.buyer, t.matchmaker];
    // Two cheap asks that must never trade: one expires, one is cancelled.
    const expiring = await market<string>(t.seller.page, 'placeOrder', 'ask', String(2n * MIB), String(PRICE / 2n), 1_500);
    const cancelled = await market<string>(t.seller.page, 'placeOrder', 'ask', String(2n * MIB), String(PRICE / 2n), 10 * MINUTE);
    await market(t.seller.page, 'cancelOrder', cancelled);
    await expect.poll(async () => (await snapshot(t.seller.page)).myOrders.find((o) => o.id === expiring)?.status).toBe('expired');
    const live = await market<string>(t.seller.page, 'placeOrder', 'ask', String(2n * MIB), String(PRICE), 10 * MINUTE);
    // Every book (each peer runs a matchmaker) holds only the live ask before the bid arrives.
    for (const p of peers) await expect.poll(async () => (await snapshot(p.page)).book.asks.map((l) => l.price)).toEqual([String(PRICE)]);
    await market(t.buyer.page, 'placeOrder', 'bid', String(2n * MIB), String(PRICE), 10 * MINUTE);
    const trade = await tradeOf(t.buyer.page, 'done');
    expect(trade.askId).toBe(live);
    expect((await snapshot(t.seller.page)).trades).toHaveLength(1);

    // Orders that do not cross; a matchmaker changes each trader's view of the other's price so that they would.
    const ask = await market<string>(t.seller.page, 'placeOrder', 'ask', String(2n * MIB), String(2n * PRICE), 10 * MINUTE);
    const bid = await market<string>(t.buyer.page, 'placeOrder', 'bid', String(2n * MIB), String(PRICE), 10 * MINUTE);
    await expect.poll(async () => (await snapshot(t.matchmaker.page)).book.bids.length).toBe(1);
    await market(t.matchmaker.page, 'sendAlteredMatch', ask, bid, String(PRICE), String(2n * PRICE));
    const refused = async (p: PeerPage) => (await market<{ from: string; reason: string }[]>(p.page, 'rejections')).filter((r) => r.from === t.keys.matchmaker).map((r) => r.reason);
    await expect.poll(async () => (await refused(t.buyer)).some((r) => r === 'invalid' || r === 'conflict')).toBe(true);
    await expect.poll(async () => (await refused(t.seller)).some((r) => r === 'invalid' || r === 'conflict')).toBe(true);
    // The seller refused the match itself too (it checks the match against the orders it verified), so nothing was negotiated.
    await expect.poll(async () => (await refused(t.seller)).some((r) => r === 'price' || r === 'order-unknown')).toBe(true);
    expect((await snapshot(t.seller.page)).trades).toHaveLength(1);
    expect((await snapshot(t.buyer.page)).trades).toHaveLength(1);
  } finally {
    await anvil.stop();
  }
});
