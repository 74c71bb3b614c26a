import { describe, expect, it } from 'vitest';
import { Readable } from 'streamx';
import { connectionOver } from './circuit-connection.ts';
import type { EndToEnd } from './hidden-service.ts';

const BLOCK = 16 * 1024;

/** A session whose every send takes a turn of the event loop (a link write), recording each batch's size. */
function slowSession() {
  const batches: number[] = [];
  const session = {
    send: (data: Uint8Array) => {
      batches.push(data.length);
      return new Promise<void>((resolve) => setImmediate(resolve));
    },
    close: async () => undefined,
    onData: undefined as unknown,
    circuit: { onBroken: undefined as unknown, path: [new Uint8Array(32)], payThrough: () => undefined, onPaidFromFarSide: undefined as unknown },
  };
  return { session: session as unknown as EndToEnd, batches };
}

/** A writer like the BitTorrent wire's pipe: one block per write, and it waits whenever the stream says it is full. */
function blocks(count: number): Readable {
  let made = 0;
  return new Readable({
    read(cb) {
      this.push(made++ < count ? new Uint8Array(BLOCK).fill(made) : null);
      cb(null);
    },
  });
}

describe('a circuit connection', () => {
  it('batches what a back-pressured writer queues while a send is on its way, so cells fill', async () => {
    const { session, batches } = slowSession();
    const conn = connectionOver(session);
    const finished = new Promise<void>((resolve) => conn.on('finish', () => resolve()));
    blocks(64).pipe(conn);
    await finished;
    expect(batches.reduce((a, b) => a + b, 0)).toBe(64 * BLOCK);
    // The first block goes alone; the rest queue behind it and leave in a few large batches, not one block at a time.
    expect(batches.length).toBeLessThanOrEqual(4);
    expect(Math.max(...batches)).toBeGreaterThanOrEqual(32 * BLOCK);
  });

  it('ends with the reason when its circuit breaks', async () => {
    const { session } = slowSession();
    const conn = connectionOver(session);
    const closed = new Promise<Error>((resolve) => conn.on('error', resolve));
    (session.circuit as unknown as { onBroken: (reason: string) => void }).onBroken('hop-lost');
    expect((await closed).message).toBe('the circuit broke (hop-lost)');
  });
});
