import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import type { OriginCircuit } from './circuit-node.ts';
import { MAX_DATA_BYTES, MAX_IN_FLIGHT_CREDIT_BYTES, PAYOUT_EVERY_BYTES, PAYOUT_IN_FLIGHT_MS, PAYOUT_JITTER, PAYMENT_RETRY_MS, PAYMENT_TRIES_SPAN_MS, PAYOUT_STEP_MAX_BYTES, RELAY_UNPAID_WINDOW_BYTES } from './constants.ts';
import { CircuitError } from './errors.ts';
import { mesh, until, type Peer } from './test-support.ts';

const MiB = 1024 * 1024;

/** Sends `bytes` in full cells, a MiB at a time, each once the far end has the previous one (memory links have no flow control). */
async function push(circuit: { send(d: Uint8Array): Promise<void>; state: string }, bytes: number, far: { received: Uint8Array[] }): Promise<void> {
  const cell = new Uint8Array(MAX_DATA_BYTES);
  const before = far.received.length;
  let cells = 0;
  for (let sent = 0; sent < bytes; sent += cell.length) {
    await circuit.send(cell);
    cells++;
    if (cells % 16 === 0) await until(() => far.received.length - before >= cells || circuit.state !== 'ready', 'the far end to catch up');
  }
}

/** Bytes a relay carried, on every circuit, open or closed. */
const carriedBy = (p: Peer): number => p.events.reduce((n, e) => n + (e.type === 'bytes' ? e.bytes : 0), 0);

/** Builds a circuit and pushes `bytes` through it until it is cut; 'refused' if the first hop refuses the key for its debt. */
async function rideUntilCut(origin: Peer, path: Uint8Array[], far: Peer, bytes: number): Promise<string> {
  let circuit: OriginCircuit;
  try {
    circuit = await origin.node.build(path);
  } catch (err) {
    if (err instanceof CircuitError && err.code === 'unpaid') return 'refused';
    throw err;
  }
  const broken = new Promise<string>((resolve) => (circuit.onBroken = resolve));
  await push(circuit, bytes, far).catch(() => undefined);
  return broken;
}

/**
 * A mesh whose first peer's payouts (every peer's, if `everyone`) each reach their payee only once the last peer
 * (the far end) has taken `traffic` more bytes of cells: a slow ledger round trip, measured in what the circuit
 * carries meanwhile.
 */
function slowPayer(count: number, traffic: number, everyone = false) {
  let finished = false;
  const m = mesh(count, {
    payments: true,
    payDelay: (from) => {
      if (!everyone && toHex(from) !== toHex(m.peers[0]!.key)) return Promise.resolve();
      const far = m.peers[count - 1]!;
      const start = far.received.length;
      return until(() => finished || far.received.length - start >= traffic / MAX_DATA_BYTES, 'the slow payment', 60_000);
    },
  });
  return { peers: m.peers, far: m.peers[count - 1]!, done: () => (finished = true) };
}

