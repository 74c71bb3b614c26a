import { beforeEach, describe, expect, it } from 'vitest';
import type { HalfBlock } from './block.ts';
import { blockHash, signBlock } from './block-codec.ts';
import { createAgreement, createProposal } from './chain.ts';
import { ANY_COUNTERPARTY, GENESIS_HASH } from './constants.ts';
import { verifyFraudProof } from './fraud.ts';
import type { MemoryBlockStore } from './memory-store.ts';
import { registry, storeWith, testPeer, transfer, type TestPeer } from './test-support.ts';
import { BANDWIDTH, bandwidthType } from './transactions/bandwidth.ts';
import { loadNeighbourhood, neighbourhoodIn, pairErrors, validateBlock, validateInStore, type ValidationResult } from './validation.ts';
import { balanceOf } from './balance.ts';
import { MAX_TRANSACTION_BYTES } from './constants.ts';
import { nextBandwidth, type BandwidthTx } from './transactions/bandwidth.ts';
import { defaultRegistry } from './transactions/default-registry.ts';
import type { TransactionType } from './transactions/registry.ts';

let alice: TestPeer;
let bob: TestPeer;

async function validate(block: HalfBlock, store: MemoryBlockStore): Promise<ValidationResult> {
  return validateBlock(block, neighbourhoodIn(store, block, registry), registry);
}

/** Resigns a modified block with the owner's key, as a cheating owner would. */
function forge(p: TestPeer, b: HalfBlock, changes: Partial<HalfBlock>): HalfBlock {
  const { signature: _, ...rest } = { ...b, ...changes };
  return signBlock(rest, p.seed);
}

beforeEach(() => {
  alice = testPeer('alice', 1);
  bob = testPeer('bob', 2);
  for (let i = 0; i < 3; i++) transfer(alice, bob, 1000n); // alice seq 1..3 proposals, bob seq 1..3 agreements
});

describe('validation outcomes', () => {
  it('valid: both direct neighbours known', async () => {
    expect((await validate(alice.chain[1]!, storeWith(...alice.chain))).outcome).toBe('valid');
  });

  it('valid: a genesis block whose successor is known', async () => {
    expect((await validate(alice.chain[0]!, storeWith(...alice.chain))).outcome).toBe('valid');
  });

  it('partial-next: the latest block, its predecessor known', async () => {
    expect((await validate(alice.chain[2]!, storeWith(...alice.chain))).outcome).toBe('partial-next');
  });

  it('partial-next: a genesis block alone', async () => {
    expect((await validate(alice.chain[0]!, storeWith())).outcome).toBe('partial-next');
  });

  it('partial-previous: only the successor known (totals before it unknown too)', async () => {
    expect((await validate(alice.chain[1]!, storeWith(alice.chain[2]!))).outcome).toBe('partial-previous');
  });

  it('partial: neighbours known but not adjacent', async () => {
    transfer(alice, bob, 5n);
    transfer(alice, bob, 5n); // alice seq 4, 5
    expect((await validate(alice.chain[2]!, storeWith(alice.chain[0]!, alice.chain[4]!))).outcome).toBe('partial');
  });

  it('no-info: nothing known of a non-genesis block\'s chain', async () => {
    expect((await validate(alice.chain[1]!, storeWith())).outcome).toBe('no-info');
  });

  it('an agreement with its proposal and its own chain is valid', async () => {
    const store = storeWith(...alice.chain, ...bob.chain);
    expect((await validate(bob.chain[1]!, store)).outcome).toBe('valid');
  });
});

