import { describe, expect, it, vi } from 'vitest';
import type { OriginCircuit } from '../circuits/circuit-node.ts';
import { concat, mesh, rng, until, type Peer } from '../circuits/test-support.ts';
import { bytesEqual } from '../codec/bytes.ts';
import { EXIT_BEGIN_TIMEOUT_MS, EXIT_SENDME_EVERY_BYTES, EXIT_STREAM_WINDOW_BYTES, MAX_STREAMS_PER_CIRCUIT } from './constants.ts';
import { ExitCircuitClient, ExitStreamError, type ExitConnection } from './exit-client.ts';
import { btHandshake, chunksOf, FakeExit, total } from './test-support.ts';
import { immediateTimers, manualTimers } from '../circuits/test-timers.ts';
import { STREAM_COALESCE_GAP_MS } from '../circuits/constants.ts';
import type { CoalescerTimers } from '../circuits/write-coalescer.ts';
import { MAX_EXIT_DATA_BYTES } from './exit-wire.ts';

const infoHash = rng(40)(20);
const handshake = (peerId: number) => btHandshake(infoHash, peerId);
const trackers = ['wss://tracker.example/announce'];

/** An originator, one relay, and the fake exit, with the circuit's client. */
async function scene(timers: CoalescerTimers = immediateTimers) {
  const exit = new FakeExit();
  let exitPeer: Peer | undefined;
  const { peers, net } = mesh(3, { onEndpointData: (peer, end, data) => peer === exitPeer && exit.onData(end, data) });
  const [origin, relay] = peers;
  exitPeer = peers[2]!;
  let circuit: OriginCircuit | undefined;
  const client = await ExitCircuitClient.open((path, onData) => origin!.node.build(path, onData).then((c) => (circuit = c)), [relay!.key, exitPeer.key], timers);
  return { exit, client, circuit: circuit!, net, origin: origin!, relay: relay!, exitPeer };
}

/** Everything a connection yields, as it comes. */
function reader(c: ExitConnection): Uint8Array[] {
  const got: Uint8Array[] = [];
  c.on('data', (d) => got.push(d as Uint8Array));
  c.on('error', () => undefined);
  return got;
}

const closed = (c: ExitConnection) => new Promise<void>((resolve) => c.once('close', () => resolve()));

