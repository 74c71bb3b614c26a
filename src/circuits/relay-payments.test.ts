import { describe, expect, it, vi } from 'vitest';
import { SIGN_REQUEST_SPAN_MS } from '../ledger/constants.ts';
import { FRONTED_TOKENS_PER_BYTE, PAYOUT_ANNOUNCE_WAIT_MS, PAYOUT_IN_FLIGHT_MS, PAYOUT_SIGN_TURN_MS, RELAY_UNPAID_WINDOW_BYTES, UNANNOUNCED_PAYOUT_MIN_TOKENS } from './constants.ts';
import { until } from '../testing/until.ts';
import type { CircuitLink } from './circuit-link.ts';
import { RelayPayments } from './relay-payments.ts';
import { openRelayed, type Relayed } from './relayed.ts';

const payer = new Uint8Array(32).fill(9);
const WINDOW = RELAY_UNPAID_WINDOW_BYTES;
const MiB = 1024 * 1024;

/**
 * A relay's payments over one circuit from `payer`, with a clock the test moves; `cut` lists what it cut.
 * With `next`, the circuit goes on to a next hop, and `passed` lists what the relay paid it.
 */
function relayWithOneCircuit(next = false) {
  let clock = 1_000;
  const cut: Relayed[] = [];
  const passed: bigint[] = [];
  const link = { remoteKey: payer } as unknown as CircuitLink;
  const r = openRelayed({ id: 'c1', prev: { link, circuitId: 1 }, forward: {} as never, backward: {} as never, binding: new Uint8Array(32), newcomer: false, balance: 0n, now: clock });
  if (next) r.next = { link: { remoteKey: new Uint8Array(32).fill(7) } as unknown as CircuitLink, circuitId: 2 };
  const pay = async (to: Uint8Array, amount: bigint): Promise<void> => void passed.push(amount);
  const payments = new RelayPayments(
    { now: () => clock, random: (n) => new Uint8Array(n), pay, passOnDelayMaxMs: 0 },
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
  // The payer's running total, as an honest payer announces it (payouts that failed included: their tokens come again).
  let total = 0n;
  const announce = (amount: number, as: bigint = (total += BigInt(amount))) => payments.announce('09'.repeat(32), payments.targetOf(r, true), BigInt(amount), as);
  /** Resolves once nothing is being passed on: the sum passed so far. */
  const settled = async (): Promise<bigint> => {
    await until(() => r.forwardFlow.payments === 0, 'the payments passed on');
    return passed.reduce((a, b) => a + b, 0n);
  };
  return { r, cut, carry, announce, settled, payments, accept: (amount: number) => payments.acceptPayout(payer, BigInt(amount)), advance: (ms: number) => (clock += ms) };
}

describe('cells that never left for the originator', () => {
  it('are uncharged (it never counts them, so it would never pay them), and an uncharge is never a credit', async () => {
    const { r, carry, payments, announce, accept } = relayWithOneCircuit();
    carry(2 * MiB);
    payments.uncharge(r, 640); // a sendme queued behind a receipt when the circuit closed
    expect(payments.owedBy(payer)).toBe(BigInt(2 * MiB - 640));
    announce(2 * MiB - 640);
    await accept(2 * MiB - 640);
    expect(payments.owedBy(payer)).toBe(0n);
    // A key that owes nothing gains no credit for the next circuit's bytes.
    payments.uncharge(r, 4 * MiB);
    carry(1024);
    expect(payments.owedBy(payer)).toBe(1024n);
  });
});

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

  it("does not lapse a payer whose proposal a busy relay answers only at the end of the ledger's asking: the payer's signing turn and every attempt", async () => {
    const { carry, announce, accept, advance, cut } = relayWithOneCircuit();
    announce(5 * MiB);
    advance(PAYOUT_SIGN_TURN_MS + SIGN_REQUEST_SPAN_MS - 1);
    announce(10 * MiB);
    expect(carry(WINDOW + 9 * MiB)).toBe(true); // both still count
    await accept(5 * MiB);
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


  it('gives a payer whose payment came late its credit for announcements back once it paid, not before', async () => {
    const { carry, announce, accept, advance, cut } = relayWithOneCircuit();
    announce(5 * MiB);
    advance(PAYOUT_IN_FLIGHT_MS + 1); // a ledger under load: the proposal is not in yet
    announce(10 * MiB);
    expect(carry(WINDOW + MiB)).toBe(false); // lapsed: the announcements count for nothing
    expect(cut.length).toBe(1);
    const again = relayWithOneCircuit();
    again.announce(5 * MiB);
    again.advance(PAYOUT_IN_FLIGHT_MS + 1);
    expect(again.carry(MiB)).toBe(true); // the lapse shows
    await again.accept(5 * MiB); // ...and then the late payment lands
    again.announce(10 * MiB);
    expect(again.carry(WINDOW + 9 * MiB)).toBe(true);
    expect(again.cut).toEqual([]);
  });

  it('keeps a lapsed key lapsed when it pays something smaller than what it let lapse', async () => {
    const { carry, announce, accept, advance, cut } = relayWithOneCircuit();
    announce(30 * MiB); // announced, never proposed
    advance(PAYOUT_IN_FLIGHT_MS + 1);
    expect(carry(MiB)).toBe(true); // the lapse shows
    announce(MiB);
    await accept(MiB); // a token payment does not pay what lapsed
    announce(10 * MiB);
    expect(carry(WINDOW + 9 * MiB)).toBe(false);
    expect(cut.length).toBe(1);
  });

  it("passes the next hop's part of an announced payment on at once, before it is paid, and not again when it is", async () => {
    const { carry, announce, accept, settled } = relayWithOneCircuit(true);
    carry(4 * MiB);
    announce(8 * MiB); // a 1-relay path: 4 MiB for us, 4 for the far end
    expect(await settled()).toBe(4n * BigInt(MiB));
    await accept(8 * MiB);
    expect(await settled()).toBe(4n * BigInt(MiB));
  });

  it('fronts a payer that announces and never pays FRONTED_TOKENS_PER_BYTE per byte it owes at most, then nothing once its announcements lapse', async () => {
    const { carry, announce, advance, settled, cut } = relayWithOneCircuit(true);
    carry(MiB);
    announce(2 ** 40); // claims a terabyte is on its way
    const fronted = await settled();
    expect(fronted).toBeLessThanOrEqual(BigInt(FRONTED_TOKENS_PER_BYTE * MiB));
    expect(fronted).toBeGreaterThan(0n);
    advance(PAYOUT_IN_FLIGHT_MS + 1);
    carry(WINDOW); // the lapse shows at the next charge, and cuts
    announce(2 ** 40);
    expect(await settled()).toBe(fronted);
    expect(cut.length).toBe(1);
  });

  it("does not front twice a failed payment whose tokens the retry holds: the payer's total says so", async () => {
    const { carry, announce, accept, settled } = relayWithOneCircuit(true);
    carry(4 * MiB);
    announce(8 * MiB, 8n * BigInt(MiB)); // times out at the payer
    expect(await settled()).toBe(4n * BigInt(MiB));
    carry(MiB);
    announce(10 * MiB, 10n * BigInt(MiB)); // the retry: the failed one's tokens and 2 MiB more, total 10
    await accept(10 * MiB);
    expect(await settled()).toBe(5n * BigInt(MiB));
  });
});

describe('a payout whose announcement never came', () => {
  it('is taken against what its payer owes (its circuit closed before the frame crossed), never as dust, nor from a key that owes nothing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { r, carry, payments, accept } = relayWithOneCircuit();
      carry(2 * MiB);
      r.open = false;
      // Each waits PAYOUT_ANNOUNCE_WAIT_MS for its announcement first.
      const answer = async (amount: number): Promise<boolean> => {
        const answered = accept(amount);
        await vi.advanceTimersByTimeAsync(PAYOUT_ANNOUNCE_WAIT_MS);
        return answered;
      };
      expect(await answer(UNANNOUNCED_PAYOUT_MIN_TOKENS - 1)).toBe(false);
      expect(payments.owedBy(payer)).toBe(BigInt(2 * MiB));
      expect(await answer(MiB)).toBe(true);
      expect(payments.owedBy(payer)).toBe(BigInt(MiB));
      expect(await answer(MiB + 640)).toBe(true);
      // It owes nothing now: a further payment, however large, is not its to make unannounced.
      expect(payments.owedBy(payer)).toBe(-640n);
      expect(await answer(MiB)).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('of less than the floor is taken when it is all the payer owes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { carry, payments, accept } = relayWithOneCircuit();
      carry(1000);
      const answered = accept(1000);
      await vi.advanceTimersByTimeAsync(PAYOUT_ANNOUNCE_WAIT_MS);
      expect(await answered).toBe(true);
      expect(payments.owedBy(payer)).toBe(0n);
    } finally {
      vi.useRealTimers();
    }
  });
});
