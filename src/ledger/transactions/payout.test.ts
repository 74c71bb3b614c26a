import { describe, expect, it } from 'vitest';
import { defaultRegistry } from './default-registry.ts';
import { PAYOUT, payoutType } from './payout.ts';
import { createAgreement, createProposal } from '../chain.ts';
import { ANY_COUNTERPARTY } from '../constants.ts';
import { registry, storeWith, testPeer } from '../test-support.ts';
import { neighbourhoodIn, pairErrors, validateBlock } from '../validation.ts';
import { EMPTY_TALLY, extendTally } from '../verified-balance.ts';

const proposalBlock = { linkSequenceNumber: 0 } as never;
const agreementBlock = { linkSequenceNumber: 3 } as never;

describe('payout transactions', () => {
  it('move tokens one way: the proposer pays, the agreeing relay is paid', () => {
    expect(payoutType.check({ up: 0n, down: 10n, totalUp: 0n, totalDown: 10n }, proposalBlock)).toEqual([]);
    expect(payoutType.check({ up: 10n, down: 0n, totalUp: 10n, totalDown: 0n }, proposalBlock)[0]).toContain('one way');
    expect(payoutType.check({ up: 10n, down: 0n, totalUp: 10n, totalDown: 0n }, agreementBlock)).toEqual([]);
    expect(payoutType.check({ up: 0n, down: 10n, totalUp: 0n, totalDown: 10n }, agreementBlock)[0]).toContain('one way');
  });

  it('carry tokens, so balances add up across bandwidth and payouts', () => {
    expect(defaultRegistry().isTokenType(PAYOUT)).toBe(true);
  });
});

describe('an open payout (to any counterparty)', () => {
  it('is invalid, and credits none of the keys that countersign it: one payment cannot be claimed by many', () => {
    const payer = testPeer('payer', 1);
    const [s1, s2] = [testPeer('sybil1', 2), testPeer('sybil2', 3)];
    const open = createProposal(payer, undefined, ANY_COUNTERPARTY, PAYOUT, payoutType.encode({ up: 0n, down: 1000n, totalUp: 0n, totalDown: 1000n }), 1);
    const claims = [s1, s2].map((s) => createAgreement(s, undefined, open, payoutType.encode({ up: 1000n, down: 0n, totalUp: 1000n, totalDown: 0n }), 2));
    const store = storeWith(open, ...claims);
    expect(validateBlock(open, neighbourhoodIn(store, open, registry), registry).errors.join()).toMatch(/must name its counterparty/);
    for (const [i, claim] of claims.entries()) {
      expect(pairErrors(open, claim, registry).join()).toMatch(/must name its counterparty/);
      const owner = [s1, s2][i]!;
      const t = extendTally(EMPTY_TALLY, [claim], { agreementsTo: (seq) => store.agreementsForSync(owner.publicKey, seq), proposalOf: (a) => store.getSync(a.linkPublicKey, a.linkSequenceNumber) }, registry);
      expect(t.up).toBe(0n);
    }
  });
});
