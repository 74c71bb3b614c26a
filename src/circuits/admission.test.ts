import { describe, expect, it } from 'vitest';
import { admit, type AdmissionConfig, type Holder } from './admission.ts';

const config: AdmissionConfig = { capacity: 4, newcomerShare: 0.25, newcomerChainLength: 5 };
const member = (id: string, balance: bigint): Holder => ({ id, newcomer: false, balance });
const newcomer = (id: string): Holder => ({ id, newcomer: true, balance: 0n });
const established = (balance: bigint) => ({ fraudster: false, balance, chainLength: 50 });
const fresh = { fraudster: false, balance: undefined, chainLength: 0 };

describe('relay admission', () => {
  it('refuses fraudsters always, admits anyone else while there is room', () => {
    expect(admit({ fraudster: true, balance: 10n ** 12n, chainLength: 99 }, [], config, Math.random)).toEqual({ admit: false, reason: 'refused' });
    expect(admit(fresh, [member('a', 1n)], config, Math.random)).toMatchObject({ admit: true, newcomer: true });
  });

  it('when full, a higher verified balance takes the place of the lowest member', () => {
    const full = [member('a', 100n), member('b', -5n), member('c', 50n), newcomer('n')];
    expect(admit(established(10n), full, config, Math.random)).toEqual({ admit: true, newcomer: false, balance: 10n, evict: 'b' });
    expect(admit(established(-10n), full, config, Math.random)).toEqual({ admit: false, reason: 'limit' });
  });

  it('keeps newcomers to their share when full: they replace each other, at random', () => {
    const full = [member('a', 100n), member('b', 5n), member('c', 50n), newcomer('n')];
    expect(admit(fresh, full, config, () => 0)).toEqual({ admit: true, newcomer: true, balance: 0n, evict: 'n' });
    const noNewcomers = [member('a', 100n), member('b', 5n), member('c', 50n), member('d', 7n)];
    // Below their share, a newcomer may displace the lowest member.
    expect(admit(fresh, noNewcomers, config, () => 0)).toMatchObject({ admit: true, evict: 'b' });
    expect(admit(fresh, noNewcomers, { ...config, newcomerShare: 0 }, () => 0)).toEqual({ admit: false, reason: 'limit' });
  });
});
