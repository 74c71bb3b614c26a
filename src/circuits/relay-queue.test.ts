import { describe, expect, it } from 'vitest';
import { CircuitQueue } from './relay-queue.ts';

/** A link write that resolves when the test says so. */
function gate() {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("a relay's per-circuit queue", () => {
  it('sends cells one at a time, in order, and frees their bytes as the link takes them', async () => {
    const q = new CircuitQueue(1000, () => 0);
    const order: number[] = [];
    const first = gate();
    expect(q.push(300, async () => (await first.opened, void order.push(1)))).toBe(true);
    expect(q.push(300, async () => void order.push(2))).toBe(true);
    expect(q.bytes).toBe(600);
    await Promise.resolve();
    expect(order).toEqual([]);
    first.open();
    await new Promise((r) => setTimeout(r, 0));
    expect(order).toEqual([1, 2]);
    expect(q.bytes).toBe(0);
    // A queue that drained starts again on the next cell.
    expect(q.push(100, async () => void order.push(3))).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(order).toEqual([1, 2, 3]);
  });

  it('refuses a cell past its bound (an end ignoring its window), keeping what it holds', () => {
    const q = new CircuitQueue(1000, () => 0);
    const stuck = new Promise<void>(() => undefined);
    expect(q.push(600, () => stuck)).toBe(true);
    expect(q.push(400, () => stuck)).toBe(true);
    expect(q.push(1, () => stuck)).toBe(false);
    expect(q.bytes).toBe(1000);
  });

  it('tells how long its head has waited for the link, by the clock it is given', async () => {
    let now = 100;
    const q = new CircuitQueue(1000, () => now);
    expect(q.stalledFor(500)).toBe(0);
    const link = gate();
    q.push(10, () => link.opened);
    now = 150;
    expect(q.stalledFor(now)).toBe(50);
    link.open();
    await new Promise((r) => setTimeout(r, 0));
    expect(q.stalledFor(now)).toBe(0);
  });

  it('drops what it holds when closed, and sends nothing more', async () => {
    const q = new CircuitQueue(1000, () => 0);
    const sent: number[] = [];
    const link = gate();
    q.push(10, async () => (await link.opened, void sent.push(1)));
    q.push(7, async () => void sent.push(2));
    q.push(5, async () => void sent.push(3));
    // The head was being written (it may still arrive); the two behind it never left, and closing says how much that was.
    expect(q.close()).toBe(12);
    link.open();
    q.push(10, async () => void sent.push(4));
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([1]);
    expect(q.bytes).toBe(0);
  });

  it("tells a frame queued behind the cells that it was dropped when the queue closes, so a payment behind them goes another way and its sender is not left waiting", async () => {
    const q = new CircuitQueue(1000, () => 0);
    const head = gate();
    const dropped: string[] = [];
    q.push(100, () => head.opened, () => dropped.push('head'));
    q.push(0, async () => undefined, () => dropped.push('payout'));
    q.close();
    // The head's send had begun: it ends as its link lets it, and is not also told it was dropped.
    expect(dropped).toEqual(['payout']);
    q.push(0, async () => undefined, () => dropped.push('late'));
    expect(dropped).toEqual(['payout', 'late']);
    head.open();
  });

  it('goes on after a send fails (a link that went away)', async () => {
    const q = new CircuitQueue(1000, () => 0);
    const sent: number[] = [];
    q.push(10, () => Promise.reject(new Error('gone')));
    q.push(10, async () => void sent.push(2));
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([2]);
  });
});
