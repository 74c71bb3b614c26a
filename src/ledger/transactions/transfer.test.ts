import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../codec/binary.ts';
import { checkDecoderProperties } from '../../codec/decoder-properties.ts';
import type { HalfBlock } from '../block.ts';
import { createAgreement, createProposal } from '../chain.ts';
import { ANY_COUNTERPARTY, MAX_TRANSFER_REFERENCE_BYTES } from '../constants.ts';
import type { MemoryBlockStore } from '../memory-store.ts';
import { registry, resign, storeWith, testPeer, transfer as bandwidthPair, type TestPeer } from '../test-support.ts';
import { neighbourhoodIn, validateBlock } from '../validation.ts';
import { EMPTY_TALLY, extendTally, unconfirmedUp } from '../verified-balance.ts';
import { TRANSFER, transferAgreement, transferProposal, transferType, type TransferTx } from './transfer.ts';

const U64_MAX = 2n ** 64n - 1n;
const ref = (text: string): Uint8Array => new TextEncoder().encode(text);
const proposalBlock = { linkSequenceNumber: 0, linkPublicKey: new Uint8Array(32).fill(9) } as HalfBlock;
const agreementBlock = { linkSequenceNumber: 3, linkPublicKey: new Uint8Array(32).fill(9) } as HalfBlock;

/** `payer` pays `payee` `amount` tokens for `reference`: the payer proposes, the payee agrees. */
function pay(payer: TestPeer, payee: TestPeer, amount: bigint, reference = ref('trade-1/0')): { proposal: HalfBlock; agreement: HalfBlock } {
  const proposal = createProposal(payer, payer.chain.at(-1), payee.publicKey, TRANSFER, transferType.encode(transferProposal(totalsOf(payer), amount, reference)), 10);
  payer.chain.push(proposal);
  const agreement = createAgreement(payee, payee.chain.at(-1), proposal, transferType.encode(transferAgreement(transferType.decode(proposal.transaction), totalsOf(payee))), 11);
  payee.chain.push(agreement);
  return { proposal, agreement };
}

function totalsOf(p: TestPeer) {
  for (let i = p.chain.length - 1; i >= 0; i--) {
    const t = registry.tokensOf(p.chain[i]!);
    if (t) return t;
  }
  return undefined;
}

function tally(owner: TestPeer, store: MemoryBlockStore, blocks: readonly HalfBlock[] = owner.chain) {
  const t = extendTally(EMPTY_TALLY, blocks, { agreementsTo: (seq) => store.agreementsForSync(owner.publicKey, seq), proposalOf: (a) => store.getSync(a.linkPublicKey, a.linkSequenceNumber) }, registry);
  return { up: t.up, down: t.down, unconfirmedUp: unconfirmedUp(t, registry) };
}

const validate = (b: HalfBlock, store: MemoryBlockStore) => validateBlock(b, neighbourhoodIn(store, b, registry), registry);

describe('transfer transactions', () => {
  it('are registered as a token-carrying type', () => {
    expect(registry.isTokenType(TRANSFER)).toBe(true);
  });

  it('go one way, move some tokens and name what they pay for', () => {
    const p = transferProposal(undefined, 10n, ref('t'));
    expect(transferType.check(p, proposalBlock)).toEqual([]);
    expect(transferType.check(transferAgreement(p, undefined), agreementBlock)).toEqual([]);
    expect(transferType.check(transferAgreement(p, undefined), proposalBlock).join()).toMatch(/one way/);
    expect(transferType.check(p, agreementBlock).join()).toMatch(/one way/);
    expect(transferType.check({ ...p, down: 0n, totalDown: 0n }, proposalBlock).join()).toMatch(/amount is 0/);
    expect(transferType.check({ ...p, reference: new Uint8Array() }, proposalBlock).join()).toMatch(/reference/);
  });

  it('agreements mirror the amount and the reference', () => {
    const p = transferProposal({ totalUp: 5n, totalDown: 0n }, 30n, ref('trade-9/2'));
    const a = transferAgreement(p, { totalUp: 1n, totalDown: 2n });
    expect(a).toEqual({ up: 30n, down: 0n, totalUp: 31n, totalDown: 2n, reference: ref('trade-9/2') });
    expect(transferType.checkAgreement!(a, p)).toEqual([]);
    expect(transferType.checkAgreement!({ ...a, up: 31n, totalUp: 32n }, p).join()).toMatch(/does not mirror/);
    expect(transferType.checkAgreement!({ ...a, reference: ref('trade-9/3') }, p).join()).toMatch(/reference/);
  });

  it('refuse zero, negative and over-u64 amounts, bad references and overflowing totals', () => {
    expect(() => transferProposal(undefined, 0n, ref('t'))).toThrow(/move some tokens/);
    expect(() => transferProposal(undefined, -1n, ref('t'))).toThrow(/negative/);
    expect(() => transferProposal(undefined, U64_MAX + 1n, ref('t'))).toThrow(/u64/);
    expect(() => transferProposal(undefined, 1n, new Uint8Array())).toThrow(/reference/);
    expect(() => transferProposal(undefined, 1n, new Uint8Array(MAX_TRANSFER_REFERENCE_BYTES + 1))).toThrow(/reference/);
    expect(() => transferProposal({ totalUp: 0n, totalDown: U64_MAX }, 1n, ref('t'))).toThrow(/overflow/);
    expect(() => transferType.encode({ up: 0n, down: U64_MAX + 1n, totalUp: 0n, totalDown: 0n, reference: ref('t') })).toThrow(RangeError);
  });

  it('decode only canonical, bounded encodings', () => {
    const enc = transferType.encode(transferProposal(undefined, 7n, ref('abc')));
    expect(enc.length).toBe(32 + 1 + 3);
    expect(() => transferType.decode(enc.subarray(0, enc.length - 1))).toThrow(DecodeError);
    expect(() => transferType.decode(new Uint8Array([...enc, 0]))).toThrow(DecodeError);
    const tooLong = new Uint8Array(33 + MAX_TRANSFER_REFERENCE_BYTES + 1);
    tooLong[32] = MAX_TRANSFER_REFERENCE_BYTES + 1;
    expect(() => transferType.decode(tooLong)).toThrow(/over its limit/);
  });

  it('decode random and mutated bytes or refuse them with DecodeError', () => {
    const u64 = fc.bigInt({ min: 0n, max: U64_MAX });
    const values: fc.Arbitrary<TransferTx> = fc.record({ up: u64, down: u64, totalUp: u64, totalDown: u64, reference: fc.uint8Array({ maxLength: MAX_TRANSFER_REFERENCE_BYTES }) });
    checkDecoderProperties({ decode: transferType.decode, encode: transferType.encode, values, maxRandomBytes: 128 });
  });
});

