import { beforeEach, describe, expect, it } from 'vitest';
import type { HalfBlock } from './block.ts';
import { blockHash, signBlock } from './block-codec.ts';
import { createAgreement, createProposal } from './chain.ts';
import { ANY_COUNTERPARTY, GENESIS_HASH } from './constants.ts';
import { verifyFraudProof } from './fraud.ts';
import type { MemoryBlockStore } from './memory-store.ts';
import { registry, storeWith, testPeer, transfer, type TestPeer } from './test-support.ts';
import { BANDWIDTH, bandwidthType } from './transactions/bandwidth.ts';
import { loadNeighbourhood, validateBlock, type ValidationResult } from './validation.ts';

let alice: TestPeer;
let bob: TestPeer;

async function validate(block: HalfBlock, store: MemoryBlockStore): Promise<ValidationResult> {
  return validateBlock(block, await loadNeighbourhood(store, block, registry), registry);
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
