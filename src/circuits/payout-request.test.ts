import { describe, expect, it } from 'vitest';
import { payWithOneProposal, type PayoutLedger } from './payout-request.ts';

class Refused extends Error {}

/** A ledger whose requests fail as scripted: 'silent' times out, 'refused' is an answer, 'ok' countersigns. */
function scripted(outcomes: ('silent' | 'refused' | 'ok')[]) {
  const signed: number[] = [];
  const requested: number[] = [];
  const ledger: PayoutLedger<number> = {
    sign: async () => {
      signed.push(signed.length + 1);
      return signed.length;
    },
    request: async (proposal) => {
      requested.push(proposal);
      const o = outcomes.shift() ?? 'silent';
      if (o === 'silent') throw new Error('no answer');
      if (o === 'refused') throw new Refused('no');
    },
    isRefusal: (err) => err instanceof Refused,
  };
  return { ledger, signed, requested };
}

const noWait = async (): Promise<void> => undefined;

describe('a payout to a neighbour', () => {
  it('signs one proposal however often its agreement has to be asked for: an unanswered one is a debit already', async () => {
    const s = scripted(['silent', 'silent', 'ok']);
    await payWithOneProposal(s.ledger, 4, 10, noWait);
    expect(s.signed).toEqual([1]);
    expect(s.requested).toEqual([1, 1, 1]);
  });

  it('gives up after the attempts allowed, and at once on a refusal (an answer does not change by asking again)', async () => {
    const silent = scripted(['silent', 'silent', 'silent', 'ok']);
    await expect(payWithOneProposal(silent.ledger, 3, 10, noWait)).rejects.toThrow('no answer');
    expect(silent.requested).toEqual([1, 1, 1]);
    const refused = scripted(['refused', 'ok']);
    await expect(payWithOneProposal(refused.ledger, 3, 10, noWait)).rejects.toBeInstanceOf(Refused);
    expect(refused.requested).toEqual([1]);
  });

  it('pauses longer before each new attempt', async () => {
    const waits: number[] = [];
    const s = scripted(['silent', 'silent', 'ok']);
    await payWithOneProposal(s.ledger, 5, 100, async (ms) => void waits.push(ms));
    expect(waits).toEqual([100, 200]);
  });
});
