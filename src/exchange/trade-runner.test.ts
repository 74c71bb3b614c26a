import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../testing/until.ts';
import { toHex } from '../codec/bytes.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { isProposal } from '../ledger/block.ts';
import { ANY_COUNTERPARTY } from '../ledger/constants.ts';
import { MemoryHub } from '../ledger/memory-transport.ts';
import { startTestLedger, type TestLedger } from '../ledger/test-ledger.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth } from '../ledger/transactions/bandwidth.ts';
import { defaultRegistry } from '../ledger/transactions/default-registry.ts';
import { TRANSFER, transferProposal, transferType } from '../ledger/transactions/transfer.ts';
import { MBT_ETH } from './constants.ts';
import { FakeChain } from './test-chain.ts';
import { TradeRunner, type TradeDeps, type TradeLedger, type TradeWallet } from './trade-runner.ts';
import type { StoredTrade } from './trade-store.ts';
import { ASK, askType } from './tradechain/order-tx.ts';
import { TRADE_PAYMENT, tradePaymentType } from './tradechain/payment-tx.ts';
import { tokenPaymentId, tradePaymentTx, transferReference } from './trade-records.ts';
import { registerExchangeTypes } from './tradechain/register.ts';
import { TRADE_DONE, TRADE_INIT, tradeInitType, type TradeInitTx } from './tradechain/trade-tx.ts';

const MIB = 1n << 20n;
const PRICE = 1000n;
let db = 0;
const stops: Array<() => void> = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

async function peer(hub: MemoryHub, name: string, seed: number): Promise<TestLedger> {
  const t = await startTestLedger(hub, name, new Uint8Array(32).fill(seed), `runner-${++db}`, Date.now, registerExchangeTypes(defaultRegistry()));
  stops.push(() => t.ledger.stop());
  return t;
}

function tradeLedger(t: TestLedger, peers: Map<string, TestLedger>): TradeLedger {
  const me = toHex(t.ref.publicKey);
  const refOf = (hex: string) => peers.get(hex)!.ref;
  return {
    me,
    propose: (to, type, tx) => t.ledger.signProposal(refOf(to), type, tx),
    requestAgreement: async (to, proposal) => (await t.ledger.requestAgreement(refOf(to), proposal)).agreement,
    findOwnProposal: async (type, matches) => (await t.ledger.ownChain(200)).find((b) => b.type === type && isProposal(b) && matches(b)),
    countersignedTransfer: async (payerHex, seq) => {
      const payer = peers.get(payerHex)!.ref.publicKey;
      const block = await t.store.get(payer, seq);
      const mine = (await t.store.agreementsFor(payer, seq)).some((a) => toHex(a.publicKey) === me);
      return block !== undefined && mine ? block : undefined;
    },
  };
}

interface Side {
  t: TestLedger;
  runner?: TradeRunner;
  saved: StoredTrade[];
}

/** Routes a side's countersigning policies to its runner, as MarketService does. */
function serve(side: Side): void {
  const runner = (): TradeRunner => side.runner!;
  side.t.ledger.setAcceptancePolicy(TRANSFER, ({ proposal }) => runner().answerTransfer(proposal));
  side.t.ledger.setAcceptancePolicy(TRADE_PAYMENT, ({ proposal }) => runner().answerPayment(proposal));
  side.t.ledger.setAcceptancePolicy(TRADE_DONE, ({ proposal }) => runner().answerDone(proposal));
  side.t.ledger.setAcceptancePolicy(TRADE_INIT, () => true);
}


