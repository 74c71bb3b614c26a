/** A circuit link over in-memory libp2p streams (streamPair): its reader, its flow control, its test tap. */
import { lpStream, streamPair } from '@libp2p/utils';
import { describe, expect, it } from 'vitest';
import { CREDIT_FRAME_TYPE, decodeFrame, encodeFrame } from './cell-wire.ts';
import { LINK_WINDOW_BYTES, MAX_FRAME_BYTES } from './constants.ts';
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

  it('reads credit while a frame waits for the window to be answered: a full window does not stall the link', async () => {
    const [outbound, inbound] = await streamPair();
    const l = new StreamLink(KEY, inbound);
    const answer = encodeFrame({ type: 'created', circuitId: 5, Y: new Uint8Array(32), auth: new Uint8Array(32) });
    let answered = false;
    // Like a relay's `create`: its handling sends the `created` on this same link, through the window.
    void l.readFrames(() => ({
      receive: async () => {
        await l.send(answer);
        answered = true;
      },
    }));
    const peer = lpStream(outbound);
    // What we sent that the neighbour has not processed yet fills our window to the byte.
    const overhead = encodeFrame({ type: 'relay', circuitId: 7, onion: new Uint8Array(0) }).length;
    const cell = encodeFrame({ type: 'relay', circuitId: 7, onion: new Uint8Array(LINK_WINDOW_BYTES / 16 - overhead) });
    for (let i = 0; i < 16; i++) await l.send(cell);
    const sent = l.window.inFlight;
    expect(sent).toBe(LINK_WINDOW_BYTES);
    await peer.write(encodeFrame({ type: 'create', circuitId: 5, X: new Uint8Array(32) }));
    // The neighbour processes our cells, and says so behind its create.
    await peer.write(encodeFrame({ type: 'credit', circuitId: 0, bytes: sent }));
    await until(() => answered, 'the created sent, once the credit behind the create is read');
    expect(l.closed).toBe(false);
  });

  it('ends the link of a neighbour that sends past the window it was given', async () => {
    const [outbound, inbound] = await streamPair();
    const l = new StreamLink(KEY, inbound);
    let handling = 0;
    // Nothing is handled (a next hop that does not move), so no credit goes back.
    void l.readFrames(() => ({ receive: () => (handling++, new Promise<void>(() => undefined)) }));
    const peer = lpStream(outbound);
    const cell = encodeFrame({ type: 'relay', circuitId: 7, onion: new Uint8Array(64 * 1024) });
    const within = Math.floor((LINK_WINDOW_BYTES + MAX_FRAME_BYTES) / cell.length);
    // Something of ours in flight, so the neighbour's credit for it shows when the reader got past its frames.
    const ours = encodeFrame({ type: 'destroy', circuitId: 1, reason: 'requested' });
    await l.send(ours);
    for (let i = 0; i < within; i++) await peer.write(cell);
    await peer.write(encodeFrame({ type: 'credit', circuitId: 0, bytes: ours.length }));
    await until(() => l.window.inFlight === 0, 'the credit read behind every frame within the window');
    expect(handling).toBe(1);
    expect(l.closed).toBe(false);
    await peer.write(cell);
    await until(() => l.closed, 'the link closed at the frame past the window');
  });

  it('hands on every frame read before the stream ended, in order, and only then has ended', async () => {
    const [outbound, inbound] = await streamPair();
    const l = new StreamLink(KEY, inbound);
    const received: number[] = [];
    let release = (): void => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const ended = l.readFrames(() => ({
      receive: async (_link, frame) => {
        const { circuitId } = decodeFrame(frame);
        if (circuitId === 1) await slow;
        received.push(circuitId);
      },
    }));
    const peer = lpStream(outbound);
    for (const circuitId of [1, 2, 3]) await peer.write(encodeFrame({ type: 'destroy', circuitId, reason: 'requested' }));
    await outbound.close();
    await until(() => l.closed, 'the end of the stream read while the first frame is still in handling');
    expect(received).toEqual([]);
    release();
    await ended;
    expect(received).toEqual([1, 2, 3]);
  });
});