describe('transfers in the ledger', () => {
  it('validate as a pair, with running totals shared with bandwidth', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    bandwidthPair(alice, bob, 1000n); // alice earned 1000 uploading to bob
    const { proposal, agreement } = pay(alice, bob, 400n);
    expect(transferType.decode(proposal.transaction)).toMatchObject({ down: 400n, totalUp: 1000n, totalDown: 400n });
    const store = storeWith(...alice.chain, ...bob.chain);
    expect(validate(proposal, store).errors).toEqual([]);
    expect(validate(agreement, store).errors).toEqual([]);
    // Verified balances count it like any token block: alice 1000 - 400, bob +400 - 1000.
    expect(tally(alice, store)).toEqual({ up: 1000n, down: 400n, unconfirmedUp: 0n });
    expect(tally(bob, store)).toEqual({ up: 400n, down: 1000n, unconfirmedUp: 0n });
  });

  it('debit the payer as soon as it signed, credit the payee only once the pair is complete', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const { proposal, agreement } = pay(alice, bob, 50n);
    expect(tally(alice, storeWith(proposal), [proposal]).down).toBe(50n);
    expect(tally(bob, storeWith(agreement), [agreement])).toEqual({ up: 0n, down: 0n, unconfirmedUp: 50n });
    expect(tally(bob, storeWith(proposal, agreement), [agreement]).up).toBe(50n);
  });

  it('a payee cannot write its own credit without the payer\'s proposal', () => {
    const mallory = testPeer('mallory', 6);
    const victim = testPeer('victim', 7);
    // An agreement to a transfer proposal that never existed.
    const invented = { publicKey: victim.publicKey, sequenceNumber: 1, type: TRANSFER } as HalfBlock;
    const minted = createAgreement(mallory, undefined, invented, transferType.encode(transferAgreement(transferProposal(undefined, 1n << 40n, ref('t')), undefined)), 1);
    expect(tally(mallory, storeWith(minted), [minted])).toEqual({ up: 0n, down: 0n, unconfirmedUp: 1n << 40n });
    // A proposal by the payee that credits itself breaks the one-way rule.
    const selfCredit = createProposal(mallory, undefined, victim.publicKey, TRANSFER, transferType.encode({ up: 100n, down: 0n, totalUp: 100n, totalDown: 0n, reference: ref('t') }), 1);
    expect(validate(selfCredit, storeWith(selfCredit)).outcome).toBe('invalid');
    expect(tally(mallory, storeWith(selfCredit), [selfCredit]).up).toBe(0n);
  });

  it('must name the payee: an open proposal is refused, so two keys cannot both be credited for one payment', () => {
    const alice = testPeer('alice', 1);
    const open = createProposal(alice, undefined, ANY_COUNTERPARTY, TRANSFER, transferType.encode(transferProposal(undefined, 10n, ref('t'))), 1);
    expect(validate(open, storeWith(open)).errors.join()).toMatch(/must name its counterparty/);
  });

  it('an agreement that inflates the amount or changes the reference is invalid and credits nothing', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const { proposal, agreement } = pay(alice, bob, 50n);
    const inflated = resign(bob, agreement, { transaction: transferType.encode({ up: 5000n, down: 0n, totalUp: 5000n, totalDown: 0n, reference: ref('trade-1/0') }) });
    const store = storeWith(proposal, inflated);
    expect(validate(inflated, store).errors.join()).toMatch(/does not mirror/);
    expect(tally(bob, store, [inflated])).toEqual({ up: 0n, down: 0n, unconfirmedUp: 5000n });
    const renamed = resign(bob, agreement, { transaction: transferType.encode({ ...transferType.decode(agreement.transaction), reference: ref('trade-2/0') }) });
    expect(validate(renamed, storeWith(proposal, renamed)).errors.join()).toMatch(/reference/);
    expect(tally(bob, storeWith(proposal, renamed), [renamed]).up).toBe(0n);
  });
});
