import { describe, expect, it } from 'vitest';
import { blockHash } from './block-codec.ts';
import { checkProposal, createAgreement, createProposal, type ProposalContext } from './chain.ts';
import { ANY_COUNTERPARTY, CONTEXT_BLOCKS, GENESIS_HASH } from './constants.ts';
import { testPeer, transfer } from './test-support.ts';
import { BANDWIDTH } from './transactions/bandwidth.ts';

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
