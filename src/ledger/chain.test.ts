import { describe, expect, it } from 'vitest';
import { nobleSigner } from '../crypto/signers.ts';
import { blockHash, verifyBlockSignature } from './block-codec.ts';
import { agreementTransaction, checkProposal, createAgreement, createProposal, signWith, unsignedAgreement, unsignedProposal, type ProposalContext } from './chain.ts';
import { ANY_COUNTERPARTY, CONTEXT_BLOCKS, GENESIS_HASH } from './constants.ts';
import { registry, resign, storeWith, testPeer, transfer } from './test-support.ts';
import { BANDWIDTH, bandwidthProposal, bandwidthType } from './transactions/bandwidth.ts';
import { validateInStore } from './validation.ts';

const alice = testPeer('alice', 1);
const bob = testPeer('bob', 2);
const carol = testPeer('carol', 3);

describe('building a chain', () => {
  it('starts at genesis and links each block to the previous one', () => {
    const p1 = createProposal(alice, undefined, bob.publicKey, BANDWIDTH, new Uint8Array(32), 10);
    expect(p1.sequenceNumber).toBe(1);
    expect(p1.previousHash).toEqual(GENESIS_HASH);
    expect(p1.linkSequenceNumber).toBe(0);
    const p2 = createProposal(alice, p1, bob.publicKey, BANDWIDTH, new Uint8Array(32), 11);
    expect(p2.sequenceNumber).toBe(2);
    expect(p2.previousHash).toEqual(blockHash(p1));
    const a = createAgreement(bob, undefined, p2, new Uint8Array(32), 12);
    expect([a.linkSequenceNumber, a.type]).toEqual([2, BANDWIDTH]);
    expect(a.linkPublicKey).toEqual(alice.publicKey);
  });
});

describe('checkProposal', () => {
  const p = (() => {
    const a = testPeer('a', 11);
    const b = testPeer('b', 12);
    for (let i = 0; i < CONTEXT_BLOCKS + 2; i++) transfer(a, b, 1n);
    return { a, b, proposal: a.chain.at(-1)! };
  })();
  const ctx = (over: Partial<ProposalContext> = {}): ProposalContext => ({
    me: p.b.publicKey,
    validation: { outcome: 'partial-next', errors: [] },
    isFraudster: false,
    knownContext: p.a.chain.slice(-1 - CONTEXT_BLOCKS, -1),
    crawled: false,
    ...over,
  });

  it('signs a valid proposal whose recent history is known', () => {
    expect(checkProposal(p.proposal, ctx())).toEqual({ action: 'sign' });
  });

  it('always refuses a fraudster', () => {
    expect(checkProposal(p.proposal, ctx({ isFraudster: true }))).toMatchObject({ action: 'refuse', code: 'fraudster' });
  });

  it('refuses proposals for someone else, agreements, and invalid proposals', () => {
    expect(checkProposal(p.proposal, ctx({ me: carol.publicKey }))).toMatchObject({ action: 'refuse', code: 'not-addressed' });
    expect(checkProposal(p.b.chain[0]!, ctx())).toMatchObject({ action: 'refuse', code: 'not-a-proposal' });
    expect(checkProposal(p.proposal, ctx({ validation: { outcome: 'invalid', errors: ['x'] } }))).toMatchObject({ action: 'refuse', code: 'invalid' });
  });

  it('accepts proposals open to any counterparty', () => {
    const open = createProposal(alice, undefined, ANY_COUNTERPARTY, BANDWIDTH, new Uint8Array(32), 1);
    expect(checkProposal(open, ctx({ me: bob.publicKey, knownContext: [], validation: { outcome: 'partial-next', errors: [] } }))).toEqual({ action: 'sign' });
  });

  it('asks for a crawl of missing history once, then refuses', () => {
    const d = checkProposal(p.proposal, ctx({ knownContext: [], validation: { outcome: 'no-info', errors: [] } }));
    expect(d).toMatchObject({ action: 'crawl', fromSeq: p.proposal.sequenceNumber - CONTEXT_BLOCKS, toSeq: p.proposal.sequenceNumber - 1 });
    expect(checkProposal(p.proposal, ctx({ knownContext: [], crawled: true, validation: { outcome: 'no-info', errors: [] } }))).toMatchObject({ action: 'refuse', code: 'unknown-history' });
  });
});

