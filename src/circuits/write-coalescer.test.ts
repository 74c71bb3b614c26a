import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatBytes } from '../codec/bytes.ts';
import { manualTimers } from './test-timers.ts';
import { WriteCoalescer, type CoalescerTimers } from './write-coalescer.ts';

const LIMITS = { fullBytes: 1000, gapMs: 10, maxHoldMs: 50 };
const settle = () => new Promise((r) => setTimeout(r, 0));

/** Records each send with the clock's time; sends resolve at once unless `gate` holds them. */
function recorder(clock: { timers: CoalescerTimers }) {
  const sends: { at: number; data: Uint8Array }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let gate: Promise<void> | undefined;
  const send = async (data: Uint8Array) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    sends.push({ at: clock.timers.now(), data });
    if (gate !== undefined) await gate;
    inFlight--;
  };
  return {
    sends,
    send,
    maxInFlight: () => maxInFlight,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('WriteCoalescer', () => {
  it('sends a burst in whole full cells at once and the rest when the writer pauses', async () => {
    const clock = manualTimers();
    const r = recorder(clock);
    const c = new WriteCoalescer(LIMITS, r.send, () => undefined, clock.timers);
    // 12 blocks of 200 bytes: 2,400 bytes, two full cells and 400 over.
    for (let i = 0; i < 12; i++) await c.write(bytes(200, i));
    expect(r.sends.map((s) => s.data.length)).toEqual([1000, 1000]);
    await clock.advance(9);
    expect(r.sends).toHaveLength(2);
    await clock.advance(10);
    await settle();
    expect(r.sends.map((s) => s.data.length)).toEqual([1000, 1000, 400]);
  });

  it('takes a batch of writes as one, in order', async () => {
    const clock = manualTimers();
    const r = recorder(clock);
    const c = new WriteCoalescer(LIMITS, r.send, () => undefined, clock.timers);
    await c.write(bytes(600, 1), bytes(600, 2));
    expect(r.sends.map((s) => s.data)).toEqual([concatBytes(bytes(600, 1), bytes(400, 2))]);
    await c.flush();
    expect(r.sends.map((s) => s.data)).toEqual([concatBytes(bytes(600, 1), bytes(400, 2)), bytes(200, 2)]);
  });

  it('sends a lone small write once the writer has paused for the gap, not before', async () => {
    const clock = manualTimers();
    const r = recorder(clock);
    const c = new WriteCoalescer(LIMITS, r.send, () => undefined, clock.timers);
    await c.write(bytes(17));
    await clock.advance(LIMITS.gapMs - 1);
    expect(r.sends).toHaveLength(0);
    await clock.advance(LIMITS.gapMs);
    await settle();
    expect(r.sends).toEqual([{ at: LIMITS.gapMs, data: bytes(17) }]);
  });

  it('holds no byte longer than the longest hold, however steadily the writer trickles', async () => {
    const clock = manualTimers();
    const r = recorder(clock);
    const c = new WriteCoalescer(LIMITS, r.send, () => undefined, clock.timers);
    // A write every 5 ms never leaves a 10 ms gap.
    for (let t = 0; t <= 120; t += 5) {
      await clock.advance(t);
      await c.write(bytes(10));
    }
    await settle();
    expect(r.sends.map((s) => s.at)).toEqual([50, 100]);
  });

  it('keeps the order of writes across full-cell sends and timed ones, and never overlaps sends', async () => {
    const clock = manualTimers();
    const r = recorder(clock);
    const c = new WriteCoalescer(LIMITS, r.send, () => undefined, clock.timers);
    const release = r.hold();
    const written: Uint8Array[] = [];
    const write = (n: number) => {
      const d = bytes(n, written.length + 1);
      written.push(d);
      return c.write(d);
    };
    void write(300);
    await clock.advance(10); // a timed send, held in flight
    const full = write(1200); // one full cell leaves behind it, 200 bytes wait
    await clock.advance(30);
    await settle();
    expect(r.sends).toHaveLength(1);
    release();
    await full;
    await c.flush();
    expect(r.maxInFlight()).toBe(1);
    expect(concatBytes(...r.sends.map((s) => s.data))).toEqual(concatBytes(...written));
  });

  it('holds the writer back while a send is under way', async () => {
    const clock = manualTimers();
    const r = recorder(clock);
    const c = new WriteCoalescer(LIMITS, r.send, () => undefined, clock.timers);
    const release = r.hold();
    const first = c.write(bytes(1000));
    let secondDone = false;
    void c.write(bytes(10)).then(() => (secondDone = true));
    await settle();
    expect(secondDone).toBe(false);
    release();
    await first;
    await settle();
    expect(secondDone).toBe(true);
  });

  it('sends what it holds on flush, and nothing after dispose', async () => {
    const clock = manualTimers();
    const r = recorder(clock);
    const c = new WriteCoalescer(LIMITS, r.send, () => undefined, clock.timers);
    await c.write(bytes(5));
    await c.flush();
    expect(r.sends.map((s) => s.data.length)).toEqual([5]);
    await c.write(bytes(7));
    c.dispose();
    await clock.advance(1000);
    expect(r.sends).toHaveLength(1);
  });

  it('reports a timed send that failed, since no writer awaits it', async () => {
    const clock = manualTimers();
    const errors: Error[] = [];
    const c = new WriteCoalescer(LIMITS, () => Promise.reject(new Error('the circuit broke')), (e) => errors.push(e), clock.timers);
    await c.write(bytes(5));
    await clock.advance(LIMITS.gapMs);
    await settle();
    expect(errors.map((e) => e.message)).toEqual(['the circuit broke']);
  });

  it('delivers every byte in order, within the longest hold, whatever the writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 2500 })), { maxLength: 40 }), async (writes) => {
        const clock = manualTimers();
        const r = recorder(clock);
        const c = new WriteCoalescer(LIMITS, r.send, () => undefined, clock.timers);
        const written: { at: number; data: Uint8Array }[] = [];
        let t = 0;
        for (const [gap, n] of writes) {
          await clock.advance((t += gap));
          const data = bytes(n, written.length % 251);
          written.push({ at: t, data });
          await c.write(data);
        }
        await clock.advance(t + LIMITS.maxHoldMs);
        await settle();
        expect(concatBytes(...r.sends.map((s) => s.data))).toEqual(concatBytes(...written.map((w) => w.data)));
        // Each written byte left no later than maxHoldMs after its write.
        let sentUpTo = 0;
        const leftAt: number[] = [];
        for (const s of r.sends) for (let i = 0; i < s.data.length; i++) leftAt[sentUpTo++] = s.at;
        let at = 0;
        for (const w of written) {
          expect(leftAt[at]! - w.at).toBeLessThanOrEqual(LIMITS.maxHoldMs);
          at += w.data.length;
        }
        // One send at a time, so cells cannot overtake each other.
        expect(r.maxInFlight()).toBeLessThanOrEqual(1);
      }),
      { numRuns: 100 },
    );
  });
});
