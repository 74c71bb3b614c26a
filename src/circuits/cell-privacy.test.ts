import { describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { decodeFrame, encodeFrame } from './cell-wire.ts';
import { CELL_SIZE_BLOCK, CELL_SIZE_CONTROL, CELL_SIZE_SHORT, IDLE_TIMEOUT_MS, MAX_PATH_LENGTH } from './constants.ts';
import { mesh, until, type Peer } from './test-support.ts';
import type { MemoryNetwork } from './memory-link.ts';

/** Onion sizes of the relay frames `from` sent `to`, from frame `since` on. */
const onions = (net: MemoryNetwork, from: Peer, to: Peer, since = 0): number[] =>
  net
    .link(from.key, to.key)
    .sent.slice(since)
    .map((b) => decodeFrame(b))
    .flatMap((f) => (f.type === 'relay' ? [f.onion.length] : []));
const frameTypes = (net: MemoryNetwork, from: Peer, to: Peer): number[] => net.link(from.key, to.key).sent.map((b) => b[0]!);

describe('what relays learn from cells', () => {
  it('keepalives travel inside the onion to the last hop, which drops them; no keepalive frame crosses a link', async () => {
    const { peers, net, advance } = mesh(4, { payments: true });
    const [origin, r1, r2, r3] = peers;
    const circuit = await origin!.node.build([r1!.key, r2!.key, r3!.key]);
    const path = [origin!, r1!, r2!, r3!];
    const before = path.slice(0, -1).map((p, i) => net.link(p.key, path[i + 1]!.key).sent.length);
    const carried = r1!.node.relayedCircuits()[0]!.bytes;
    const counted = circuit.onionBytes;
    for (let i = 0; i < 4; i++) {
      advance(IDLE_TIMEOUT_MS / 2);
      await origin!.node.sweep();
      await net.settle();
      for (const relay of [r1!, r2!, r3!]) await relay.node.sweep();
    }
    // The relays kept the circuit (each keepalive refreshed every hop), well past the idle timeout.
    expect(circuit.state).toBe('ready');
    expect([r1!, r2!, r3!].map((p) => p.node.relayedCount)).toEqual([1, 1, 1]);
    // Each hop passed on ordinary relay cells, one per keepalive, of the control class; never a keepalive frame.
    const first = onions(net, origin!, r1!, before[0]);
    expect(first).toEqual([CELL_SIZE_CONTROL, CELL_SIZE_CONTROL, CELL_SIZE_CONTROL, CELL_SIZE_CONTROL]);
    for (let i = 0; i < 3; i++) {
      expect(onions(net, path[i]!, path[i + 1]!, before[i])).toEqual(first);
      expect(frameTypes(net, path[i]!, path[i + 1]!)).not.toContain(5);
    }
    // The last hop dropped them: nothing reached its endpoint, nothing came back.
    expect(r3!.received).toEqual([]);
    expect(r3!.ends).toEqual([]);
    // Billed as any cell: the first hop counts exactly what the originator counts as carried.
    expect(r1!.node.relayedCircuits()[0]!.bytes - carried).toBe(circuit.onionBytes - counted);
    expect(circuit.onionBytes - counted).toBe(first.reduce((a, b) => a + b, 0));
  });

  it('a relay drops a link keepalive frame (type 5 of 1.0.0) and passes nothing on', async () => {
    const { peers, net } = mesh(3);
    const [origin, r1, r2] = peers;
    const circuit = await origin!.node.build([r1!.key, r2!.key]);
    const sent = net.link(r1!.key, r2!.key).sent.length;
    await net.link(origin!.key, r1!.key).inject(new Uint8Array([5, ...encodeFrame({ type: 'destroy', circuitId: circuit.firstHop.circuitId, reason: 'requested' }).subarray(1, 5)]));
    await net.settle();
    expect(net.link(r1!.key, r2!.key).sent.length).toBe(sent);
    expect(r1!.node.relayedCount).toBe(1);
  });

  it('pads onions to their class, and a cell keeps its size at every hop both ways: relays see the same sizes whatever the payload inside a class', async () => {
    const { peers, net } = mesh(5);
    const [origin, ...path] = peers;
    const replies: Uint8Array[] = [];
    const circuit = await origin!.node.build(path.map((p) => p.key), (d) => replies.push(d));
    const hops = [origin!, ...path];
    const marks = hops.slice(0, -1).map((p, i) => net.link(p.key, hops[i + 1]!.key).sent.length);
    const payloads = [1, 100, 400, 1000, 3000, 5000, 16 * 1024 + 200];
    for (const n of payloads) await circuit.send(new Uint8Array(n));
    const far = path[path.length - 1]!;
    await until(() => far.received.length === payloads.length, 'the data');
    const classOf = [CELL_SIZE_CONTROL, CELL_SIZE_CONTROL, CELL_SIZE_CONTROL, CELL_SIZE_SHORT, CELL_SIZE_SHORT, CELL_SIZE_BLOCK, CELL_SIZE_BLOCK];
    for (let i = 0; i < MAX_PATH_LENGTH; i++) expect(onions(net, hops[i]!, hops[i + 1]!, marks[i])).toEqual(classOf);
    // Backward: the far end's cells, and each relay's layer on them, keep the class too.
    const backMarks = hops.slice(1).map((p, i) => net.link(p.key, hops[i]!.key).sent.length);
    for (const n of [1, 300, 3000]) for (let k = 0; k < 4; k++) await far.ends[0]!.reply(new Uint8Array(n));
    await until(() => replies.length === 12, 'the replies');
    const backClass = [...Array(8).fill(CELL_SIZE_CONTROL), ...Array(4).fill(CELL_SIZE_SHORT)];
    for (let i = 0; i < MAX_PATH_LENGTH; i++) {
      expect(onions(net, hops[i + 1]!, hops[i]!, backMarks[i])).toEqual(backClass);
    }
  });

  it('a relay cannot tell its position or the path length from sizes: every link of 1- to 4-peer paths carries the same sizes', async () => {
    const seenOn = new Map<string, number[]>();
    for (let length = 1; length <= MAX_PATH_LENGTH; length++) {
      const { peers, net } = mesh(length + 1);
      const [origin, ...path] = peers;
      const replies: Uint8Array[] = [];
      const circuit = await origin!.node.build(path.map((p) => p.key), (d) => replies.push(d));
      const hops = [origin!, ...path];
      const marks = hops.slice(0, -1).map((p, i) => net.link(p.key, hops[i + 1]!.key).sent.length);
      const backMarks = hops.slice(1).map((p, i) => net.link(p.key, hops[i]!.key).sent.length);
      for (const n of [10, 3000, 16 * 1024]) await circuit.send(new Uint8Array(n));
      const far = path[path.length - 1]!;
      await until(() => far.received.length === 3, 'the data');
      for (const n of [10, 3000]) await far.ends[0]!.reply(new Uint8Array(n));
      await until(() => replies.length === 2, 'the replies');
      for (let i = 0; i < length; i++) {
        seenOn.set(`path ${length}, hop ${i + 1} forward`, onions(net, hops[i]!, hops[i + 1]!, marks[i]));
        seenOn.set(`path ${length}, hop ${i + 1} backward`, onions(net, hops[i + 1]!, hops[i]!, backMarks[i]).slice(0, 2));
      }
    }
    for (const [where, sizes] of seenOn) {
      expect({ where, sizes }).toEqual({ where, sizes: where.endsWith('forward') ? [CELL_SIZE_CONTROL, CELL_SIZE_SHORT, CELL_SIZE_BLOCK] : [CELL_SIZE_CONTROL, CELL_SIZE_SHORT] });
    }
  });

  it('the originator hears a failure code, worded by itself, never a relay\'s text', async () => {
    const { peers } = mesh(2);
    const nowhere = publicKeyFromSeed(new Uint8Array(32).fill(99));
    const failed = await peers[0]!.node.build([peers[1]!.key, nowhere]).catch((e: Error) => e);
    // The relay's own error ('no such peer', from its link layer) stays with it.
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toBe('could not extend the circuit: the next hop could not be reached');
  });
});
