import { afterEach, describe, expect, it } from 'vitest';
import { mesh, rng, until } from '../circuits/test-support.ts';
import { toHex } from '../codec/bytes.ts';
import { EXIT_STREAMS_PER_DOWNLOAD } from './constants.ts';
import type { ExitConnection } from './exit-client.ts';
import { ExitDownloads, type ExitDownload } from './exit-downloads.ts';
import { FakeExit } from './test-support.ts';

const infoHash = toHex(rng(41)(20));
const download: ExitDownload = { infoHash, hops: 1, trackers: ['wss://tracker.example/announce'] };
let running: ExitDownloads | undefined;
afterEach(() => running?.stop());

/** An originator and two exits, A and B (random 0 picks the first usable, so A unless it is avoided). */
function scene() {
  const fakes = [new FakeExit(), new FakeExit()];
  const { peers, net } = mesh(3, { onEndpointData: (peer, end, data) => void fakes[peers.indexOf(peer) - 1]?.onData(end, data) });
  const [origin, a, b] = peers as [(typeof peers)[0], (typeof peers)[0], (typeof peers)[0]];
  const live = [a.key, b.key];
  let clock = 1_000;
  const connections: ExitConnection[] = [];
  const downloads = [download];
  const exits = new ExitDownloads(
    { exits: () => live, isFraudster: () => false, pickRelays: () => [], build: (path, onData) => origin.node.build(path, onData) },
    { exitDownloads: () => downloads, wantsPeers: () => true, addConnection: (_, c) => void connections.push(c) },
    { now: () => clock, random: () => 0 },
  );
  running = exits;
  const open = () => connections.filter((c) => !c.destroyed);
  return { exits, fakes, net, origin, a, b, live, connections, open, downloads, advance: (ms: number) => (clock += ms), status: () => exits.status(infoHash)! };
}

describe('ExitDownloads', () => {
  it('keeps EXIT_STREAMS_PER_DOWNLOAD streams through one exit, beginning another when one ends', async () => {
    const { exits, connections, open, status, a } = scene();
    exits.tick();
    await until(() => open().length === EXIT_STREAMS_PER_DOWNLOAD, 'the streams');
    expect(status()).toMatchObject({ state: 'connected', exit: toHex(a.key), streams: EXIT_STREAMS_PER_DOWNLOAD });
    connections[0]!.destroy();
    await until(() => connections.length === EXIT_STREAMS_PER_DOWNLOAD + 1 && open().length === EXIT_STREAMS_PER_DOWNLOAD, 'a replacement');
  });

  it('replaces an exit whose circuit broke, and avoids it while another exit is there', async () => {
    const { exits, open, status, net, origin, a, b, advance } = scene();
    exits.tick();
    await until(() => open().length === EXIT_STREAMS_PER_DOWNLOAD, 'streams through A');
    net.link(origin.key, a.key).close(); // A leaves (its announcement lingers: it is still listed)
    await until(() => open().length === 0 && status().state === 'waiting', 'the streams gone');
    expect(status().lastError).toMatch(/broke/);
    advance(1_000);
    exits.tick();
    await until(() => status().state === 'connected', 'streams through B');
    expect(status().exit).toBe(toHex(b.key));
    expect(open().every((c) => toHex(c.exitKey) === toHex(b.key))).toBe(true);
  });

  it('says when no exit is connected, backs off, and uses one that appears', async () => {
    const { exits, open, status, live, advance } = scene();
    const [a] = live.splice(0, 2);
    exits.tick();
    expect(status()).toMatchObject({ state: 'no-exit', streams: 0 });
    expect(status().lastError).toMatch(/No exit relay is connected/);
    live.push(a!);
    exits.tick();
    expect(status().state).toBe('no-exit'); // the pause is not over
    advance(status().nextTryAt! - 1_000);
    exits.tick();
    await until(() => open().length === EXIT_STREAMS_PER_DOWNLOAD, 'streams once an exit is there');
  });

  it('drops an exit whose peer sent junk at once, and does not go back to it', async () => {
    const { exits, open, status, connections, net, origin, b, advance } = scene();
    exits.tick();
    await until(() => open().length === EXIT_STREAMS_PER_DOWNLOAD, 'streams through A');
    const throughA = [...connections];
    throughA[0]!.misbehaved('hash-failures');
    await until(() => status().state === 'connected' && status().exit === toHex(b.key), 'streams through B, with no pause');
    expect(throughA.every((c) => c.destroyed)).toBe(true);
    // B's circuit breaks too: an exit that failed is still better than one that sent junk.
    net.link(origin.key, b.key).close();
    await until(() => status().state === 'waiting', 'the break');
    advance(status().nextTryAt! - 1_000);
    exits.tick();
    await until(() => status().state === 'connected', 'streams again');
    expect(status().exit).toBe(toHex(b.key));
  });

  it('asks again after a pause when the exit finds no peer', async () => {
    const { exits, fakes, open, status, advance } = scene();
    fakes[0]!.answer = 'no-peer';
    exits.tick();
    await until(() => status().state === 'waiting' && /no peer/.test(status().lastError ?? ''), 'the refusal');
    fakes[0]!.answer = 'connect';
    exits.tick();
    expect(open()).toEqual([]); // the pause is not over
    advance(status().nextTryAt! - 1_000);
    exits.tick();
    await until(() => open().length === EXIT_STREAMS_PER_DOWNLOAD, 'streams after the pause');
  });

  it('replaces a stream the far side ended only after a pause', async () => {
    const { exits, fakes, net, connections, open, advance } = scene();
    exits.tick();
    await until(() => open().length === EXIT_STREAMS_PER_DOWNLOAD, 'the streams');
    fakes[0]!.reply({ command: 'end', streamId: 1, reason: 'peer-closed' });
    await until(() => open().length === EXIT_STREAMS_PER_DOWNLOAD - 1, 'the end');
    await net.settle(); // nothing in flight: no begin went out
    expect(connections.length).toBe(EXIT_STREAMS_PER_DOWNLOAD);
    advance(1_000);
    exits.tick();
    await until(() => open().length === EXIT_STREAMS_PER_DOWNLOAD, 'the replacement');
  });

  it('lets go of a download that leaves the list', async () => {
    const { exits, open, downloads, origin } = scene();
    exits.tick();
    await until(() => open().length === EXIT_STREAMS_PER_DOWNLOAD, 'the streams');
    downloads.pop();
    exits.tick();
    expect(exits.status(infoHash)).toBeUndefined();
    await until(() => open().length === 0 && origin.node.originatedCircuits().length === 0, 'streams and circuit closed');
  });
});
