import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { createAgreement, createProposal } from '../ledger/chain.ts';
import { mintAgreement, registry, testPeer, transfer } from '../ledger/test-support.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth } from '../ledger/transactions/bandwidth.ts';
import { PAYOUT } from '../ledger/transactions/payout.ts';
import { TRANSFER, transferAgreement, transferProposal, transferType } from '../ledger/transactions/transfer.ts';
import { MAX_EDGES } from './constants.ts';
import { ContributionGraph } from './contribution-graph.ts';

const hex = (p: { publicKey: Uint8Array }) => toHex(p.publicKey);

describe('ContributionGraph from block pairs', () => {
  it('adds a complete bandwidth pair as an edge from the uploader to the downloader, and aggregates repeats', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const g = new ContributionGraph();
    const first = transfer(alice, bob, 100n);
    const second = transfer(alice, bob, 5000n);
    expect(g.addPair(first.proposal, first.agreement, registry)).toBe(true);
    expect(g.addPair(second.proposal, second.agreement, registry)).toBe(true);
    expect(g.given(hex(alice))).toEqual(new Map([[hex(bob), 5100n]]));
    expect(g.received(hex(bob))).toEqual(new Map([[hex(alice), 5100n]]));
    expect(g.given(hex(bob)).size).toBe(0);
    expect(g.edgeCount).toBe(1);
    expect([...g.nodes()].sort()).toEqual([hex(alice), hex(bob)].sort());
    expect(g.lastContribution(hex(alice), hex(bob))).toBe(second.proposal.timestamp);
  });

  it('counts a payout as the paid relay giving to the payer', () => {
    const payer = testPeer('payer', 3);
    const relay = testPeer('relay', 4);
    const proposal = createProposal(payer, undefined, relay.publicKey, PAYOUT, bandwidthType.encode(nextBandwidth(undefined, 0n, 900n)), 1);
    const agreement = createAgreement(relay, undefined, proposal, bandwidthType.encode(nextBandwidth(undefined, 900n, 0n)), 2);
    const g = new ContributionGraph();
    expect(g.addPair(proposal, agreement, registry)).toBe(true);
    expect(g.given(hex(relay))).toEqual(new Map([[hex(payer), 900n]]));
  });

  it('never counts a token transfer: its payee was paid money, it gave no service', () => {
    const buyer = testPeer('buyer', 5);
    const seller = testPeer('seller', 6);
    const proposal = createProposal(buyer, undefined, seller.publicKey, TRANSFER, transferType.encode(transferProposal(undefined, 700n, new TextEncoder().encode('trade-1/0'))), 1);
    const agreement = createAgreement(seller, undefined, proposal, transferType.encode(transferAgreement(transferType.decode(proposal.transaction), undefined)), 2);
    const g = new ContributionGraph();
    expect(g.addPair(proposal, agreement, registry)).toBe(false);
    expect(g.given(hex(seller)).size).toBe(0);
  });

  it('never counts a half: a minted agreement to a proposal that never existed, or halves of two different pairs', () => {
    const mallory = testPeer('mallory', 6);
    const ghost = testPeer('ghost', 40);
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const minted = mintAgreement(mallory, ghost.publicKey, 1n << 40n);
    const a = transfer(alice, bob, 100n);
    const b = transfer(alice, bob, 100n);
    const g = new ContributionGraph();
    // The minted agreement with some real proposal: it does not link to it.
    expect(g.addPair(a.proposal, minted, registry)).toBe(false);
    // The proposal of one transfer with the agreement of another.
    expect(g.addPair(a.proposal, b.agreement, registry)).toBe(false);
    // Halves given in the wrong roles.
    expect(g.addPair(a.agreement, a.proposal, registry)).toBe(false);
    expect(g.edgeCount).toBe(0);
    expect([...g.nodes()]).toEqual([]);
  });

  it('never counts a mismatched pair: amounts that do not mirror, or different types', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const proposal = createProposal(alice, undefined, bob.publicKey, BANDWIDTH, bandwidthType.encode(nextBandwidth(undefined, 700n, 0n)), 1);
    const short = createAgreement(bob, undefined, proposal, bandwidthType.encode(nextBandwidth(undefined, 0n, 7n)), 2);
    const inflated = createAgreement(bob, undefined, proposal, bandwidthType.encode(nextBandwidth(undefined, 1n << 30n, 700n)), 2);
    const otherType = createAgreement(bob, undefined, { ...proposal, type: PAYOUT }, bandwidthType.encode(nextBandwidth(undefined, 0n, 700n)), 2);
    const g = new ContributionGraph();
    expect(g.addPair(proposal, short, registry)).toBe(false);
    expect(g.addPair(proposal, inflated, registry)).toBe(false);
    expect(g.addPair(proposal, otherType, registry)).toBe(false);
    expect(g.edgeCount).toBe(0);
  });

  it('never counts an agreement by a key the proposal did not name', () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    const carol = testPeer('carol', 3);
    const proposal = createProposal(alice, undefined, bob.publicKey, BANDWIDTH, bandwidthType.encode(nextBandwidth(undefined, 50n, 0n)), 1);
    const byCarol = createAgreement(carol, undefined, proposal, bandwidthType.encode(nextBandwidth(undefined, 0n, 50n)), 2);
    const g = new ContributionGraph();
    expect(g.addPair(proposal, byCarol, registry)).toBe(false);
    expect(g.edgeCount).toBe(0);
  });
});

describe('ContributionGraph bounds', () => {
  it('defaults to MAX_EDGES', () => {
    const g = new ContributionGraph();
    for (let i = 0; i <= MAX_EDGES; i++) g.add({ from: `k${i}`, to: 'me', bytes: 1n, at: 0 });
    expect(g.edgeCount).toBe(MAX_EDGES);
    expect(g.droppedEdges).toBe(1);
  });

  it('when full, drops new edges (however heavy), still grows existing ones, and always admits edges of pinned keys', () => {
    const g = new ContributionGraph({ maxEdges: 2, pinned: ['me'] });
    g.add({ from: 'a', to: 'b', bytes: 10n, at: 1 });
    g.add({ from: 'b', to: 'c', bytes: 10n, at: 1 });
    g.add({ from: 'sybil1', to: 'sybil2', bytes: 1n << 60n, at: 2 });
    expect(g.given('sybil1').size).toBe(0);
    expect(g.droppedEdges).toBe(1);
    g.add({ from: 'a', to: 'b', bytes: 5n, at: 3 });
    expect(g.given('a').get('b')).toBe(15n);
    g.add({ from: 'x', to: 'me', bytes: 1n, at: 4 });
    expect(g.received('me').get('x')).toBe(1n);
    expect(g.edgeCount).toBe(3);
  });

  it('ignores self-edges and empty amounts', () => {
    const g = new ContributionGraph();
    g.add({ from: 'a', to: 'a', bytes: 10n, at: 0 });
    g.add({ from: 'a', to: 'b', bytes: 0n, at: 0 });
    expect(g.edgeCount).toBe(0);
  });
});
