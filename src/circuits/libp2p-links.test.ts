/** A circuit link over in-memory libp2p streams (streamPair): its reader, its flow control, its test tap. */
import { lpStream, streamPair } from '@libp2p/utils';
import { describe, expect, it } from 'vitest';
import { CREDIT_FRAME_TYPE, encodeFrame } from './cell-wire.ts';
import { MAX_FRAME_BYTES } from './constants.ts';
import { toHex } from '../codec/bytes.ts';
import { StreamLink } from './libp2p-links.ts';
import type { CircuitSeams } from './seams.ts';
import { rng, until } from './test-support.ts';

const KEY = new Uint8Array(32).fill(9);

/** A link reading one end of a stream pair into `received`; `peer` writes raw frames at the other end and reads what the link sends. */
async function link(seams?: CircuitSeams) {
  const [outbound, inbound] = await streamPair();
  const l = new StreamLink(KEY, inbound, seams);
  const received: Uint8Array[] = [];
  const ended = l.readFrames(() => ({
    receive: async (_link, frame) => {
      received.push(frame.slice());
    },
  }));
  return { link: l, received, ended, peer: lpStream(outbound) };
}

describe('StreamLink', () => {
  it('hands frames that do not decode to the circuits to drop, a malformed credit frame among them, and keeps the link', async () => {
    const { link: l, received, peer } = await link();
    const bad = [
      new Uint8Array([CREDIT_FRAME_TYPE, 0, 0, 0, 0, 1]), // credit, one byte short
      new Uint8Array([CREDIT_FRAME_TYPE]),
      encodeFrame({ type: 'credit', circuitId: 0, bytes: 1 }).slice(0, 7),
      new Uint8Array([0xff, 1, 2]), // no such frame type
      rng(3)(MAX_FRAME_BYTES), // garbage as large as a frame may be, twice: past a credit's worth
      rng(4)(MAX_FRAME_BYTES),
      new Uint8Array(0),
    ];
    const genuine = encodeFrame({ type: 'relay', circuitId: 7, onion: new Uint8Array([1, 2, 3]) });
    for (const f of [...bad, genuine]) await peer.write(f);
    await until(() => received.length === bad.length + 1, 'every frame at the circuits');
    expect(received).toEqual([...bad, genuine]);
    expect(l.closed).toBe(false);
    // Malformed frames count as processed: the sender gets its window back for them.
    const credit = (await peer.read()).subarray();
    expect(credit[0]).toBe(CREDIT_FRAME_TYPE);
    expect(new DataView(credit.buffer, credit.byteOffset).getUint32(5)).toBe(bad.reduce((n, f) => n + f.length, 0));
  });

  it('takes well-formed credit for its window, not to the circuits', async () => {
    const { link: l, received, peer } = await link();
    const destroy = encodeFrame({ type: 'destroy', circuitId: 1, reason: 'requested' });
    await l.send(destroy);
    expect(l.window.inFlight).toBe(destroy.length);
    await peer.write(encodeFrame({ type: 'credit', circuitId: 0, bytes: destroy.length }));
    await until(() => l.window.inFlight === 0, 'the credit');
    expect(received).toEqual([]);
  });

  it('ends the link on a frame over MAX_FRAME_BYTES: its length prefix cannot be trusted', async () => {
    const { link: l, received, ended, peer } = await link();
    await peer.write(new Uint8Array(MAX_FRAME_BYTES + 1));
    await ended;
    expect(l.closed).toBe(true);
    expect(received).toEqual([]);
  });

  it('lets a test tap, through the seam, see each frame before it goes and slip others in ahead, through the window', async () => {
    const seams: CircuitSeams = {};
    const { link: l, peer } = await link(seams);
    const seen: Uint8Array[] = [];
    seams.linkTap = (keyHex) =>
      keyHex !== toHex(KEY)
        ? undefined
        : async (frame, tapped, inject) => {
            seen.push(frame);
            expect(tapped.closed).toBe(false);
            await inject(new Uint8Array([0xee]));
          };
    const genuine = encodeFrame({ type: 'relay', circuitId: 7, onion: new Uint8Array([1, 2, 3]) });
    await l.send(genuine);
    seams.linkTap = undefined;
    expect(seen).toEqual([genuine]);
    expect((await peer.read()).subarray()).toEqual(new Uint8Array([0xee]));
    expect((await peer.read()).subarray()).toEqual(genuine);
    expect(l.window.inFlight).toBe(genuine.length + 1);
    // Untapped, frames go straight out.
    await l.send(genuine);
    expect((await peer.read()).subarray()).toEqual(genuine);
    expect(seen).toHaveLength(1);
  });
});
