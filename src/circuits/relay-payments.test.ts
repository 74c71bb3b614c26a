import { describe, expect, it } from 'vitest';
import { PAYOUT_IN_FLIGHT_MS, RELAY_UNPAID_WINDOW_BYTES } from './constants.ts';
import type { CircuitLink } from './circuit-link.ts';
import { RelayPayments } from './relay-payments.ts';
import { openRelayed, type Relayed } from './relayed.ts';

const payer = new Uint8Array(32).fill(9);
const WINDOW = RELAY_UNPAID_WINDOW_BYTES;
const MiB = 1024 * 1024;

/** A relay's payments over one circuit from `payer`, with a clock the test moves; `cut` lists what it cut. */
function relayWithOneCircuit() {
  let clock = 1_000;
  const cut: Relayed[] = [];
  const link = { remoteKey: payer } as unknown as CircuitLink;
  const r = openRelayed({ id: 'c1', prev: { link, circuitId: 1 }, forward: {} as never, backward: {} as never, binding: new Uint8Array(32), newcomer: false, balance: 0n, now: clock });
  const payments = new RelayPayments(
    { now: () => clock, random: (n) => new Uint8Array(n), pay: async () => undefined, passOnDelayMaxMs: 0 },
    {
      open: () => (r.open ? [r] : []),
      closing: () => [],
      cut: (c) => {
        c.open = false;
        cut.push(c);
      },
      sendFrame: async () => undefined,
    },
  );
  /** Carries `bytes` on the circuit: whether it goes on. */
  const carry = (bytes: number): boolean => {
    r.bytes += bytes;
    return payments.charge(r, bytes);
  };
  const announce = (amount: number) => payments.announce('09'.repeat(32), payments.targetOf(r, true), BigInt(amount));
  return { r, cut, carry, announce, accept: (amount: number) => payments.acceptPayout(payer, BigInt(amount)), advance: (ms: number) => (clock += ms) };
}

describe('payouts in flight at a relay', () => {
  it('counts an announced payout as paid while it travels: a payer a window and a step behind, with a step announced, is not cut', () => {
    const { carry, announce } = relayWithOneCircuit();
    announce(8 * MiB);
    expect(carry(WINDOW + 6 * MiB)).toBe(true);
  });

  it('forgives a payout that failed when a later one on the circuit pays its tokens: it neither counts nor lapses', async () => {
    const { carry, announce, accept, advance, cut } = relayWithOneCircuit();
    announce(5 * MiB); // its proposal times out at the payer
    expect(carry(6 * MiB)).toBe(true);
    announce(6 * MiB); // the retry: its amount holds the failed one's tokens
    await accept(6 * MiB);
    advance(PAYOUT_IN_FLIGHT_MS + 1);
    // The next payment, in flight, still counts: the key did not lapse.
    announce(10 * MiB);
    expect(carry(WINDOW + 9 * MiB)).toBe(true);
    expect(cut).toEqual([]);
  });

  it('lapses a payout that later ones on the circuit do not cover: its key gets no credit for announcements any more', async () => {
    const { carry, announce, accept, advance, cut, r } = relayWithOneCircuit();
    announce(30 * MiB); // announced, never proposed
    announce(MiB);
    await accept(MiB); // a token payment after it does not cover it
    advance(PAYOUT_IN_FLIGHT_MS + 1);
    announce(10 * MiB);
    expect(carry(WINDOW + 9 * MiB)).toBe(false);
    expect(cut).toEqual([r]);
  });

});