describe('relay payouts', () => {
  it('tries a payment that was not countersigned again, so the last one of a transfer still reaches every hop', async () => {
    const failed = new Set<string>();
    // Each payer's first payout times out; without retries the final settlement would be lost for good.
    const { peers } = mesh(3, { payments: true, failPay: (from) => !failed.has(toHex(from)) && failed.add(toHex(from)) !== undefined });
    const [origin, relay, far] = peers;
    const circuit = await origin!.node.build([relay!.key, far!.key]);
    await push(circuit, 2 * MiB, far!);
    await until(() => far!.received.length >= Math.ceil((2 * MiB) / MAX_DATA_BYTES), 'the data');
    await circuit.close();
    const carried = (p: Peer) => p.events.filter((e) => e.type === 'closed').reduce((n, e) => n + (e as { bytes: number }).bytes, 0);
    await until(() => [relay!, far!].every((p) => carried(p) > 0 && p.paidIn - p.paidOut >= BigInt(carried(p))), 'both hops paid after a failed payment', 3 * PAYMENT_RETRY_MS + 5_000);
    expect(failed.size).toBe(2);
  });

  it('pays every hop at least what it carried: the originator pays for the path, each relay passes the rest on', async () => {
    const { peers } = mesh(4, { payments: true });
    const [origin, r1, r2, far] = peers;
    const circuit = await origin!.node.build([r1!.key, r2!.key, far!.key]);
    await push(circuit, 20 * MiB, far!);
    await until(() => far!.received.length >= Math.ceil((20 * MiB) / MAX_DATA_BYTES), 'the data');
    await circuit.close();
    const carried = (p: (typeof peers)[number]) => p.events.filter((e) => e.type === 'closed').reduce((n, e) => n + (e as { bytes: number }).bytes, 0);
    await until(() => [r1!, r2!, far!].every((p) => p.paidIn - p.paidOut >= BigInt(carried(p)) && carried(p) > 0), 'every hop paid its share');

    // Deferred and aggregated: one payment per 4–6 MiB carried (PAYOUT_EVERY_BYTES plus jitter) and the final one,
    // however many tokens each holds (three hops' worth here), not one per cell.
    const payments = r1!.events.filter((e) => e.type === 'paid' && (e as { direction: string }).direction === 'in').length;
    expect(payments).toBeGreaterThanOrEqual(Math.floor(carried(r1!) / (PAYOUT_EVERY_BYTES * (1 + PAYOUT_JITTER))));
    expect(payments).toBeLessThanOrEqual(Math.ceil(carried(r1!) / PAYOUT_EVERY_BYTES) + 1);
    // What the originator paid is what the hops earned, give or take the layers each hop strips.
    const earned = [r1!, r2!, far!].reduce((n, p) => n + (p.paidIn - p.paidOut), 0n);
    expect(origin!.paidOut).toBe(earned);
    expect(Number(origin!.paidOut)).toBeLessThan(3 * carried(r1!) * 1.01);
  });

  it("pays ahead: an originator whose payments each take 20 MiB of traffic to be countersigned is cut at neither hop, and the far end is not shorted", async () => {
    // At ~15 MiB/s a ledger round trip of 1.3 s is this long. Today's payer queued its payments behind each other and
    // the relay kept its share of the bytes carried while a payment travelled, so the far end fell a window behind.
    const { peers, far, done } = slowPayer(3, 20 * MiB);
    const [origin, r1] = peers;
    const circuit = await origin!.node.build([r1!.key, far.key]);
    await push(circuit, 64 * MiB, far);
    done();
    expect(circuit.state).toBe('ready');
    expect([...r1!.events, ...far.events].filter((e) => e.type === 'closed')).toEqual([]);
    await circuit.close();
    await until(() => r1!.node.owedBy(origin!.key) <= 0n && far.node.owedBy(r1!.key) <= 0n, 'the final payments');
  }, 60_000);

  for (const [relays, traffic] of [[1, 28 * MiB], [3, 14 * MiB]] as const) {
    it(`passes each payment on as soon as it is announced: with every payer's round trip ${traffic / MiB} MiB of traffic long, no hop of a ${relays}-relay path cuts`, async () => {
      // Passed on once countersigned, a payment reached a path's far end a round trip per hop and a step after the
      // bytes it paid for, past the window here (the e2e "honest payer" cut under load).
      const { peers, far, done } = slowPayer(relays + 2, traffic, true);
      const [origin, ...hops] = peers;
      const circuit = await origin!.node.build(hops.map((p) => p.key));
      await push(circuit, 64 * MiB, far);
      done();
      expect(circuit.state).toBe('ready');
      expect(hops.flatMap((p) => p.events).filter((e) => e.type === 'closed')).toEqual([]);
      await circuit.close();
      // Nothing fronted is lost: every hop ends up paid at least what it carried, however early it passed payments on.
      const carried = (p: Peer) => p.events.filter((e) => e.type === 'closed').reduce((n, e) => n + (e as { bytes: number }).bytes, 0);
      await until(() => hops.every((p) => carried(p) > 0 && p.paidIn - p.paidOut >= BigInt(carried(p))), 'every hop paid its share');
    }, 60_000);
  }

  it('counts a payout announced on the link as paid while its proposal is on its way, so a round trip longer than the window cuts no honest payer', async () => {
    // No relay: the far end is the first hop, and each payment takes 28 MiB of traffic, more than the window less a step.
    const { peers, far, done } = slowPayer(2, 28 * MiB);
    const circuit = await peers[0]!.node.build([far.key]);
    await push(circuit, 64 * MiB, far);
    done();
    expect(circuit.state).toBe('ready');
    expect(far.events.filter((e) => e.type === 'closed')).toEqual([]);
  }, 60_000);

  it('keeps counting payouts in flight for an honest payer one of whose payments failed and was paid again later', async () => {
    // The first payout times out (a ledger under load) and the clock passes the time a payout may travel: the
    // next payment, which carries the failed one's tokens too, covers it, so it does not lapse. Each payment
    // then takes 28 MiB of traffic to be countersigned: without credit for those in flight the payer is cut.
    let failed = false;
    let advanced = 0;
    let finished = false;
    const m = mesh(2, {
      payments: true,
      failPay: () => {
        // The retry comes after the time the failed payout's announcement may count for.
        if (failed) m.advance(advanced++ === 0 ? PAYOUT_IN_FLIGHT_MS + 1 : 0);
        return failed ? false : (failed = true);
      },
      payDelay: () => {
        if (advanced === 0) return Promise.resolve();
        const start = far!.received.length;
        return until(() => finished || far!.received.length - start >= (28 * MiB) / MAX_DATA_BYTES, 'the slow payment', 60_000);
      },
    });
    const [origin, far] = m.peers;
    const circuit = await origin!.node.build([far!.key]);
    await push(circuit, 96 * MiB, far!);
    finished = true;
    expect(failed).toBe(true);
    expect(circuit.state).toBe('ready');
    expect(far!.events.filter((e) => e.type === 'closed')).toEqual([]);
  }, 60_000);

  it("counts payouts in flight toward the key's window too: a new circuit right after a closed one whose payments are still on their way is neither refused nor cut", async () => {
    // No relay: the far end is the only hop. Every payout is announced, then held until the test lets them through.
    let held = true;
    const failures: string[] = [];
    const { peers } = mesh(2, { payments: true, payDelay: () => until(() => !held, 'the payments to go through', 60_000), onPayFailed: (amount, err) => failures.push(`${amount}: ${err.message}`) });
    const [origin, far] = peers;
    const first = await origin!.node.build([far!.key]);
    await push(first, 40 * MiB, far!);
    await first.close(); // its final payment is announced, and held: the key owes more than its window and a step
    const second = await origin!.node.build([far!.key]);
    await push(second, 8 * MiB, far!);
    // The key owes more than its window plus a step for each of its two circuits: all of it announced and on its way.
    expect(far!.node.owedBy(origin!.key)).toBeGreaterThan(BigInt(RELAY_UNPAID_WINDOW_BYTES + 2 * PAYOUT_STEP_MAX_BYTES));
    expect(second.state).toBe('ready');
    held = false;
    await second.close();
    // A failed payment is tried again for a while: wait as long as its tries take, and say what is still owed and why payments failed.
    await until(() => far!.node.owedBy(origin!.key) <= 0n, 'the payments', PAYMENT_TRIES_SPAN_MS).catch((err: Error) => {
      throw new Error(`${err.message}: ${far!.node.owedBy(origin!.key)} owed; failed payments: ${JSON.stringify(failures)}`);
    });
    expect(far!.events.filter((e) => e.type === 'closed').map((e) => (e as { reason: string }).reason)).toEqual(['requested', 'requested']);
  }, 60_000);

  it('cuts a payer that announces payouts and never proposes them within one window more at most, and its key is refused once they lapse', async () => {
    const { peers, advance } = mesh(3, { payments: true, payDelay: (from) => (toHex(from) === toHex(peers[0]!.key) ? new Promise<void>(() => undefined) : Promise.resolve()) });
    const [origin, r1, far] = peers;
    expect(await rideUntilCut(origin!, [r1!.key, far!.key], far!, 80 * MiB)).toBe('unpaid');
    expect(carriedBy(r1!)).toBeLessThanOrEqual(RELAY_UNPAID_WINDOW_BYTES + MAX_IN_FLIGHT_CREDIT_BYTES + 2 * MAX_DATA_BYTES);
    advance(PAYOUT_IN_FLIGHT_MS + 1);
    await expect(origin!.node.build([r1!.key, far!.key])).rejects.toMatchObject({ code: 'unpaid' });
  }, 60_000);

  it('gives a key whose announced payout lapsed no credit for announcements any more, however often it announces afresh', async () => {
    // Each payout is announced, then never proposed; half the time a payout may travel passes before the next step's.
    // No relay: the far end is the only hop, so its own window is what cuts.
    const m = mesh(2, {
      payments: true,
      payDelay: async () => {
        m.advance(PAYOUT_IN_FLIGHT_MS / 2);
        throw new Error('never proposed');
      },
    });
    const [origin, far] = m.peers;
    expect(await rideUntilCut(origin!, [far!.key], far!, 80 * MiB)).toBe('unpaid');
    expect(carriedBy(far!)).toBeLessThanOrEqual(RELAY_UNPAID_WINDOW_BYTES + 2 * MAX_DATA_BYTES);
  }, 60_000);

  it('cuts the circuit of an originator that stops paying, within the unpaid window', async () => {
    const { peers } = mesh(3, { payments: true });
    const [origin, r1, far] = peers;
    origin!.withholding = true;
    const circuit = await origin!.node.build([r1!.key, far!.key]);
    const broken = new Promise<string>((resolve) => (circuit.onBroken = resolve));
    await push(circuit, 40 * MiB, far!).catch(() => undefined);
    expect(await broken).toBe('unpaid');
    const closed = r1!.events.find((e) => e.type === 'closed') as { reason: string; bytes: number };
    expect(closed.reason).toBe('unpaid');
    expect(closed.bytes).toBeLessThanOrEqual(RELAY_UNPAID_WINDOW_BYTES + 2 * MAX_DATA_BYTES);
  });

  it('cuts a circuit at the hop after a relay that keeps the tokens meant for it', async () => {
    const { peers } = mesh(4, { payments: true });
    const [origin, r1, r2, far] = peers;
    r1!.withholding = true;
    const circuit = await origin!.node.build([r1!.key, r2!.key, far!.key]);
    const broken = new Promise<string>((resolve) => (circuit.onBroken = resolve));
    await push(circuit, 40 * MiB, far!).catch(() => undefined);
    expect(await broken).toBe('unpaid');
    expect((r2!.events.find((e) => e.type === 'closed') as { reason: string }).reason).toBe('unpaid');
    expect(r1!.paidIn).toBeGreaterThan(0n); // the originator did pay
  });

  it('holds a non-payer that rebuilds its circuits through the same relay to one window in total', async () => {
    const { peers } = mesh(3, { payments: true });
    const [origin, r1, far] = peers;
    origin!.withholding = true;
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) outcomes.push(await rideUntilCut(origin!, [r1!.key, far!.key], far!, 40 * MiB));
    // Cut once, past the window; from then on its key is refused, whatever circuit it builds.
    expect(outcomes).toEqual(['unpaid', ...Array(4).fill('refused')]);
    expect(carriedBy(r1!)).toBeLessThanOrEqual(RELAY_UNPAID_WINDOW_BYTES + PAYOUT_STEP_MAX_BYTES + 2 * MAX_DATA_BYTES);
    expect(r1!.node.owedBy(origin!.key)).toBe(BigInt(carriedBy(r1!)));
  });

  it("keeps a non-payer's debt across a restart of the relay, written in batches, not per cell", async () => {
    const { peers, restart } = mesh(3, { payments: true });
    const [origin, r1, far] = peers;
    origin!.withholding = true;
    expect(await rideUntilCut(origin!, [r1!.key, far!.key], far!, 40 * MiB)).toBe('unpaid');
    const owed = r1!.node.owedBy(origin!.key);
    expect(owed).toBeGreaterThan(BigInt(RELAY_UNPAID_WINDOW_BYTES));

    const reloaded = await restart(1);
    expect(reloaded.owedBy(origin!.key)).toBe(owed);
    expect(r1!.debtStore.saved.get(toHex(origin!.key))?.debt).toBe(owed);
    expect(r1!.debtStore.writes).toBeLessThanOrEqual(3); // ~180 cells counted, stored in a write or two
    await expect(origin!.node.build([r1!.key, far!.key])).rejects.toMatchObject({ code: 'unpaid' });
  });

  it('never cuts an honest payer whose many circuits through one relay are each up to a step behind', async () => {
    const { peers } = mesh(3, { payments: true });
    const [origin, r1, far] = peers;
    const circuits = await Promise.all(Array.from({ length: 10 }, () => origin!.node.build([r1!.key, far!.key])));
    // Round-robin, so every circuit nears its payment step together: the key is then more than a window behind.
    const cell = new Uint8Array(MAX_DATA_BYTES);
    let sent = 0;
    let mostOwed = 0n;
    for (let round = 0; round * MAX_DATA_BYTES < 8 * MiB; round++) {
      for (const c of circuits) await c.send(cell);
      sent += circuits.length;
      await until(() => far!.received.length >= sent, 'the far end to catch up');
      const owed = r1!.node.owedBy(origin!.key);
      if (owed > mostOwed) mostOwed = owed;
    }
    expect(mostOwed).toBeGreaterThan(BigInt(RELAY_UNPAID_WINDOW_BYTES));
    expect(circuits.every((c) => c.state === 'ready')).toBe(true);
    expect([...r1!.events, ...far!.events].filter((e) => e.type === 'closed')).toEqual([]);
    await Promise.all(circuits.map((c) => c.close()));
    await until(() => r1!.node.owedBy(origin!.key) <= 0n, 'the final payments');
  });

  it('a relay pays the next hop for what it carried for a non-payer, so it stays welcome there', async () => {
    const { peers } = mesh(5, { payments: true, liableAfterMs: 50 });
    const [r1, far, freeRider1, freeRider2, honest] = peers;
    for (const freeRider of [freeRider1!, freeRider2!]) {
      freeRider.withholding = true;
      expect(await rideUntilCut(freeRider, [r1!.key, far!.key], far!, 40 * MiB)).toBe('unpaid');
      // The relay settles with the far end out of its own tokens.
      await until(() => far!.node.owedBy(r1!.key) <= 0n, 'the relay to pay the far end');
    }
    expect(r1!.paidOut).toBeGreaterThan(BigInt(2 * RELAY_UNPAID_WINDOW_BYTES) - BigInt(4 * MAX_DATA_BYTES));
    // Two free riders later, the far end still takes the relay's circuits.
    const circuit = await honest!.node.build([r1!.key, far!.key]);
    await push(circuit, MiB, far!);
    expect(circuit.state).toBe('ready');
  });

  it("cuts the free riders a relay carries at the next hop, not the relay's paying circuits", async () => {
    const { peers } = mesh(5, { payments: true });
    const [r1, far, freeRider1, freeRider2, honest] = peers;
    freeRider1!.withholding = true;
    freeRider2!.withholding = true;
    const [c1, c2, paying] = await Promise.all([freeRider1!, freeRider2!, honest!].map((p) => p.node.build([r1!.key, far!.key])));
    // Side by side, the two free riders put the relay more than its window behind at the far end before the relay cuts either.
    const cell = new Uint8Array(MAX_DATA_BYTES);
    let delivered = far!.received.length;
    for (let round = 0; round * MAX_DATA_BYTES < 40 * MiB && paying!.state === 'ready'; round++) {
      const live = [c1!, c2!, paying!].filter((c) => c.state === 'ready');
      for (const c of live) await c.send(cell).catch(() => undefined);
      delivered += live.length;
      await until(() => far!.received.length >= delivered || live.some((c) => c.state !== 'ready'), 'the far end to catch up');
      delivered = far!.received.length;
    }
    expect([c1!.state, c2!.state, paying!.state]).toEqual(['broken', 'broken', 'ready']);
    await push(paying!, 4 * MiB, far!);
    expect(paying!.state).toBe('ready');
  });

  it("tells the far end what its originator paid through to it beyond the cells it carried (an exit's pay for swarm data), and when the circuit closed", async () => {
    const { peers } = mesh(3, { payments: true });
    const [origin, relay, far] = peers;
    const circuit = await origin!.node.build([relay!.key, far!.key]);
    await push(circuit, 6 * MiB, far!);
    await until(() => far!.ends.length > 0, 'the far end');
    const end = far!.ends[0]!;
    let closed = 0;
    end.onClose(() => closed++);
    // Carriage alone leaves nothing over but the relay's layer on each cell, which the originator pays every hop
    // for: the far end has no one's tokens to pass on. (Not exactly 0: whether those layer bytes show by the first
    // payment depends on whether it lands before or after the cells it paid for; an exact check failed in a full run.)
    await until(() => far!.paidIn > 0n, 'a first payment');
    expect(Number(end.surplus())).toBeLessThan(0.01 * 6 * MiB);
    circuit.payThrough(3n * BigInt(MiB));
    await circuit.close();
    await until(() => end.surplus() >= 3n * BigInt(MiB), 'the payment through to arrive as surplus');
    // Plus the few bytes of the relay's layer on each cell, which the originator pays every hop for.
    expect(Number(end.surplus() - 3n * BigInt(MiB))).toBeLessThan(0.01 * 6 * MiB);
    expect(closed).toBe(1);
    // The relay kept none of it: a relay keeps only its own carriage.
    expect(relay!.paidIn - relay!.paidOut).toBeLessThan(far!.paidIn);
    let late = 0;
    end.onClose(() => late++);
    expect(late).toBe(1);
  });

  it('countersigns only payouts a neighbour announced for a circuit it runs through us', async () => {
    const { peers } = mesh(3, { payments: true });
    const [origin, r1] = peers;
    expect(await r1!.node.acceptPayout(origin!.key, 1000n)).toBe(false);
  }, 15_000);
});
