import { describe, expect, it } from 'vitest';
import type { CircuitWindow } from './circuit-window.ts';
import { CIRCUIT_QUEUE_SLACK_BYTES, CIRCUIT_WINDOW_BYTES, LINK_WINDOW_BYTES, MAX_DATA_BYTES, SENDME_EVERY_BYTES } from './constants.ts';
import type { OriginCircuit } from './origin-circuit.ts';
import { mesh, until, type Peer } from './test-support.ts';

const MiB = 1024 * 1024;
const receivedBy = (p: Peer): number => p.received.reduce((n, d) => n + d.length, 0);
const closedReasons = (p: Peer): string[] => p.events.flatMap((e) => (e.type === 'closed' ? [e.reason] : []));

/** Sends `bytes` in full cells, a few sends at a time (as the probe does). */
async function push(c: OriginCircuit, bytes: number): Promise<void> {
  const cell = new Uint8Array(MAX_DATA_BYTES);
  const inFlight: Promise<void>[] = [];
  for (let sent = 0; sent < bytes; sent += cell.length) {
    const sending = c.send(cell.subarray(0, Math.min(cell.length, bytes - sent)));
    sending.catch(() => undefined); // a cut circuit fails them all: the caller hears it from the one awaited
    inFlight.push(sending);
    if (inFlight.length >= 16) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

/** An originator's end-to-end window, watched by a test. */
const windowOf = (c: OriginCircuit) => (c as unknown as { flow: CircuitWindow }).flow;

/** A circuit tested from its originator, as the relay core sees it: its private sender, to play a hostile end. */
const hostile = (c: OriginCircuit) => c as unknown as { sendTo(hop: number, command: { command: 'sendme'; tag: Uint8Array }): Promise<void> };

describe('end-to-end flow control', () => {
  it('a circuit whose far end stops reading does not stall another on the same links; it waits within its window and then goes on', async () => {
    // Links flow-controlled as libp2p's are. Both circuits cross origin → r1 → r2; one ends at `stalled`, one at `healthy`.
    const { peers, net } = mesh(5, { linkWindowBytes: LINK_WINDOW_BYTES });
    const [origin, r1, r2, stalled, healthy] = peers;
    const stuck = await origin!.node.build([r1!.key, r2!.key, stalled!.key]);
    const fine = await origin!.node.build([r1!.key, r2!.key, healthy!.key]);
    net.link(stalled!.key, r2!.key).stopReading();
    const stuckSending = push(stuck, 16 * MiB);
    // The stalled circuit fills its window (the link to the stalled tab, and r2's queue of it), then its originator waits.
    await until(() => r2!.node.relayedCircuits().some((c) => c.bytes > CIRCUIT_WINDOW_BYTES - 2 * MAX_DATA_BYTES), 'the stalled circuit to fill its window');
    // Without per-circuit queues, r2's reader of r1's link would wait on the stalled link, and so would every circuit on it.
    await push(fine, 16 * MiB);
    await until(() => receivedBy(healthy!) === 16 * MiB, 'the healthy circuit to deliver everything');
    // The stalled one holds no more than its window in the path, and nobody was cut.
    const carried = r2!.node.relayedCircuits().find((c) => c.bytes < 16 * MiB)!;
    expect(carried.bytes).toBeLessThanOrEqual(CIRCUIT_WINDOW_BYTES + CIRCUIT_QUEUE_SLACK_BYTES + 2 * MAX_DATA_BYTES);
    expect(receivedBy(stalled!)).toBe(0);
    expect(stuck.state).toBe('ready');
    net.link(stalled!.key, r2!.key).resumeReading();
    await stuckSending;
    await until(() => receivedBy(stalled!) === 16 * MiB, 'the stalled circuit to finish once its far end reads');
    for (const p of peers) expect(closedReasons(p)).toEqual([]);
  }, 60_000);

  it('keeps the pipe full: each sendme reopens the window while later steps are still unacknowledged', async () => {
    // Were the window one step, the originator would stop at each step until its sendme came back.
    const { peers } = mesh(4, { linkWindowBytes: LINK_WINDOW_BYTES });
    const [origin, r1, r2, far] = peers;
    const c = await origin!.node.build([r1!.key, r2!.key, far!.key]);
    const flow = windowOf(c);
    const outstandingAtSendme: number[] = [];
    const acknowledge = flow.acknowledge.bind(flow);
    flow.acknowledge = (tag) => {
      outstandingAtSendme.push(flow.inFlight);
      return acknowledge(tag);
    };
    await push(c, 8 * MiB);
    await until(() => receivedBy(far!) === 8 * MiB, 'the transfer');
    await until(() => outstandingAtSendme.length === (8 * MiB) / SENDME_EVERY_BYTES, 'a sendme for every step');
    // Every step is acknowledged on its own, and until the last window's, while at least one more step is in flight.
    const beforeTheTail = outstandingAtSendme.slice(0, -CIRCUIT_WINDOW_BYTES / SENDME_EVERY_BYTES);
    expect(beforeTheTail.length).toBeGreaterThan(0);
    for (const outstanding of beforeTheTail) expect(outstanding).toBeGreaterThanOrEqual(2 * SENDME_EVERY_BYTES);
  }, 60_000);

  it('carries data both ways past many steps, acknowledging each direction', async () => {
    const { peers } = mesh(3, { linkWindowBytes: LINK_WINDOW_BYTES });
    const [origin, r1, far] = peers;
    let back = 0;
    const c = await origin!.node.build([r1!.key, far!.key], (d) => (back += d.length));
    await push(c, 8 * MiB);
    await until(() => receivedBy(far!) === 8 * MiB, 'forward data');
    await far!.ends[0]!.reply(new Uint8Array(8 * MiB));
    await until(() => back === 8 * MiB, 'backward data');
    expect(closedReasons(far!)).toEqual([]);
  }, 60_000);

  it('across a rendezvous point, a slow other end slows the sender; one that ignores its window is cut there', async () => {
    // b ignores its window; a stops reading its link from the rendezvous point.
    const { peers, net } = mesh(3, { linkWindowBytes: LINK_WINDOW_BYTES, circuitWindowBytes: (i) => (i === 2 ? 1024 * MiB : undefined) });
    const [a, rp, b] = peers;
    const cookie = new Uint8Array(20).fill(9);
    const aSide = await a!.node.build([rp!.key]);
    const { joined: waiting } = await aSide.waitAt(cookie);
    const bSide = await b!.node.build([rp!.key]);
    await bSide.join(cookie);
    await waiting;
    const broken = new Promise<string>((resolve) => (bSide.onBroken = resolve));
    net.link(a!.key, rp!.key).stopReading();
    // The point takes b's cells into a's circuit only as a's window opens, and acknowledges them only then:
    // past a window of them, b is sending what nobody acknowledged.
    void push(bSide, 4 * CIRCUIT_WINDOW_BYTES + LINK_WINDOW_BYTES).catch(() => undefined);
    expect(await broken).toBe('protocol');
    expect(closedReasons(rp!)).toContain('protocol');
  }, 60_000);

  it('cuts an originator that ignores the window: at a relay, its queue past its bound when the far end stops reading', async () => {
    const { peers, net } = mesh(3, { linkWindowBytes: LINK_WINDOW_BYTES, circuitWindowBytes: (i) => (i === 0 ? 1024 * MiB : undefined) });
    const [origin, r1, far] = peers;
    const c = await origin!.node.build([r1!.key, far!.key]);
    const broken = new Promise<string>((resolve) => (c.onBroken = resolve));
    net.link(far!.key, r1!.key).stopReading();
    void push(c, 4 * CIRCUIT_WINDOW_BYTES).catch(() => undefined);
    expect(await broken).toBe('protocol');
    expect(closedReasons(r1!)).toEqual(['protocol']);
  }, 60_000);

  it('cuts a circuit on a forged sendme, and on one that acknowledges what was never sent', async () => {
    const { peers } = mesh(3);
    const [origin, r1, far] = peers;
    // Nothing sent back yet: any sendme acknowledges cells never sent.
    const early = await origin!.node.build([r1!.key, far!.key]);
    await hostile(early).sendTo(1, { command: 'sendme', tag: new Uint8Array(16) });
    await until(() => closedReasons(far!).length === 1, 'the far end to cut it');
    // Data sent back past a step: a sendme whose tag is not that cell's.
    let back = 0;
    const forged = await origin!.node.build([r1!.key, far!.key], (d) => (back += d.length));
    await forged.send(new Uint8Array(1));
    await until(() => far!.ends.length === 1, 'the far end');
    void far!.ends[0]!.reply(new Uint8Array(CIRCUIT_WINDOW_BYTES)).catch(() => undefined);
    await until(() => back > 0, 'data back');
    await hostile(forged).sendTo(1, { command: 'sendme', tag: new Uint8Array(16).fill(7) });
    await until(() => closedReasons(far!).length === 2, 'the far end to cut it');
    expect(closedReasons(far!)).toEqual(['protocol', 'protocol']);
  }, 60_000);
});
