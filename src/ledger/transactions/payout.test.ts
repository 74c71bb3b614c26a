import { describe, expect, it } from 'vitest';
import { defaultRegistry } from './default-registry.ts';
import { PAYOUT, payoutType } from './payout.ts';

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