async function setUp(tokens: bigint, seams: TradeDeps['seams'] = {}, stepTimeoutMs = 60_000, buyerWallet?: (chain: FakeChain) => TradeWallet) {
  const hub = new MemoryHub();
  const [s, b, c] = await Promise.all([peer(hub, 'seller', 1), peer(hub, 'buyer', 2), peer(hub, 'carol', 3)]);
  const peers = new Map([s, b, c].map((x) => [toHex(x.ref.publicKey), x]));
  hub.connect('seller', 'carol');
  hub.connect('seller', 'buyer');
  // The seller earned its tokens by uploading to carol (a pair carol countersigned).
  await s.ledger.propose(c.ref, BANDWIDTH, (totals) => bandwidthType.encode(nextBandwidth(totals, 8n * MIB, 0n)));
  // Its ask is a source block in its chain, as a trade-init names it.
  const ask = await s.ledger.signProposal({ id: 'any', publicKey: ANY_COUNTERPARTY }, ASK, () => askType.encode({ orderNumber: 1, pair: MBT_ETH, quantity: tokens, price: PRICE, expiry: Date.now() + 60_000 }));
  const init: TradeInitTx = {
    tradeId: new Uint8Array(16).fill(5),
    ask: { trader: s.ref.publicKey, orderNumber: 1 },
    bid: { trader: b.ref.publicKey, orderNumber: 1 },
    pair: MBT_ETH,
    quantity: tokens,
    price: PRICE,
    quoteAmount: (tokens * PRICE) >> 20n,
    installmentBytes: MIB,
    quoteAddress: new Uint8Array(20).fill(0xaa),
  };
  const seller: Side = { t: s, saved: [] };
  const buyer: Side = { t: b, saved: [] };
  serve(seller);
  serve(buyer);
  const initProposal = await s.ledger.signProposal(b.ref, TRADE_INIT, () => tradeInitType.encode(init));
  await s.ledger.requestAgreement(b.ref, initProposal);
  const chain = new FakeChain();
  chain.fund('0x' + 'bb'.repeat(20), 10n ** 18n);
  const record = (role: 'seller' | 'buyer', counterparty: TestLedger): StoredTrade => ({
    tradeId: toHex(init.tradeId),
    role,
    counterparty: toHex(counterparty.ref.publicKey),
    init: tradeInitType.encode(init),
    askId: `${toHex(s.ref.publicKey)}:1`,
    bidId: `${toHex(b.ref.publicKey)}:1`,
    startedAt: Date.now(),
    phase: 'initiating',
    etherSent: {},
    recorded: false,
  });
  const deps = (side: Side, wallet: TradeWallet, sideSeams: TradeDeps['seams']): TradeDeps => ({
    ledger: tradeLedger(side.t, peers),
    wallet: async () => wallet,
    save: async (trade) => void side.saved.push(structuredClone(trade)),
    now: Date.now,
    config: { stepTimeoutMs },
    ...(sideSeams === undefined ? {} : { seams: sideSeams }),
    changed: () => undefined,
  });
  buyer.runner = await TradeRunner.begin(record('buyer', s), deps(buyer, buyerWallet?.(chain) ?? chain.wallet('0x' + 'bb'.repeat(20)), seams));
  seller.runner = await TradeRunner.begin(record('seller', b), deps(seller, chain.wallet('0x' + 'aa'.repeat(20)), {}));
  const ticker = setInterval(() => {
    seller.runner!.tick(Date.now());
    buyer.runner!.tick(Date.now());
  }, 50);
  stops.push(() => {
    clearInterval(ticker);
    seller.runner!.stop();
    buyer.runner!.stop();
  });
  return { seller, buyer, chain, ask, resumeBuyer: (saved: StoredTrade) => TradeRunner.resume(structuredClone(saved), deps(buyer, chain.wallet('0x' + 'bb'.repeat(20)), seams)) };
}

const types = async (t: TestLedger): Promise<string[]> => (await t.ledger.ownChain(100)).map((x: HalfBlock) => x.type).reverse();

