import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitWindow, dataCellBytes, type Step } from './circuit-window.ts';
import { CELL_SIZE_BLOCK, CELL_SIZE_FULL, CIRCUIT_WINDOW_BYTES, MAX_DATA_BYTES, SENDME_EVERY_BYTES } from './constants.ts';

const FULL = dataCellBytes(MAX_DATA_BYTES);
const tag = (n: number) => new Uint8Array(16).fill(n);

/** Sends full cells until the window holds the next one back; each cell's step gets a distinct tag. */
async function fill(w: CircuitWindow): Promise<{ steps: Step[]; held: Promise<Step | undefined> }> {
  const steps: Step[] = [];
  for (let n = 1; ; n++) {
    let done = false;
    const next = w.reserve(FULL).then((s) => ((done = true), s));
    await Promise.resolve();
    await Promise.resolve();
    if (!done) return { steps, held: next };
    const step = await next;
    if (step !== undefined) {
      step.tag = tag(n);
      steps.push(step);
    }
  }
}

describe('end-to-end circuit window', () => {
  it('counts a data cell by its size class, and refuses a window that could not move', () => {
    expect(FULL).toBe(CELL_SIZE_FULL);
    expect(dataCellBytes(16 * 1024)).toBe(CELL_SIZE_BLOCK);
    expect(() => new CircuitWindow(SENDME_EVERY_BYTES, SENDME_EVERY_BYTES)).toThrow(RangeError);
    expect(() => new CircuitWindow(CIRCUIT_WINDOW_BYTES, 1024)).toThrow(RangeError);
  });

  it('holds the sender at the window until a sendme with the tag of the cell that completed a step', async () => {
    const w = new CircuitWindow(CIRCUIT_WINDOW_BYTES, SENDME_EVERY_BYTES);
    const { steps, held } = await fill(w);
    expect(w.inFlight).toBeLessThanOrEqual(CIRCUIT_WINDOW_BYTES);
    expect(w.inFlight + FULL).toBeGreaterThan(CIRCUIT_WINDOW_BYTES);
    expect(steps).toHaveLength(Math.floor(w.inFlight / SENDME_EVERY_BYTES));
    expect(w.acknowledge(steps[0]!.tag!)).toBe('ok');
    await held;
    expect(w.waiting).toBe(0);
  });

  it('refuses a sendme an end forges or sends early, and one acknowledging more than was sent', async () => {
    const w = new CircuitWindow(CIRCUIT_WINDOW_BYTES, SENDME_EVERY_BYTES);
    // Nothing sent: nothing to acknowledge.
    expect(w.acknowledge(tag(1))).toBe('unexpected');
    // Cells enough for three steps, and no more waiting.
    const steps: Step[] = [];
    for (let n = 1; steps.length < 3; n++) {
      const step = await w.reserve(FULL);
      if (step !== undefined) steps.push(Object.assign(step, { tag: tag(n) }));
    }
    // A guessed tag, or the second step's before the first: forged.
    expect(w.acknowledge(tag(0xee))).toBe('forged');
    expect(w.acknowledge(steps[1]!.tag!)).toBe('forged');
    const before = w.inFlight;
    for (const s of steps) expect(w.acknowledge(s.tag!)).toBe('ok');
    expect(w.inFlight).toBe(before - steps.length * SENDME_EVERY_BYTES);
    // Every step acknowledged: one more sendme acknowledges cells never sent.
    expect(w.acknowledge(steps[0]!.tag!)).toBe('unexpected');
  });

  it('refuses a sendme for a step whose cell is not sealed yet (its tag unknown to anyone)', async () => {
    const w = new CircuitWindow(CIRCUIT_WINDOW_BYTES, SENDME_EVERY_BYTES);
    let step: Step | undefined;
    while (step === undefined) step = await w.reserve(FULL);
    expect(w.acknowledge(new Uint8Array(16))).toBe('forged');
  });

  it('catches a sender that ignores the window: data past it is refused on receipt', () => {
    const w = new CircuitWindow(CIRCUIT_WINDOW_BYTES, SENDME_EVERY_BYTES);
    let received = 0;
    while (w.received(FULL)) received += FULL;
    expect(received).toBeLessThanOrEqual(CIRCUIT_WINDOW_BYTES);
    expect(received + FULL).toBeGreaterThan(CIRCUIT_WINDOW_BYTES);
  });

  it('sends a sendme per step delivered, with the tag of the cell that completed it', () => {
    const w = new CircuitWindow(CIRCUIT_WINDOW_BYTES, SENDME_EVERY_BYTES);
    const due: (Uint8Array | undefined)[] = [];
    for (let n = 1; n <= 10; n++) {
      expect(w.received(FULL)).toBe(true);
      due.push(w.delivered(FULL, tag(n)));
    }
    const sent = due.flatMap((t, i) => (t === undefined ? [] : [i + 1]));
    expect(sent).toEqual([2, 3, 5, 6, 8, 9, 10].filter((n) => Math.floor((n * FULL) / SENDME_EVERY_BYTES) > Math.floor(((n - 1) * FULL) / SENDME_EVERY_BYTES)));
    expect(due[sent[0]! - 1]).toEqual(tag(sent[0]!));
  });

  it('two honest ends never stall or break the rules, whatever the cell sizes and whenever sendmes come', async () => {
    const sizes = fc.array(fc.nat({ max: MAX_DATA_BYTES }), { minLength: 1, maxLength: 80 });
    await fc.assert(
      fc.asyncProperty(sizes, fc.array(fc.boolean(), { maxLength: 200 }), async (lengths, lazy) => {
        const sender = new CircuitWindow(CIRCUIT_WINDOW_BYTES, SENDME_EVERY_BYTES);
        const receiver = new CircuitWindow(CIRCUIT_WINDOW_BYTES, SENDME_EVERY_BYTES);
        const wire: { bytes: number; tag: Uint8Array }[] = [];
        const sendmes: Uint8Array[] = [];
        let sent = 0;
        let turn = 0;
        const sending = (async () => {
          for (const [i, n] of lengths.entries()) {
            const bytes = dataCellBytes(n);
            const step = await sender.reserve(bytes);
            const t = new Uint8Array(16);
            new DataView(t.buffer).setUint32(0, i + 1);
            if (step !== undefined) step.tag = t;
            wire.push({ bytes, tag: t });
            sent++;
          }
        })();
        // The receiver delivers cells and the sender takes sendmes in an order the property picks.
        while (sent < lengths.length || wire.length > 0) {
          await Promise.resolve();
          if (wire.length > 0 && (lazy[turn++ % Math.max(1, lazy.length)] !== true || sendmes.length === 0)) {
            const cell = wire.shift()!;
            expect(receiver.received(cell.bytes)).toBe(true);
            const due = receiver.delivered(cell.bytes, cell.tag);
            if (due !== undefined) sendmes.push(due);
          } else if (sendmes.length > 0) {
            expect(sender.acknowledge(sendmes.shift()!)).toBe('ok');
          }
          expect(sender.inFlight).toBeLessThanOrEqual(CIRCUIT_WINDOW_BYTES);
        }
        await sending;
      }),
      { numRuns: 60 },
    );
  });

  it('fails what waits for the window, and what asks later, when the circuit closes', async () => {
    const w = new CircuitWindow(CIRCUIT_WINDOW_BYTES, SENDME_EVERY_BYTES);
    const { held } = await fill(w);
    w.close(new Error('gone'));
    await expect(held).rejects.toThrow('gone');
    await expect(w.reserve(1)).rejects.toThrow('gone');
    expect(w.waiting).toBe(0);
  });
});
