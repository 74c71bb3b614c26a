import { describe, expect, it } from 'vitest';
import { MAX_DATA_BYTES, PAYOUT_EVERY_BYTES, PAYOUT_JITTER, RELAY_UNPAID_WINDOW_BYTES } from './constants.ts';
import { mesh, until } from './test-support.ts';

const MiB = 1024 * 1024;

/** Sends `bytes` in full cells, a MiB at a time, each once the far end has the previous one (memory links have no flow control). */
async function push(circuit: { send(d: Uint8Array): Promise<void>; state: string }, bytes: number, far: { received: Uint8Array[] }): Promise<void> {
  const cell = new Uint8Array(MAX_DATA_BYTES);
  let cells = 0;
  for (let sent = 0; sent < bytes; sent += cell.length) {
    await circuit.send(cell);
    cells++;
    if (cells % 16 === 0) await until(() => far.received.length >= cells || circuit.state !== 'ready', 'the far end to catch up');
  }
}

describe('relay payouts', () => {
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

  it('countersigns only payouts a neighbour announced for a circuit it runs through us', async () => {
    const { peers } = mesh(3, { payments: true });
    const [origin, r1] = peers;
    expect(await r1!.node.acceptPayout(origin!.key, 1000n)).toBe(false);
  }, 15_000);
});