describe('TradeRunner with two ledgers and a chain', () => {
  it('settles a 4-installment trade: tokens by transfer pairs, Ether on the chain, every payment a trade-payment pair, trade-done at the end', async () => {
    const { seller, buyer, chain } = await setUp(4n * MIB);
    await until(() => seller.runner!.status === 'done' && buyer.runner!.status === 'done', 'both done');
    expect(chain.balances.get('0x' + 'aa'.repeat(20))).toBe((4n * MIB * PRICE) >> 20n);
    expect((await seller.t.ledger.verifiedBalance(seller.t.ref.publicKey)).net).toBe(4n * MIB);
    expect((await buyer.t.ledger.verifiedBalance(buyer.t.ref.publicKey)).net).toBe(4n * MIB);
    await until(async () => (await types(buyer.t)).includes(TRADE_DONE), 'trade-done countersigned');
    const sellerTypes = await types(seller.t);
    expect(sellerTypes.filter((x) => x === TRANSFER)).toHaveLength(4);
    expect(sellerTypes.filter((x) => x === TRADE_PAYMENT)).toHaveLength(8);
    expect((await types(buyer.t)).filter((x) => x === TRADE_PAYMENT)).toHaveLength(8);
  });

  it('a buyer that stops paying: both sides fail at the same point, the seller is out one installment and records the failure', async () => {
    const { seller, buyer, chain } = await setUp(4n * MIB, { withholdPayment: (_id, index) => index >= 5 }, 300);
    await until(() => seller.runner!.status === 'failed' && buyer.runner!.status === 'failed', 'both failed');
    const failure = seller.runner!.view().failure!;
    expect(failure).toMatchObject({ stalled: 'buyer', paidTokens: 3n * MIB, paidWei: (2n * MIB * PRICE) >> 20n, buyerOwes: (MIB * PRICE) >> 20n, sellerOwes: 0n });
    expect(buyer.runner!.view().failure).toMatchObject({ stalled: 'buyer', paidTokens: 3n * MIB });
    expect(chain.balances.get('0x' + 'aa'.repeat(20))).toBe((2n * MIB * PRICE) >> 20n);
    await until(async () => (await types(seller.t)).includes(TRADE_DONE), 'the failure recorded');
  });

  it('never countersigns a payment it has not seen with enough confirmations', async () => {
    const { seller, buyer, chain } = await setUp(2n * MIB, {}, 60_000);
    chain.confirmations = 0;
    await until(() => buyer.runner!.view().installments[1]!.state === 'in-flight', 'the buyer paid Ether');
    // The seller sees the transaction but not mined: its trade-payment is refused, the trade waits.
    await new Promise((r) => setTimeout(r, 300));
    expect(seller.runner!.view().installments[1]!.state).not.toBe('settled');
    chain.confirmations = 1;
    await until(() => seller.runner!.status === 'done' && buyer.runner!.status === 'done', 'both done');
  });

  describe('what a receiver refuses to countersign', () => {
    /** A trade whose first round is settled and whose buyer holds back its second Ether installment. */
    async function afterFirstRound() {
      const set = await setUp(4n * MIB, { withholdPayment: (_id, index) => index >= 3 }, 60_000);
      await until(() => set.seller.runner!.view().installments[1]!.state === 'settled' && set.seller.runner!.view().installments[2]!.state === 'settled', 'round 1 settled');
      return set;
    }
    const tradeId = new Uint8Array(16).fill(5);

    it('a transfer for an installment that is not due yet', async () => {
      const { seller, buyer } = await afterFirstRound();
      const transfer = (index: number, amount: bigint) =>
        seller.t.ledger.signProposal(buyer.t.ref, TRANSFER, (totals) => transferType.encode(transferProposal(totals, amount, transferReference(tradeId, index))));
      // Installment 4 (round 3's tokens) is not due while the buyer owes installment 3.
      expect(buyer.runner!.answerTransfer(await transfer(4, MIB))).toMatch(/not the one due/);
    });

    it('a trade-payment naming an earlier installment\'s transfer for a new one (a replayed payment)', async () => {
      const { seller, buyer } = await afterFirstRound();
      const first = (await seller.t.ledger.ownChain(100)).find((b) => b.type === TRANSFER)!;
      const replay = await seller.t.ledger.signProposal(buyer.t.ref, TRADE_PAYMENT, () =>
        tradePaymentType.encode(tradePaymentTx(tradeId, 2, 'tokens', MIB, tokenPaymentId(toHex(seller.t.ref.publicKey), first.sequenceNumber))),
      );
      expect(await buyer.runner!.answerPayment(replay)).not.toBe(true);
    });

    it('an Ether payment sent to another address than the trade-init names', async () => {
      const { seller, buyer, chain } = await afterFirstRound();
      const elsewhere = await chain.wallet('0x' + 'bb'.repeat(20)).send('0x' + 'cc'.repeat(20), (MIB * PRICE) >> 20n);
      const claim = await buyer.t.ledger.signProposal(seller.t.ref, TRADE_PAYMENT, () => tradePaymentType.encode(tradePaymentTx(tradeId, 3, 'ether', (MIB * PRICE) >> 20n, elsewhere)));
      expect(await seller.runner!.answerPayment(claim)).not.toBe(true);
      expect(seller.runner!.view().installments[3]!.state).not.toBe('settled');
    });

    it('a payment of the wrong amount, even when the chain shows it', async () => {
      const { seller, buyer, chain } = await afterFirstRound();
      const short = await chain.wallet('0x' + 'bb'.repeat(20)).send('0x' + 'aa'.repeat(20), ((MIB * PRICE) >> 20n) - 1n);
      const claim = await buyer.t.ledger.signProposal(seller.t.ref, TRADE_PAYMENT, () => tradePaymentType.encode(tradePaymentTx(tradeId, 3, 'ether', ((MIB * PRICE) >> 20n) - 1n, short)));
      expect(await seller.runner!.answerPayment(claim)).toMatch(/refused|not/);
      expect(seller.runner!.view().installments[3]!.state).not.toBe('settled');
    });
  });

  it('a buyer whose page dies after signing an Ether installment and before sending it pays it once: the same signed bytes go out after the reload', async () => {
    let crashed = false;
    const { seller, buyer, chain, resumeBuyer } = await setUp(2n * MIB, {}, 60_000, (c) => {
      const w = c.wallet('0x' + 'bb'.repeat(20));
      // The page goes away between storing the signed payment and sending it: the send never happens.
      return { ...w, broadcast: (raw) => (crashed ? w.broadcast(raw) : ((crashed = true), new Promise<string>(() => undefined))) };
    });
    await until(() => crashed, 'the first Ether installment signed and stored');
    const stored = buyer.saved.filter((r) => r.etherSent[1] !== undefined).at(-1)!;
    buyer.runner!.stop();
    buyer.runner = resumeBuyer(stored);
    await until(() => seller.runner!.status === 'done' && buyer.runner!.status === 'done', 'both done after the reload');
    // Two Ether installments, two transactions: none paid twice.
    expect(chain.broadcasts).toBe(2);
    expect(chain.balanceOf('0x' + 'aa'.repeat(20))).toBe((2n * MIB * PRICE) >> 20n);
  });
});