describe('invalid blocks', () => {
  const errorsOf = async (b: HalfBlock, store = storeWith(...alice.chain)): Promise<string> => {
    const r = await validate(b, store);
    expect(r.outcome).toBe('invalid');
    return r.errors.join('; ');
  };

  it('bad signature', async () => {
    const b = { ...alice.chain[1]!, timestamp: 5 };
    expect(await errorsOf(b)).toContain('signature');
  });

  it('self-link', async () => {
    expect(await errorsOf(forge(alice, alice.chain[1]!, { linkPublicKey: alice.publicKey }))).toContain('own chain');
  });

  it('genesis rules both ways', async () => {
    expect(await errorsOf(forge(alice, alice.chain[0]!, { previousHash: new Uint8Array(32).fill(1) }), storeWith())).toContain('genesis hash');
    expect(await errorsOf(forge(alice, alice.chain[1]!, { previousHash: GENESIS_HASH }), storeWith())).toContain('only the genesis');
  });

  it('invalid public key', async () => {
    const b = { ...alice.chain[0]!, publicKey: new Uint8Array(32).fill(0xff) };
    expect(await errorsOf(b, storeWith())).toContain('not a valid Ed25519');
  });

  it('an agreement to ANY_COUNTERPARTY', async () => {
    expect(await errorsOf(forge(bob, bob.chain[0]!, { linkPublicKey: ANY_COUNTERPARTY }), storeWith())).toContain('must name the proposer');
  });

  it('malformed or rule-breaking transaction', async () => {
    expect(await errorsOf(forge(alice, alice.chain[0]!, { transaction: new Uint8Array([1, 2]) }), storeWith())).toContain('malformed');
    const zero = bandwidthType.encode({ up: 0n, down: 0n, totalUp: 0n, totalDown: 0n });
    expect(await errorsOf(forge(alice, alice.chain[0]!, { transaction: zero }), storeWith())).toContain('must move some bytes');
  });

  it('running totals that do not continue', async () => {
    const tx = bandwidthType.encode({ up: 1000n, down: 0n, totalUp: 999_999n, totalDown: 0n });
    expect(await errorsOf(forge(alice, alice.chain[1]!, { transaction: tx }), storeWith(alice.chain[0]!))).toContain('running totals');
    // The genesis token block must start from zero.
    expect(await errorsOf(forge(alice, alice.chain[0]!, { transaction: tx }), storeWith())).toContain('running totals');
  });

  it('a successor whose totals do not continue from this block', async () => {
    const badNext = forge(alice, alice.chain[1]!, { transaction: bandwidthType.encode({ up: 1000n, down: 0n, totalUp: 5n, totalDown: 0n }) });
    expect(await errorsOf(alice.chain[0]!, storeWith(badNext))).toContain('next token transaction');
  });

  it('an agreement that does not mirror its proposal, or answers a proposal addressed elsewhere', async () => {
    const carol = testPeer('carol', 3);
    const p = alice.chain[0]!;
    const lying = createAgreement(bob, undefined, p, bandwidthType.encode({ up: 0n, down: 1n, totalUp: 0n, totalDown: 1n }), 1);
    expect(await errorsOf(lying, storeWith(p))).toContain('does not mirror');
    const stolen = createAgreement(carol, undefined, p, bandwidthType.encode({ up: 0n, down: 1000n, totalUp: 0n, totalDown: 1000n }), 1);
    expect(await errorsOf(stolen, storeWith(p))).toContain('addressed to someone else');
  });
});

describe('fraud detection', () => {
  it('a second block at a known position is a double sign with a verifiable proof', async () => {
    const fork = forge(alice, alice.chain[1]!, { timestamp: 42 });
    const r = await validate(fork, storeWith(...alice.chain));
    expect(r.outcome).toBe('invalid');
    expect(r.fraud?.kind).toBe('double-sign');
    expect(verifyFraudProof(r.fraud!)).toEqual(alice.publicKey);
  });

  it('a second agreement to one proposal is a double countersign', async () => {
    const p = alice.chain[0]!;
    const again = createAgreement(bob, bob.chain.at(-1), p, bandwidthType.encode({ up: 0n, down: 1000n, totalUp: 0n, totalDown: 4000n }), 9);
    const r = await validate(again, storeWith(...alice.chain, ...bob.chain));
    expect(r.fraud?.kind).toBe('double-countersign');
    expect(verifyFraudProof(r.fraud!)).toEqual(bob.publicKey);
  });

  it('a block that does not link to the owner\'s known predecessor proves a fork', async () => {
    const fork = forge(alice, alice.chain[2]!, { previousHash: new Uint8Array(32).fill(9) });
    const r = await validate(fork, storeWith(alice.chain[0]!, alice.chain[1]!));
    expect(r.fraud?.kind).toBe('broken-chain');
    expect(verifyFraudProof(r.fraud!)).toEqual(alice.publicKey);
  });

  it('no fraud is claimed from a block with a bad signature', async () => {
    const bogus = { ...alice.chain[1]!, timestamp: 42 };
    const r = await validate(bogus, storeWith(...alice.chain));
    expect(r.outcome).toBe('invalid');
    expect(r.fraud).toBeUndefined();
  });
});