describe('checkProposal, more', () => {
  const a = testPeer('a', 21);
  const b = testPeer('b', 22);
  for (let i = 0; i < 8; i++) transfer(a, b, 1n);
  const proposal = a.chain.at(-1)!; // seq 8: context window is 3..7
  const base: ProposalContext = { me: b.publicKey, validation: { outcome: 'partial-next', errors: [] }, isFraudster: false, knownContext: a.chain.slice(2, 7), crawled: false };

  it('crawls only the missing span of the context window', () => {
    const known = a.chain.filter((x) => [3, 4, 7].includes(x.sequenceNumber));
    expect(checkProposal(proposal, { ...base, knownContext: known })).toMatchObject({ action: 'crawl', fromSeq: 5, toSeq: 6 });
    // Blocks of another chain do not count as context.
    expect(checkProposal(proposal, { ...base, knownContext: b.chain.slice(2, 7) })).toMatchObject({ action: 'crawl', fromSeq: 3, toSeq: 7 });
  });

  it('crawls once when the window is known but the proposal is still only partial, then refuses', () => {
    const partial: ProposalContext = { ...base, validation: { outcome: 'partial', errors: [] } };
    expect(checkProposal(proposal, partial)).toMatchObject({ action: 'crawl', fromSeq: 3, toSeq: 7 });
    expect(checkProposal(proposal, { ...partial, crawled: true })).toMatchObject({ action: 'refuse', code: 'unknown-history' });
  });

  it('signs a genesis proposal (nothing before it), refuses unknown types and fraudsters even with full context', () => {
    expect(checkProposal(a.chain[0]!, { ...base, knownContext: [] })).toEqual({ action: 'sign' });
    expect(checkProposal(proposal, { ...base, validation: { outcome: 'valid', errors: [], unknownType: true } })).toMatchObject({ action: 'refuse', code: 'policy' });
    expect(checkProposal(proposal, { ...base, validation: { outcome: 'valid', errors: [] }, isFraudster: true })).toMatchObject({ action: 'refuse', code: 'fraudster' });
  });

  it('refuses a proposal whose totals do not continue the proposer\'s known chain', async () => {
    const bad = resign(a, proposal, { transaction: bandwidthType.encode({ up: 1n, down: 0n, totalUp: 99n, totalDown: 0n }) });
    const store = storeWith(...a.chain.slice(0, 7));
    const validation = await validateInStore(store, bad, registry);
    expect(checkProposal(bad, { ...base, validation })).toMatchObject({ action: 'refuse', code: 'invalid', reason: expect.stringContaining('running totals') });
  });
});

describe('building blocks', () => {
  it('builds the agreement transaction from my own totals, via the proposal\'s type', () => {
    const p = createProposal(alice, undefined, bob.publicKey, BANDWIDTH, bandwidthType.encode(bandwidthProposal(undefined, { up: 40n, down: 0n })), 1);
    const tx = agreementTransaction(registry, p, { up: 0n, down: 0n, totalUp: 9n, totalDown: 1n });
    expect(bandwidthType.decode(tx)).toEqual({ up: 0n, down: 40n, totalUp: 9n, totalDown: 41n });
    const opaque = createProposal(alice, undefined, bob.publicKey, 'future', new Uint8Array([1, 2]), 1);
    expect(agreementTransaction(registry, opaque, undefined)).toEqual(new Uint8Array([1, 2]));
  });

  it('puts the injected time, position and links into unsigned blocks; signWith signs them like signBlock', async () => {
    const head = createProposal(alice, undefined, bob.publicKey, BANDWIDTH, new Uint8Array(32), 5);
    const u = unsignedProposal(alice.publicKey, head, bob.publicKey, BANDWIDTH, new Uint8Array(32), 1234);
    expect(u).toMatchObject({ sequenceNumber: 2, timestamp: 1234, linkSequenceNumber: 0 });
    expect(u.previousHash).toEqual(blockHash(head));
    const signed = await signWith(nobleSigner(alice.seed), u);
    expect(verifyBlockSignature(signed)).toBe(true);
    const agr = unsignedAgreement(bob.publicKey, undefined, signed, new Uint8Array(32), 99);
    expect(agr).toMatchObject({ sequenceNumber: 1, linkSequenceNumber: 2, type: BANDWIDTH, timestamp: 99 });
  });
});
