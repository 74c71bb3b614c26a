import { describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { toHex } from '../codec/bytes.ts';
import { decodeFrame, encodeFrame, type LinkFrame } from './cell-wire.ts';
import { MAX_CIRCUITS_PER_NEIGHBOUR, MAX_DATA_BYTES } from './constants.ts';
import { CircuitError } from './errors.ts';
import type { MemoryLink } from './memory-link.ts';
import { concat, mesh, rng, until } from './test-support.ts';

/** A relay on `link` flips the last bit of the next frame it sends there, then behaves. */
function alterNextFrame(link: MemoryLink): void {
  const send = link.send.bind(link);
  link.send = (frame) => {
    link.send = send;
    const altered = frame.slice();
    altered[altered.length - 1]! ^= 1;
    return send(altered);
  };
}

describe('circuits', () => {
  it.each([1, 2, 3, 4])('carries data both ways through %i peer(s), each relay seeing only its neighbours', async (hops) => {
    const { peers } = mesh(hops + 1);
    const [origin, ...path] = peers;
    const replies: Uint8Array[] = [];
    const circuit = await origin!.node.build(path.map((p) => p.key), (d) => replies.push(d));
    expect(circuit.state).toBe('ready');
    expect(circuit.pathHex()).toEqual(path.map((p) => toHex(p.key)));

    const payload = rng(99)(3 * MAX_DATA_BYTES + 123);
    await circuit.send(payload);
    const last = path[path.length - 1]!;
    await until(() => last.received.reduce((n, d) => n + d.length, 0) === payload.length, 'data at the last hop');
    expect(concat(last.received)).toEqual(payload);

    await last.ends[0]!.reply(new TextEncoder().encode('pong'));
    await until(() => replies.length === 1, 'the reply');
    expect(new TextDecoder().decode(replies[0])).toBe('pong');

    // Each relay knows only who handed it the circuit.
    path.forEach((p, i) => expect(p.node.relayedCircuits()[0]!.from).toBe(toHex((i === 0 ? origin! : path[i - 1]!).key)));
    for (const p of path.slice(0, -1)) expect(p.received).toEqual([]);
  });

  it('refuses to build through a peer that cannot prove the identity we chose', async () => {
    // Whoever asks for peer 2 is connected to peer 3 instead (a man in the middle).
    const { peers } = mesh(4, { connect: (_from, to) => (toHex(to) === toHex(publicKeyFromSeed(new Uint8Array(32).fill(3))) ? publicKeyFromSeed(new Uint8Array(32).fill(4)) : to) });
    await expect(peers[0]!.node.build([peers[1]!.key, peers[2]!.key])).rejects.toThrow(/prove/);
  });

  it('drops malformed frames and frames for no circuit without disturbing the circuit', async () => {
    const { peers, net } = mesh(3);
    const [origin, r1, r2] = peers;
    const circuit = await origin!.node.build([r1!.key, r2!.key]);
    const link = net.link(origin!.key, r1!.key);
    await link.inject(rng(5)(200)); // garbage
    await link.inject(new Uint8Array([3, 0, 0])); // truncated
    await link.inject(encodeFrame({ type: 'relay', circuitId: circuit.firstHop.circuitId ^ 1, onion: rng(6)(640) })); // no such circuit
    await circuit.send(new Uint8Array([1, 2, 3]));
    await until(() => r2!.received.length === 1, 'the genuine cell');
    expect(r2!.received.map((d) => [...d])).toEqual([[1, 2, 3]]);
    expect(circuit.state).toBe('ready');
    expect([r1!, r2!].map((p) => p.node.relayedCircuits()[0]!.badCells)).toEqual([0, 0]);
  });

  for (const [what, attack] of [
    ['altered on the way by a relay', 'alter'],
    ['replayed into the circuit', 'replay'],
    ['forged into the circuit', 'forge'],
  ] as const) {
    it(`a cell ${what} is never delivered, and the circuit is cut at once (its later cells could not be read)`, async () => {
      const { peers, net } = mesh(3);
      const [origin, r1, r2] = peers;
      const circuit = await origin!.node.build([r1!.key, r2!.key]);
      const broken = new Promise<string>((resolve) => (circuit.onBroken = resolve));
      await circuit.send(new Uint8Array([1, 2, 3]));
      await until(() => r2!.received.length === 1, 'first cell');
      const onward = net.link(r1!.key, r2!.key);
      const last = onward.sent[onward.sent.length - 1]!;
      if (attack === 'alter') {
        // The first relay flips a bit of the next cell it passes on (only the hop it is for can tell).
        alterNextFrame(onward);
        await circuit.send(new Uint8Array([4, 5, 6])).catch(() => undefined);
      } else {
        // The first relay sends a cell on again, or one of its own making.
        const f = decodeFrame(last);
        await onward.inject(attack === 'replay' ? last : encodeFrame({ ...f, onion: rng(7)(f.type === 'relay' ? f.onion.length : 640) } as LinkFrame));
      }
      expect(await broken).toBe('protocol');
      expect(r2!.received.map((d) => [...d])).toEqual([[1, 2, 3]]);
      expect([r1!, r2!].map((p) => p.node.relayedCount)).toEqual([0, 0]);
    });
  }

  it('a backward cell a relay altered is never delivered to the originator, which cuts the circuit at once', async () => {
    const { peers, net } = mesh(3);
    const [origin, r1, r2] = peers;
    const replies: number[][] = [];
    const circuit = await origin!.node.build([r1!.key, r2!.key], (d) => replies.push([...d]));
    const broken = new Promise<string>((resolve) => (circuit.onBroken = resolve));
    await circuit.send(new Uint8Array([1]));
    await until(() => r2!.ends.length === 1, 'the far end');
    await r2!.ends[0]!.reply(new Uint8Array([2]));
    await until(() => replies.length === 1, 'the first reply');
    // The first relay flips a bit of the next cell it passes back (only the originator can tell).
    alterNextFrame(net.link(r1!.key, origin!.key));
    await r2!.ends[0]!.reply(new Uint8Array([3]));
    expect(await broken).toBe('protocol');
    expect(replies).toEqual([[2]]);
  });

  it('cuts a circuit whose cells cannot move on at the next sweep, and the link that brought them keeps serving other circuits', async () => {
    const { peers, net, advance } = mesh(5, { forwardStallMs: 50 });
    const [origin, r1, r2, far, other] = peers;
    const stuck = await origin!.node.build([r1!.key, r2!.key, far!.key]);
    const fine = await origin!.node.build([r1!.key, other!.key]);
    const broken = new Promise<string>((resolve) => (stuck.onBroken = resolve));
    // r2 stops taking frames from r1: r1 queues the circuit's cell, and its reader goes on.
    net.link(r1!.key, r2!.key).send = () => new Promise<void>(() => undefined);
    await stuck.send(new Uint8Array([1]));
    await net.settle();
    await r1!.node.sweep();
    expect(stuck.state).toBe('ready'); // a queue that waited less than forwardStallMs stays
    advance(51);
    await r1!.node.sweep();
    expect(await broken).toBe('timeout');
    expect(r1!.events.some((e) => e.type === 'closed' && e.reason === 'timeout')).toBe(true);
    // r1's reader of the origin's link went on: the other circuit over the same link still carries data.
    await fine.send(new Uint8Array([2]));
    await until(() => other!.received.length === 1, 'data on the other circuit');
  });

  it('fails a build at once when the link to a hop that has not answered closes: no answer can come on it', async () => {
    const { peers, net } = mesh(4);
    const [origin, r1, r2, other] = peers;
    // The first hop has not read the create yet when its link goes.
    net.link(r1!.key, origin!.key).stopReading();
    const first = origin!.node.build([r1!.key]);
    await until(() => net.link(origin!.key, r1!.key).sent.length === 1, 'the create');
    net.link(origin!.key, r1!.key).close();
    await expect(first).rejects.toMatchObject({ code: 'broken' });
    // A create that cannot even be sent (its stream broke since the link was picked) fails as quickly.
    net.link(origin!.key, r1!.key).send = () => Promise.reject(new Error('stream reset'));
    await expect(origin!.node.build([r1!.key])).rejects.toMatchObject({ code: 'broken' });
    // The same for a relay's extend: the originator hears at once that the next hop is unreachable.
    net.link(r2!.key, r1!.key).stopReading();
    const extended = other!.node.build([r1!.key, r2!.key]);
    await until(() => net.link(r1!.key, r2!.key).sent.length === 1, 'the relay’s create to the next hop');
    net.link(r1!.key, r2!.key).close();
    await expect(extended).rejects.toThrow(/could not be reached/);
  });

  it('reports a broken hop to the originator and frees every relay', async () => {
    const { peers, net } = mesh(4);
    const [origin, r1, r2, r3] = peers;
    const circuit = await origin!.node.build([r1!.key, r2!.key, r3!.key]);
    const broken = new Promise<string>((resolve) => (circuit.onBroken = resolve));
    net.link(r2!.key, r3!.key).close();
    expect(await broken).toBe('hop-lost');
    await until(() => r1!.node.relayedCount === 0 && r2!.node.relayedCount === 0 && r3!.node.relayedCount === 0, 'relays to forget the circuit');
    await expect(circuit.send(new Uint8Array(1))).rejects.toBeInstanceOf(CircuitError);
  });

  it('tears circuits down on request, and counts what each relay carried', async () => {
    const { peers } = mesh(3);
    const [origin, r1, r2] = peers;
    const circuit = await origin!.node.build([r1!.key, r2!.key]);
    // The neighbourhood keeps the first hop while the circuit lives (src/net/peer-dialer.ts); the second is no neighbour of ours.
    expect([origin!.node.originatedThrough(r1!.key), origin!.node.originatedThrough(r2!.key)]).toEqual([1, 0]);
    await circuit.send(new Uint8Array(10_000));
    await until(() => r2!.received.length === 1, 'data');
    await circuit.close();
    await until(() => r1!.node.relayedCount === 0 && r2!.node.relayedCount === 0, 'teardown');
    const closed = r1!.events.find((e) => e.type === 'closed');
    expect(closed).toMatchObject({ reason: 'requested' });
    expect(origin!.node.originatedThrough(r1!.key)).toBe(0);
    expect((closed as { bytes: number }).bytes).toBeGreaterThan(10_000);
  });

  it('refuses circuits when relaying is off, and past the per-neighbour limit', async () => {
    const { peers } = mesh(2);
    peers[1]!.relaying = false;
    await expect(peers[0]!.node.build([peers[1]!.key])).rejects.toThrow(/refused/);
    peers[1]!.relaying = true;
    const built = [];
    for (let i = 0; i < MAX_CIRCUITS_PER_NEIGHBOUR; i++) built.push(await peers[0]!.node.build([peers[1]!.key]));
    await expect(peers[0]!.node.build([peers[1]!.key])).rejects.toThrow(/limit/);
    expect(peers[1]!.node.relayedCount).toBe(MAX_CIRCUITS_PER_NEIGHBOUR);
  });

  it('refuses to relay for a proven fraudster', async () => {
    const fraudster = toHex(publicKeyFromSeed(new Uint8Array(32).fill(1)));
    const { peers } = mesh(3, { fraudsters: new Set([fraudster]) });
    await expect(peers[0]!.node.build([peers[1]!.key, peers[2]!.key])).rejects.toThrow(/refused/);
    expect(peers[1]!.node.relayedCount).toBe(0);
    await expect(peers[2]!.node.build([peers[1]!.key])).resolves.toBeDefined();
  });

  it('expires idle circuits, while keepalives hold busy ones open', async () => {
    const { peers, advance } = mesh(3);
    const [origin, r1, r2] = peers;
    const kept = await origin!.node.build([r1!.key, r2!.key]);
    const idle = await origin!.node.build([r1!.key, r2!.key]);
    await idle.close();
    await until(() => r1!.node.relayedCount === 1, 'closed one to go');
    for (let i = 0; i < 6; i++) {
      advance(5_000);
      await origin!.node.sweep();
      await r1!.node.sweep();
      await r2!.node.sweep();
    }
    expect(kept.state).toBe('ready');
    expect(r2!.node.relayedCount).toBe(1);

    // An originator that vanishes stops sending keepalives: the relays let go.
    advance(60_000);
    await r1!.node.sweep();
    await r2!.node.sweep();
    await until(() => r1!.node.relayedCount === 0 && r2!.node.relayedCount === 0, 'expiry');
  });

  it('rejects empty paths and paths of more than three relays before the far end', async () => {
    const { peers } = mesh(6);
    await expect(peers[0]!.node.build([])).rejects.toThrow(/1 to 4 peers/);
    await expect(peers[0]!.node.build(peers.slice(1).map((p) => p.key))).rejects.toThrow(/1 to 4 peers/);
  });
});