describe('unknown transaction types', () => {
  it('are valid as opaque blocks, and make later running totals unknown (partial) rather than invalid', async () => {
    const custom = createProposal(alice, alice.chain.at(-1), bob.publicKey, 'future-type', new Uint8Array([7]), 5);
    alice.chain.push(custom);
    transfer(alice, bob, 10n); // seq 5, totals include seq 1-3 only (the unknown type carries none here)
    const store = storeWith(...alice.chain);
    expect((await validate(custom, store)).outcome).toBe('valid');
    expect((await validate(alice.chain[4]!, store)).outcome).toBe('partial');
    expect(blockHash(custom)).toHaveLength(32);
    expect(BANDWIDTH).toBe('bandwidth');
  });
});

describe('more invalid rules', () => {
  const invalid = async (b: HalfBlock, store: MemoryBlockStore, pattern: RegExp): Promise<ValidationResult> => {
    const r = await validate(b, store);
    expect(r.outcome).toBe('invalid');
    expect(r.errors.join('; ')).toMatch(pattern);
    return r;
  };

  it('fields out of range: seq < 1, negative or unsafe timestamps, bad type names, oversized transactions', async () => {
    const b = alice.chain[1]!;
    await invalid({ ...b, sequenceNumber: 0 }, storeWith(), /sequence number 0/);
    await invalid({ ...b, sequenceNumber: -3 }, storeWith(), /sequence number -3/);
    await invalid({ ...b, timestamp: -1 }, storeWith(), /timestamp/);
    await invalid({ ...b, timestamp: 2 ** 53 }, storeWith(), /timestamp/);
    await invalid({ ...b, type: 'Bandwidth' }, storeWith(), /transaction type/);
    await invalid({ ...b, transaction: new Uint8Array(MAX_TRANSACTION_BYTES + 1) }, storeWith(), /exceeds/);
    await invalid({ ...b, linkPublicKey: new Uint8Array(31) }, storeWith(), /link public key must be 32 bytes/);
  });

  it('a link key that is neither a valid key nor ANY_COUNTERPARTY', async () => {
    await invalid(forge(alice, alice.chain[0]!, { linkPublicKey: new Uint8Array(32).fill(0xff) }), storeWith(), /link public key is neither/);
  });

  it('a known direct successor that does not link to the block proves a fork', async () => {
    const fork = forge(alice, alice.chain[1]!, { timestamp: 7 }); // the successor (seq 3) links to the original seq 2
    const r = await invalid(fork, storeWith(alice.chain[2]!), /next block does not link/);
    expect(r.fraud?.kind).toBe('broken-chain');
    expect(verifyFraudProof(r.fraud!)).toEqual(alice.publicKey);
  });

  it('an agreement whose type differs from its proposal\'s, or that answers an agreement', async () => {
    const p = alice.chain[0]!;
    const otherType = createAgreement(bob, undefined, { ...p, type: 'other' }, p.transaction, 1);
    await invalid({ ...otherType }, storeWith(p), /differs from its proposal/);
    // alice's seq 4 is an agreement (bob uploaded to her); carol cannot countersign it.
    const { agreement } = transfer(bob, alice, 10n);
    const carol = testPeer('carol', 3);
    const onAgreement = createAgreement(carol, undefined, agreement, bandwidthType.encode({ up: 0n, down: 10n, totalUp: 0n, totalDown: 10n }), 1);
    await invalid(onAgreement, storeWith(agreement), /not a proposal/);
  });

  it('a neighbourhood whose neighbours belong to another chain or the wrong side', async () => {
    const n = await loadNeighbourhood(storeWith(), alice.chain[1]!, registry);
    expect(validateBlock(alice.chain[1]!, { ...n, previous: bob.chain[0]! }, registry).errors.join()).toMatch(/previous block is not an earlier block/);
    expect(validateBlock(alice.chain[1]!, { ...n, next: alice.chain[0]! }, registry).errors.join()).toMatch(/next block is not a later block/);
  });

  it('a double sign proven even when the fork also breaks other rules', async () => {
    const fork = forge(alice, alice.chain[1]!, { linkPublicKey: alice.publicKey }); // self-link, but signed by alice
    const r = await invalid(fork, storeWith(...alice.chain), /double sign/);
    expect(r.fraud?.kind).toBe('double-sign');
    expect(verifyFraudProof(r.fraud!)).toEqual(alice.publicKey);
  });
});

