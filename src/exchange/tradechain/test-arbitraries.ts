/**
 * fast-check arbitraries for the TradeChain codecs (test support, used only by
 * *.test.ts): every value the encodings can carry, valid by the rules or not.
 */
import fc from 'fast-check';
import { KEY_BYTES } from '../../ledger/constants.ts';
import { TRADE_ID_BYTES } from '../constants.ts';
import type { OrderRef } from './fields.ts';
import type { OrderTx } from './order-tx.ts';
import type { PaymentReference, TradePaymentTx } from './payment-tx.ts';
import type { TradeDoneTx, TradeInitTx } from './trade-tx.ts';

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const u128 = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n });
const orderNumber = fc.integer({ min: 1, max: 0xffff_ffff });
const pair = fc.stringMatching(/^[A-Z0-9]{1,8}\/[A-Z0-9]{1,8}$/);
const orderRef: fc.Arbitrary<OrderRef> = fc.record({ trader: bytes(KEY_BYTES), orderNumber });

export const arbitraryOrderTx: fc.Arbitrary<OrderTx> = fc.record({ orderNumber, pair, quantity: u64, price: u64, expiry: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) });

export const arbitraryTradeInit: fc.Arbitrary<TradeInitTx> = fc.record({
  tradeId: bytes(TRADE_ID_BYTES),
  ask: orderRef,
  bid: orderRef,
  pair,
  quantity: u64,
  price: u64,
  quoteAmount: u128,
  installmentBytes: u64,
  quoteAddress: bytes(20),
});

export const arbitraryTradeDone: fc.Arbitrary<TradeDoneTx> = fc.record({
  tradeId: bytes(TRADE_ID_BYTES),
  ask: orderRef,
  bid: orderRef,
  outcome: fc.constantFrom('completed' as const, 'failed' as const),
  baseTransferred: u64,
  quoteTransferred: u128,
  defaulter: fc.constantFrom('none' as const, 'ask' as const, 'bid' as const),
  // Within the limit (up to 4 bytes a code point), so it round-trips unchanged.
  reason: fc.string({ maxLength: 50, unit: 'binary' }),
});

const reference: fc.Arbitrary<PaymentReference> = fc.oneof(
  fc.record({ kind: fc.constant('ether-tx' as const), txHash: bytes(32) }),
  fc.record({ kind: fc.constant('token-transfer' as const), publicKey: bytes(KEY_BYTES), sequenceNumber: orderNumber }),
);

export const arbitraryTradePayment: fc.Arbitrary<TradePaymentTx> = fc.record({
  tradeId: bytes(TRADE_ID_BYTES),
  payer: fc.constantFrom('ask' as const, 'bid' as const),
  asset: fc.stringMatching(/^[A-Z0-9]{1,8}$/),
  amount: u128,
  index: fc.integer({ min: 0, max: 0xffff_ffff }),
  reference,
});
