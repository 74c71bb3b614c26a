import { describe, expect, it } from 'vitest';
import type { HalfBlock } from './block.ts';
import { createAgreement, createProposal } from './chain.ts';
import type { MemoryBlockStore } from './memory-store.ts';
import { mintAgreement, registry, resign, storeWith, testPeer, transfer, type TestPeer } from './test-support.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth } from './transactions/bandwidth.ts';
import { EMPTY_TALLY, extendTally, unconfirmedUp, type PairLookup, type VerifiedTally } from './verified-balance.ts';

/** What the ledger service looks up in its store, for `owner`'s chain. */
function lookupIn(store: MemoryBlockStore, owner: TestPeer): PairLookup {
  return {
    agreementsTo: (seq) => store.agreementsForSync(owner.publicKey, seq),
    proposalOf: (a) => store.getSync(a.linkPublicKey, a.linkSequenceNumber),
  };
}

/** The tally as the service reports it: counted figures, unconfirmed credits and their positions. */
function summary(t: VerifiedTally) {
  return { up: t.up, down: t.down, through: t.through, unconfirmedUp: unconfirmedUp(t, registry), unconfirmed: t.pending.map((b) => b.sequenceNumber) };
}

const tally = (owner: TestPeer, store: MemoryBlockStore, blocks: readonly HalfBlock[] = owner.chain) => summary(extendTally(EMPTY_TALLY, blocks, lookupIn(store, owner), registry));

describe('verified balance', () => {
  it('credits a proposal only with its mirrored agreement, and resumes when the agreement arrives', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const first = transfer(alice, bob, 100n);
    const second = transfer(alice, bob, 5000n);
    const store = storeWith(...alice.chain, first.agreement); // bob's second agreement not (yet) known
    const counted = extendTally(EMPTY_TALLY, alice.chain, lookupIn(store, alice), registry);
    expect(summary(counted)).toEqual({ up: 100n, down: 0n, through: 2, unconfirmedUp: 5000n, unconfirmed: [2] });
    // Nothing new: still pending.
    expect(summary(extendTally(counted, [], lookupIn(store, alice), registry))).toEqual(summary(counted));
    // The other half arrives: the next extension, with no new blocks, credits it.
    store.putSync(second.agreement);
    expect(summary(extendTally(counted, [], lookupIn(store, alice), registry))).toEqual({ up: 5100n, down: 0n, through: 2, unconfirmedUp: 0n, unconfirmed: [] });
  });

  it('credits nothing for agreements to proposals that never existed (minting)', () => {
    const mallory = testPeer('mallory', 6);
    const bob = testPeer('bob', 2);
    transfer(bob, mallory, 10n); // one honest pair: mallory downloaded 10
    const honest = storeWith(...bob.chain, ...mallory.chain);
    for (let i = 0; i < 3; i++) mintAgreement(mallory, testPeer(`ghost${i}`, 40 + i).publicKey, 1n << 40n);
    expect(tally(mallory, honest)).toEqual({ up: 0n, down: 10n, through: 4, unconfirmedUp: 3n << 40n, unconfirmed: [2, 3, 4] });
  });

  it('credits nothing when the amounts do not mirror', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const { proposal } = transfer(bob, alice, 100n);
    // Alice "agrees" to bob's proposal of 100 bytes to her, but as if she had uploaded 1 MiB.
    const lying = createAgreement(alice, undefined, proposal, bandwidthType.encode(nextBandwidth(undefined, 1n << 20n, 0n)), 1);
    expect(tally(alice, storeWith(proposal, lying), [lying])).toMatchObject({ up: 0n, unconfirmedUp: 1n << 20n });
    // And an honest proposal answered by a non-mirroring agreement is not credited either.
    const carol = testPeer('carol', 3);
    const p = createProposal(carol, undefined, bob.publicKey, BANDWIDTH, bandwidthType.encode(nextBandwidth(undefined, 700n, 0n)), 1);
    const short = createAgreement(bob, bob.chain.at(-1), p, bandwidthType.encode(nextBandwidth({ totalUp: 100n, totalDown: 0n }, 0n, 7n)), 2);
    expect(tally(carol, storeWith(p, short), [p])).toMatchObject({ up: 0n, unconfirmedUp: 700n });
  });

  it('credits nothing for an agreement to a proposal addressed to someone else, or by a key the proposal did not name', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const carol = testPeer('carol', 3);
    // A payout bob addressed to carol (carol is paid: up in her agreement); alice answers it instead.
    const p = createProposal(bob, undefined, carol.publicKey, 'payout', bandwidthType.encode(nextBandwidth(undefined, 0n, 900n)), 1);
    const stolen = createAgreement(alice, undefined, p, bandwidthType.encode(nextBandwidth(undefined, 900n, 0n)), 2);
    expect(tally(alice, storeWith(p, stolen), [stolen])).toMatchObject({ up: 0n, unconfirmedUp: 900n });
    // Alice's proposal to bob, "agreed" by carol: not the key it named.
    const mine = createProposal(alice, undefined, bob.publicKey, BANDWIDTH, bandwidthType.encode(nextBandwidth(undefined, 50n, 0n)), 1);
    const byCarol = createAgreement(carol, undefined, mine, bandwidthType.encode(nextBandwidth(undefined, 0n, 50n)), 2);
    expect(tally(alice, storeWith(mine, byCarol), [mine])).toMatchObject({ up: 0n, unconfirmedUp: 50n });
    // An agreement naming a stored agreement as its "proposal" is no pair either.
    const { agreement } = transfer(bob, carol, 30n);
    const onAgreement = resign(alice, stolen, { linkPublicKey: carol.publicKey, linkSequenceNumber: agreement.sequenceNumber });
    expect(tally(alice, storeWith(agreement, onAgreement), [onAgreement]).up).toBe(0n);
  });

  it('keeps debits when the other half is withheld', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    // Alice downloaded twice from bob; we only hold alice's agreements, not bob's proposals.
    transfer(bob, alice, 300n);
    transfer(bob, alice, 200n);
    expect(tally(alice, storeWith(...alice.chain))).toMatchObject({ up: 0n, down: 500n, through: 2, unconfirmedUp: 0n });
    // A proposal by alice that pays (down) and is never answered still costs her.
    const owes = createProposal(alice, alice.chain.at(-1), bob.publicKey, 'payout', bandwidthType.encode(nextBandwidth({ totalUp: 0n, totalDown: 500n }, 0n, 40n)), 3);
    expect(tally(alice, storeWith(...alice.chain, owes), [...alice.chain, owes])).toMatchObject({ down: 540n, through: 3 });
  });

  it('stops at a gap', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 3; i++) transfer(alice, bob, 10n);
    expect(tally(alice, storeWith(...alice.chain, ...bob.chain), [alice.chain[0]!, alice.chain[2]!]).through).toBe(1);
  });
});