describe('running totals across gaps and types', () => {
  it('cannot be checked across a gap: partial, not invalid', async () => {
    const wrong = forge(alice, alice.chain[2]!, { transaction: bandwidthType.encode({ up: 1000n, down: 0n, totalUp: 123_456n, totalDown: 0n }) });
    expect((await validate(wrong, storeWith(alice.chain[0]!))).outcome).toBe('partial');
    // The same block with its predecessor known is caught.
    expect((await validate(wrong, storeWith(alice.chain[0]!, alice.chain[1]!))).outcome).toBe('invalid');
  });

  it('unknown across an unknown type lowers valid to partial-previous', async () => {
    const custom = createProposal(alice, alice.chain.at(-1), bob.publicKey, 'future-type', new Uint8Array([1]), 5);
    alice.chain.push(custom); // seq 4
    transfer(alice, bob, 10n); // seq 5
    transfer(alice, bob, 10n); // seq 6
    const r = await validate(alice.chain[4]!, storeWith(...alice.chain));
    expect(r.outcome).toBe('partial-previous');
    const opaque = await validate(custom, storeWith(...alice.chain));
    expect(opaque).toMatchObject({ outcome: 'valid', unknownType: true });
    expect((await validate(alice.chain[1]!, storeWith(...alice.chain))).unknownType).toBeUndefined();
  });

  it('continue across token-carrying types, and a type\'s validate hook sees the neighbourhood', async () => {
    const seen: number[] = [];
    const payout: TransactionType<BandwidthTx> = {
      ...bandwidthType,
      name: 'test-spend',
      checkAgreement: undefined,
      agreementFor: undefined,
      validate: (ctx) => {
        seen.push(ctx.block.sequenceNumber);
        return ctx.tx.up > 0n ? ['a test spend only spends'] : [];
      },
    };
    const withPayout = defaultRegistry().register(payout);
    const carol = testPeer('carol', 3);
    // alice: seq 1-3 bandwidth up 1000 each (totals 3000/0); seq 4 payout of 500 to carol.
    const spend = createProposal(alice, alice.chain.at(-1), carol.publicKey, 'test-spend', bandwidthType.encode(nextBandwidth({ totalUp: 3000n, totalDown: 0n }, 0n, 500n)), 9);
    const store = storeWith(...alice.chain, spend);
    const check = async (b: HalfBlock): Promise<ValidationResult> => validateBlock(b, await loadNeighbourhood(store, b, withPayout), withPayout);
    expect((await check(spend)).outcome).toBe('partial-next');
    expect(seen).toEqual([4]);
    // Totals that restart from zero at the new type are caught...
    const restart = forge(alice, spend, { transaction: bandwidthType.encode(nextBandwidth(undefined, 0n, 500n)) });
    expect(validateBlock(restart, await loadNeighbourhood(storeWith(...alice.chain), restart, withPayout), withPayout).errors.join()).toMatch(/running totals/);
    // ...and so is the hook's own rule.
    const earn = forge(alice, spend, { transaction: bandwidthType.encode(nextBandwidth({ totalUp: 3000n, totalDown: 0n }, 5n, 0n)) });
    expect(validateBlock(earn, await loadNeighbourhood(storeWith(...alice.chain), earn, withPayout), withPayout).errors).toContain('a test spend only spends');
    // The balance reads the latest token block of any type.
    expect(balanceOf([...alice.chain, spend], withPayout)).toMatchObject({ net: 2500n, sequenceNumber: 4 });
  });
});

