import { describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { toHex } from '../codec/bytes.ts';
import { encodeFrame } from './cell-wire.ts';
import { IDLE_PLACE_MS, KEEPALIVE_MS, MAX_CIRCUITS_PER_NEIGHBOUR, MAX_RENDEZVOUS_PER_NEIGHBOUR, RENDEZVOUS_WAIT_MS } from './constants.ts';
import { clientStart } from './handshake.ts';
import { idlePlace, RendezvousTable, tableRoom } from './relay-tables.ts';
import { mesh, rng, until, type Peer } from './test-support.ts';
import type { MemoryNetwork } from './memory-link.ts';
import type { OriginCircuit } from './origin-circuit.ts';

/** Lets `ms` pass in keepalive steps, every peer sweeping (sending its keepalives, dropping what timed out) at each. */
async function pass(ms: number, peers: Peer[], advance: (ms: number) => void, net: MemoryNetwork): Promise<void> {
  for (let t = 0; t < ms; t += KEEPALIVE_MS) {
    advance(KEEPALIVE_MS);
    for (const p of peers) await p.node.sweep();
    await net.settle();
  }
}

describe('relay tables (pure)', () => {
  const limits = { total: 4, perNeighbour: 2 };
  const of = (...ns: string[]) => ns.map((neighbour) => ({ neighbour }));

  it('gives each neighbour at most its share, and says which bound was hit', () => {
    expect(tableRoom(of('a'), 'a', limits)).toBeUndefined();
    expect(tableRoom(of('a', 'a'), 'a', limits)).toBe('neighbour-full');
    expect(tableRoom(of('a', 'a'), 'b', limits)).toBeUndefined();
    expect(tableRoom(of('a', 'a', 'b', 'c'), 'd', limits)).toBe('table-full');
  });

  it('gives up the place idle the longest, never an exempt one, and only the full neighbour\'s when its share is what is full', () => {
    const places = [
      { id: 1, neighbour: 'a', busyAt: 100, exempt: false },
      { id: 2, neighbour: 'b', busyAt: 0, exempt: true },
      { id: 3, neighbour: 'b', busyAt: 50, exempt: false },
      { id: 4, neighbour: 'a', busyAt: 900, exempt: false },
    ];
    expect(idlePlace(places, 1000, 500)?.id).toBe(3);
    expect(idlePlace(places, 1000, 500, 'a')?.id).toBe(1);
    expect(idlePlace(places, 1000, 2000)).toBeUndefined();
    expect(idlePlace(places, 1000, 500, 'c')).toBeUndefined();
  });

  it('parks a rendezvous once per cookie, within each neighbour\'s share, and lets it wait only so long', () => {
    const t = new RendezvousTable<string>({ ...limits, waitMs: 60 });
    expect(t.wait('k1', 'c1', 'a', 0)).toBe('waiting');
    expect(t.wait('k1', 'c9', 'b', 0)).toBe('duplicate');
    expect(t.wait('k2', 'c2', 'a', 10)).toBe('waiting');
    expect(t.wait('k3', 'c3', 'a', 10)).toBe('neighbour-full');
    expect(t.wait('k3', 'c3', 'b', 20)).toBe('waiting');
    expect(t.wait('k4', 'c4', 'c', 20)).toBe('waiting');
    expect(t.wait('k5', 'c5', 'd', 20)).toBe('table-full');
    expect(t.holds('c2')).toBe(true);
    expect(t.take('k2')).toBe('c2');
    expect(t.take('k2')).toBeUndefined();
    expect(t.expire(59)).toEqual([]);
    expect(t.expire(60)).toEqual(['c1']);
    t.drop('c3');
    expect(t.size).toBe(1);
  });
});

describe('a relay\'s tables against one greedy neighbour', () => {
  it('counts a neighbour\'s circuits across all its streams: four streams fill only its share, and another neighbour is still served', async () => {
    const { net, peers } = mesh(3);
    const [greedy, relay, honest] = peers;
    const streams = [0, 1, 2, 3].map(() => net.parallelLink(greedy!.key, relay!.key));
    let id = 1;
    for (const link of streams) for (let i = 0; i < MAX_CIRCUITS_PER_NEIGHBOUR; i++) await link.send(encodeFrame({ type: 'create', circuitId: id++, X: clientStart(rng(id)).publicKey }));
    await Promise.all(streams.map((l) => l.drained()));
    expect(relay!.node.relayedCount).toBe(MAX_CIRCUITS_PER_NEIGHBOUR);
    // The refusals were said, not left to time out.
    const refused = streams.flatMap((l) => l.peer.sent).filter((f) => f[0] === 4);
    expect(refused).toHaveLength(3 * MAX_CIRCUITS_PER_NEIGHBOUR);
    await expect(honest!.node.build([relay!.key])).resolves.toBeDefined();
  });

  it('a neighbour whose creates fail their handshake keeps no place: its share is whole for its next circuits', async () => {
    const { net, peers } = mesh(2);
    const [neighbour, relay] = peers;
    const link = net.parallelLink(neighbour!.key, relay!.key);
    // A key of small order: the relay admits the create, then the handshake fails.
    for (let id = 1; id <= MAX_CIRCUITS_PER_NEIGHBOUR; id++) await link.send(encodeFrame({ type: 'create', circuitId: id, X: new Uint8Array(32) }));
    await link.drained();
    expect(link.peer.sent.filter((f) => f[0] === 4)).toHaveLength(MAX_CIRCUITS_PER_NEIGHBOUR);
    for (let i = 0; i < MAX_CIRCUITS_PER_NEIGHBOUR; i++) await neighbour!.node.build([relay!.key]);
    expect(relay!.node.relayedCount).toBe(MAX_CIRCUITS_PER_NEIGHBOUR);
  });

  it('an idle circuit kept alive only by keepalives gives its place to a new one; a busy one keeps it', async () => {
    const { net, peers, advance } = mesh(2);
    const [neighbour, relay] = peers;
    const built: OriginCircuit[] = [];
    for (let i = 0; i < MAX_CIRCUITS_PER_NEIGHBOUR; i++) built.push(await neighbour!.node.build([relay!.key]));
    await expect(neighbour!.node.build([relay!.key])).rejects.toThrow(/limit/);
    // Two minutes pass with keepalives every 10 s (the idle timeout keeps away), and data on one circuit only.
    await built[0]!.send(rng(5)(100_000));
    await pass(IDLE_PLACE_MS, [neighbour!, relay!], advance, net);
    const fresh = await neighbour!.node.build([relay!.key]);
    expect(fresh.state).toBe('ready');
    expect(relay!.node.relayedCount).toBe(MAX_CIRCUITS_PER_NEIGHBOUR);
    await until(() => built.filter((c) => c.state === 'broken').length === 1, 'one idle circuit gave its place up');
    expect(built[0]!.state).toBe('ready');
  });

  it('a create that is refused takes no idle circuit\'s place: a proven fraudster evicts nobody from a full table', async () => {
    const fraudster = publicKeyFromSeed(new Uint8Array(32).fill(7));
    const { net, peers, advance } = mesh(7, { fraudsters: new Set([toHex(fraudster)]) });
    const relay = peers[4]!;
    const built: OriginCircuit[] = [];
    for (const filler of peers.slice(0, 4)) for (let i = 0; i < MAX_CIRCUITS_PER_NEIGHBOUR; i++) built.push(await filler.node.build([relay.key]));
    await pass(IDLE_PLACE_MS, [...peers.slice(0, 5)], advance, net);
    expect(relay.node.relayedCount).toBe(4 * MAX_CIRCUITS_PER_NEIGHBOUR);
    await expect(peers[6]!.node.build([relay.key])).rejects.toThrow(/refused/);
    expect(built.filter((c) => c.state !== 'ready')).toEqual([]);
    // An honest newcomer does take an idle place.
    await expect(peers[5]!.node.build([relay.key])).resolves.toBeDefined();
    await until(() => built.filter((c) => c.state === 'broken').length === 1, 'one idle circuit gave its place up');
  });

  it('a rendezvous table filled by one neighbour still serves another, and the greedy one is told it is full', async () => {
    const { peers } = mesh(4);
    const [greedy, rp, seeder, downloader] = peers;
    for (let i = 0; i < MAX_RENDEZVOUS_PER_NEIGHBOUR; i++) await (await greedy!.node.build([rp!.key])).waitAt(rng(100 + i)(20));
    const over = await greedy!.node.build([rp!.key]);
    await expect(over.waitAt(rng(99)(20))).rejects.toThrow(/refused/);

    const cookie = rng(7)(20);
    const { joined: waiting } = await (await seeder!.node.build([rp!.key])).waitAt(cookie);
    await (await downloader!.node.build([rp!.key])).join(cookie);
    await expect(waiting).resolves.toBeUndefined();
  });

  it('a rendezvous point lets a circuit wait only RENDEZVOUS_WAIT_MS, whatever its originator does', async () => {
    const { net, peers, advance } = mesh(2);
    const [end, rp] = peers;
    let outcome: string | undefined;
    void (await (await end!.node.build([rp!.key])).waitAt(rng(8)(20))).joined.then(
      () => (outcome = 'joined'),
      (err: unknown) => (outcome = String(err)),
    );
    // Keepalives go on every 10 s (they keep the circuit, not the wait) until the point gives up.
    let waited = 0;
    while (outcome === undefined && waited <= RENDEZVOUS_WAIT_MS + 2 * KEEPALIVE_MS) {
      await pass(KEEPALIVE_MS, [end!, rp!], advance, net);
      waited += KEEPALIVE_MS;
    }
    expect(outcome).toMatch(/nobody joined in time/);
    expect(waited).toBeGreaterThanOrEqual(RENDEZVOUS_WAIT_MS);
    expect(waited).toBeLessThanOrEqual(RENDEZVOUS_WAIT_MS + 2 * KEEPALIVE_MS);
  });
});