describe('ExitCircuitClient', () => {
  it('carries a stream both ways intact across many messages and window refills', async () => {
    const { exit, client } = await scene();
    expect(client.exitKey).toBeDefined();
    const c = await client.begin(infoHash, trackers);
    expect(client.openStreams).toBe(1);
    const got = reader(c);
    const up = concat([handshake(1), rng(1)(2 * EXIT_STREAM_WINDOW_BYTES + 1234)]);
    const down = concat([handshake(2), rng(2)(2 * EXIT_STREAM_WINDOW_BYTES + 4321)]);
    // Written in pieces, as a wire writes its messages.
    for (let at = 0; at < up.length; at += 100_000) c.write(up.subarray(at, at + 100_000));
    await exit.fromPeer(1, down);
    await until(() => total(got) === down.length && total(exit.toSwarm.get(1) ?? []) === up.length, 'both directions');
    // (bytesEqual: toEqual walks megabytes element by element)
    expect(bytesEqual(concat(got), down)).toBe(true);
    expect(bytesEqual(concat(exit.toSwarm.get(1)!), up)).toBe(true);
    expect(exit.refusals).toEqual([]);
    expect(c).toMatchObject({ remoteAddress: 'circuit', connected: true, pathLength: 2, peerTag: '0101010101010101' });
  });

  it("holds the wire's writes into full cells: a burst leaves in whole cells, the rest once the writer pauses", async () => {
    const clock = manualTimers();
    const { exit, client } = await scene(clock.timers);
    const c = await client.begin(infoHash, trackers);
    // A handshake and 24 blocks' worth of small writes, as a wire writes them: two full cells and some over.
    const up = concat([handshake(1), rng(6)(24 * 16 * 1024)]);
    const pieces = [up.subarray(0, handshake(1).length), ...Array.from({ length: 24 }, (_, i) => up.subarray(handshake(1).length + i * 16 * 1024, handshake(1).length + (i + 1) * 16 * 1024))];
    for (const p of pieces) c.write(p);
    const sent = () => total(exit.toSwarm.get(1) ?? []);
    await until(() => sent() === 2 * MAX_EXIT_DATA_BYTES, 'the whole cells');
    // A round trip on the same circuit: a cell sent before its answer would have arrived.
    await client.begin(infoHash, trackers);
    expect(exit.toSwarm.get(1)!.map((p) => p.length)).toEqual([MAX_EXIT_DATA_BYTES, MAX_EXIT_DATA_BYTES]);
    await clock.advance(STREAM_COALESCE_GAP_MS);
    await until(() => sent() === up.length, 'the rest, after the pause');
    // Two full cells and the rest cut to pad little: 25 messages when sent as written.
    expect(exit.toSwarm.get(1)!.map((p) => p.length)).toEqual([MAX_EXIT_DATA_BYTES, MAX_EXIT_DATA_BYTES, ...chunksOf(up.length - 2 * MAX_EXIT_DATA_BYTES)]);
    expect(bytesEqual(concat(exit.toSwarm.get(1)!), up)).toBe(true);
  });

  it('never sends past the window the exit granted, and goes on when credit comes', async () => {
    const { exit, client } = await scene();
    exit.returnCredit = false; // a swarm peer that takes nothing
    const c = await client.begin(infoHash, trackers);
    const up = concat([handshake(1), rng(3)(EXIT_STREAM_WINDOW_BYTES + 5000)]);
    c.write(up);
    await until(() => total(exit.toSwarm.get(1) ?? []) === EXIT_STREAM_WINDOW_BYTES, 'a window of data');
    // A round trip on the same circuit after it: anything sent past the window would have arrived before the answer.
    await client.begin(infoHash, trackers);
    expect(total(exit.toSwarm.get(1)!)).toBe(EXIT_STREAM_WINDOW_BYTES);
    expect(exit.refusals).toEqual([]);
    // The peer takes it all: credit goes back and the rest follows.
    exit.reply({ command: 'sendme', streamId: 1, bytes: exit.policy.delivered(1, EXIT_STREAM_WINDOW_BYTES) });
    await until(() => total(exit.toSwarm.get(1)!) === up.length, 'the rest of the write');
    expect(bytesEqual(concat(exit.toSwarm.get(1)!), up)).toBe(true);
  });

  it('ends a stream whose exit sends past the window we granted', async () => {
    const { exit, client } = await scene();
    const c = await client.begin(infoHash, trackers);
    c.on('error', () => undefined); // no reader: nothing is taken, so no credit goes back
    const done = closed(c);
    await exit.fromPeer(1, rng(4)(EXIT_STREAM_WINDOW_BYTES + 1), { ignoreWindow: true });
    await done;
    expect(c.endReason).toBe('protocol');
    await until(() => exit.ends.some((e) => e.streamId === 1 && e.reason === 'protocol'), 'the end at the exit');
    expect(client.openStreams).toBe(0);
  });

  it('returns credit only as the reader takes the data', async () => {
    const { exit, client } = await scene();
    const c = await client.begin(infoHash, trackers);
    c.on('error', () => undefined);
    c.pause();
    // Without a reader the exit can send its window and no more: the stream holds it up.
    const sent = exit.fromPeer(1, concat([handshake(2), rng(5)(EXIT_STREAM_WINDOW_BYTES)]));
    await until(() => exit.policy.sendCredit(1) === 0, 'the window used');
    await client.begin(infoHash, trackers); // a round trip: a sendme would have come before its answer
    expect(exit.policy.sendCredit(1)).toBe(0);
    const got = reader(c);
    c.resume();
    await sent;
    await until(() => total(got) === EXIT_STREAM_WINDOW_BYTES + handshake(2).length, 'all of it');
    expect(exit.policy.sendCredit(1)).toBeGreaterThanOrEqual(EXIT_SENDME_EVERY_BYTES);
  });

  it("destroys the connection with the exit's end reason, and rejects a begin the exit ends", async () => {
    const { exit, client } = await scene();
    const c = await client.begin(infoHash, trackers);
    let error: unknown;
    c.on('error', (err: unknown) => (error = err));
    const done = closed(c);
    exit.reply({ command: 'end', streamId: 1, reason: 'peer-closed' });
    await done;
    expect(c.endReason).toBe('peer-closed');
    expect(error).toBeInstanceOf(ExitStreamError);
    expect((error as ExitStreamError).reason).toBe('peer-closed');
    expect(client.openStreams).toBe(0);
    exit.answer = 'no-peer';
    await expect(client.begin(infoHash, trackers)).rejects.toMatchObject({ reason: 'no-peer' });
    expect(exit.ends).toEqual([]); // an end is not answered
  });

  it('sends end when the connection is destroyed', async () => {
    const { exit, client } = await scene();
    const c = await client.begin(infoHash, trackers);
    c.destroy();
    await until(() => exit.ends.length === 1, 'the end');
    expect(exit.ends[0]).toEqual({ streamId: 1, reason: 'done' });
    expect(c.endReason).toBe('done');
    expect(client.openStreams).toBe(0);
  });

  it('destroys every stream when the circuit breaks, and begins no more', async () => {
    const { client, net, origin, relay } = await scene();
    const streams = [await client.begin(infoHash, trackers), await client.begin(infoHash, trackers)];
    for (const s of streams) s.on('error', () => undefined);
    const broken = new Promise<string>((resolve) => (client.onBroken = resolve));
    net.link(origin.key, relay.key).close();
    expect(await broken).toBe('hop-lost');
    expect(streams.map((s) => [s.destroyed, s.endReason])).toEqual([
      [true, 'circuit-broken'],
      [true, 'circuit-broken'],
    ]);
    expect(client.openStreams).toBe(0);
    await expect(client.begin(infoHash, trackers)).rejects.toMatchObject({ reason: 'circuit-broken' });
  });

  it('reports verified bytes to the exit, never more than it sent', async () => {
    const { exit, client } = await scene();
    const c = await client.begin(infoHash, trackers);
    const got = reader(c);
    const down = concat([handshake(2), rng(6)(10_000)]);
    await exit.fromPeer(1, down);
    await until(() => total(got) === down.length, 'the data');
    c.verified(4000);
    c.verified(down.length); // a guard that over-counts: only what the exit sent is reported
    c.verified(1);
    await until(() => exit.verified.length === 2, 'verified reports');
    await client.begin(infoHash, trackers); // a round trip: a third report would have arrived first
    expect(exit.verified).toEqual([
      { streamId: 1, bytes: 4000 },
      { streamId: 1, bytes: down.length - 4000 },
    ]);
    expect(exit.refusals).toEqual([]);
  });

  it('pays through the circuit', async () => {
    const { client, circuit } = await scene();
    const pay = vi.spyOn(circuit, 'payThrough');
    const c = await client.begin(infoHash, trackers);
    c.payThrough(1234n);
    expect(pay).toHaveBeenCalledWith(1234n);
  });

  it('keeps to the streams a circuit may have, and ends a begin the exit never answers', async () => {
    const { exit, client } = await scene();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      exit.answer = 'silent';
      const pending = Array.from({ length: MAX_STREAMS_PER_CIRCUIT }, () => client.begin(infoHash, trackers));
      for (const p of pending) p.catch(() => undefined);
      expect(client.openStreams).toBe(MAX_STREAMS_PER_CIRCUIT);
      await expect(client.begin(infoHash, trackers)).rejects.toMatchObject({ reason: 'limit' });
      vi.advanceTimersByTime(EXIT_BEGIN_TIMEOUT_MS);
      await expect(pending[0]).rejects.toMatchObject({ reason: 'timeout' });
      expect(client.openStreams).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('closing the circuit destroys its streams', async () => {
    const { client } = await scene();
    const c = await client.begin(infoHash, trackers);
    c.on('error', () => undefined);
    await client.close();
    expect(c.destroyed || c.destroying).toBe(true);
    expect(c.endReason).toBe('circuit-closed');
    await expect(client.begin(infoHash, trackers)).rejects.toMatchObject({ reason: 'circuit-closed' });
  });
});