describe('links and signatures', () => {
  it('several counterparties may answer an ANY_COUNTERPARTY proposal without fraud', async () => {
    const carol = testPeer('carol', 3);
    const open = createProposal(alice, alice.chain.at(-1), ANY_COUNTERPARTY, BANDWIDTH, bandwidthType.encode(nextBandwidth({ totalUp: 3000n, totalDown: 0n }, 1n, 0n)), 3);
    const tx = (totalDown: bigint): Uint8Array => bandwidthType.encode({ up: 0n, down: 1n, totalUp: 0n, totalDown });
    const byBob = createAgreement(bob, bob.chain.at(-1), open, tx(3001n), 4);
    const byCarol = createAgreement(carol, undefined, open, tx(1n), 4);
    const store = storeWith(...alice.chain, open, ...bob.chain, byBob);
    expect((await validate(byCarol, store)).outcome).toBe('partial-next');
    expect((await validate(byBob, store)).fraud).toBeUndefined();
  });

  it('use the injected signature check (a worker pool\'s cached verdicts)', async () => {
    const store = storeWith(...alice.chain);
    const b = alice.chain[1]!;
    expect(validateBlock(b, await loadNeighbourhood(store, b, registry), registry, () => false).errors).toContain('the signature does not verify');
    const tampered = { ...b, timestamp: b.timestamp + 1 };
    const calls: HalfBlock[] = [];
    const trusting = (x: HalfBlock): boolean => (calls.push(x), true);
    const r = validateBlock(tampered, await loadNeighbourhood(storeWith(), tampered, registry), registry, trusting);
    expect(r.outcome).toBe('no-info');
    expect(calls).toEqual([tampered]);
  });

  it('loadNeighbourhood reads the same neighbourhood from any store', async () => {
    const store = storeWith(...alice.chain, ...bob.chain);
    const viaStore = await validateInStore(store, bob.chain[1]!, registry);
    expect(viaStore.outcome).toBe('valid');
    const n = await loadNeighbourhood(store, bob.chain[1]!, registry);
    expect(n.proposal).toBe(alice.chain[1]);
    expect([n.previous?.sequenceNumber, n.next?.sequenceNumber]).toEqual([1, 3]);
    expect(n.totalsBefore).toMatchObject({ kind: 'block', tokens: { totalDown: 1000n } });
  });
});

describe('pairErrors (what makes a pair complete)', () => {
  const alice = testPeer('alice', 1);
  const bob = testPeer('bob', 2);
  const carol = testPeer('carol', 3);
  const p = createProposal(alice, undefined, bob.publicKey, BANDWIDTH, bandwidthType.encode(nextBandwidth(undefined, 100n, 0n)), 1);
  const a = createAgreement(bob, undefined, p, bandwidthType.encode(nextBandwidth(undefined, 0n, 100n)), 2);

  it('accepts a mirrored agreement by the named key', () => {
    expect(pairErrors(p, a, registry)).toEqual([]);
    const open = createProposal(alice, undefined, ANY_COUNTERPARTY, BANDWIDTH, p.transaction, 1);
    expect(pairErrors(open, createAgreement(carol, undefined, open, a.transaction, 2), registry)).toEqual([]);
  });

  it('names each break: not a proposal, another position, addressed elsewhere, another type, not mirrored', () => {
    expect(pairErrors(a, createAgreement(carol, undefined, a, a.transaction, 3), registry).join()).toContain('not a proposal');
    expect(pairErrors(p, { ...a, linkSequenceNumber: 2 }, registry).join()).toContain('not the one this agreement names');
    expect(pairErrors(p, createAgreement(carol, undefined, p, a.transaction, 2), registry).join()).toContain('addressed to someone else');
    expect(pairErrors(p, { ...a, type: 'payout' }, registry).join()).toContain('differs');
    expect(pairErrors(p, createAgreement(bob, undefined, p, bandwidthType.encode(nextBandwidth(undefined, 0n, 99n)), 2), registry).join()).toContain('does not mirror');
  });
});
