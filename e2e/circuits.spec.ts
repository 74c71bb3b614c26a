/**
 * Onion circuits between real tabs over direct WebRTC: layered data through
 * up to three relays, relays that know only their neighbours, refusal when
 * relaying is off, hostile frames dropped without harm to the circuit, and a
 * rebuild when a relay leaves mid-transfer.
 */
import { createHash } from 'node:crypto';
import { RECEIPT_GRACE_MS } from '../src/circuits/constants.ts';
import { EVERY_BROWSER, expect, test } from './support/fixtures.ts';
import { circuits, hooksReady, ledger } from './support/ledger.ts';
import { balance, expectSeeding, sharing } from './support/sharing.ts';
import type { PeerPage } from './support/peer-page.ts';
import type { TestHooks } from '../src/app/test-hooks.ts';

const MiB = 1024 * 1024;

/** Opens `n` peers, each directly connected to every other. */
async function mesh(openPeer: () => Promise<PeerPage>, n: number): Promise<{ peers: PeerPage[]; ids: string[] }> {
  const peers = await Promise.all(Array.from({ length: n }, () => openPeer()));
  const ids = await Promise.all(peers.map((p) => p.peerId()));
  for (const [i, p] of peers.entries()) {
    await hooksReady(p.page);
    await p.expectDirectPeers(ids.filter((_, j) => j !== i));
  }
  return { peers, ids };
}

interface Probe {
  bytes: number;
  rebuilds: number;
  path: string[];
}

/**
 * Waits until `relay` relays the probe's circuit from the key `from`. If it never does, the circuit was
 * rebuilt: the failure says why the origin's circuits failed, and which connections each tab cut.
 */
async function expectRelayedFrom(peers: PeerPage[], relay: PeerPage, from: string): Promise<void> {
  try {
    await expect.poll(async () => (await circuits<{ from: string }[]>(relay.page, 'relayed'))[0]?.from).toBe(from);
  } catch (err) {
    const failures = await circuits<string[]>(peers[0]!.page, 'probeFailures');
    const cuts = await Promise.all(
      peers.map(async (p, i) => `tab ${i}: ${JSON.stringify(await p.page.evaluate(() => (globalThis as unknown as { __trustmesh: TestHooks }).__trustmesh.livenessCuts()).catch((e: Error) => e.message))}`),
    );
    throw new Error(`${(err as Error).message}\nThe probe's circuits that failed: ${failures.join('; ') || 'none'}\nConnections cut for an unanswered ping: ${cuts.join(' | ')}`);
  }
}

test('data crosses three relays intact; each relay knows only its neighbours; a peer that does not relay is routed around', async ({ openPeer }) => {
  const { peers, ids } = await mesh(openPeer, 5);
  const [origin, r1, r2, r3, sink] = peers;
  const keys = await Promise.all(peers.map((p) => circuits<string>(p.page, 'publicKey')));

  const probing = circuits<Probe>(origin!.page, 'probe', ids[4], [ids[1], ids[2], ids[3]], 24 * MiB);
  // While it runs, the middle relay sees the circuit as coming from the first relay, not the origin.
  await expectRelayedFrom(peers, r2!, keys[1]!);
  // The extend to the third relay may still be on its way when the second sees the circuit: wait for it too.
  await expectRelayedFrom(peers, r3!, keys[2]!);
  const result = await probing;
  expect(result.bytes).toBe(24 * MiB);
  for (const r of [r1!, r2!, r3!]) expect(await circuits<number>(r.page, 'relayedBytes')).toBeGreaterThan(24 * MiB);
  expect(await circuits<number>(sink!.page, 'relayedBytes')).toBeGreaterThan(24 * MiB); // the far end is the last hop

  // Every hop was paid at least what it carried, hop by hop: the origin's chain names only the first relay,
  // and no block links the two ends.
  const hops = [r1!, r2!, r3!, sink!];
  for (const hop of hops) {
    const carried = BigInt(await circuits<number>(hop.page, 'relayedBytes'));
    await expect.poll(async () => (await balance(hop.page)).net >= carried, { message: 'hop paid for what it carried' }).toBe(true);
  }
  const originChain = await ledger<{ type: string; counterparty: string; down: string }[]>(origin!.page, 'inspect', keys[0]);
  expect(originChain.length).toBeGreaterThan(0);
  expect(originChain.every((b) => b.type === 'payout' && b.counterparty === keys[1])).toBe(true);
  const sinkChain = await ledger<{ counterparty: string }[]>(sink!.page, 'inspect', keys[4]);
  expect(sinkChain.some((b) => b.counterparty === keys[0])).toBe(false);
  // Once the last pass-on has been countersigned (a relay's signed proposal is its debit before it is the
  // next hop's credit), what the origin paid is exactly what the hops earned: no token made or lost on the way.
  const unsettled = async () => {
    const paidByOrigin = -(await balance(origin!.page)).net;
    const earned = (await Promise.all(hops.map((h) => balance(h.page)))).reduce((n, b) => n + b.net, 0n);
    return paidByOrigin - earned;
  };
  await expect.poll(unsettled, { message: 'tokens the origin paid that no hop earned' }).toBe(0n);

  // The relay's Circuits page shows what it earned; there it stops relaying. It then refuses, and the circuit goes around it.
  await r1!.page.goto(`${r1!.url}#/circuits`);
  await expect(r1!.page.getByTestId('relay-earned')).not.toHaveAttribute('data-bytes', '0');
  await expect.poll(() => circuits<{ connected: number }>(origin!.page, 'relayCounts')).toEqual({ known: 4, connected: 4 });
  await r1!.page.getByTestId('relaying-toggle').uncheck();
  await r1!.page.getByTestId('relaying-save').click();
  await expect(r1!.page.getByTestId('relaying-saved')).toBeVisible();
  // Its signed withdrawal reaches the others through the peer network.
  await expect.poll(() => circuits<{ connected: number }>(origin!.page, 'relayCounts')).toEqual({ known: 3, connected: 3 });
  const around = await circuits<Probe>(origin!.page, 'probe', ids[4], [ids[1]], MiB);
  expect(around.rebuilds).toBe(1);
  expect(around.path).not.toContain(keys[1]);
  expect(around.bytes).toBe(MiB);
});

test('malformed frames are dropped; a cell replayed or forged into a circuit is never delivered, the circuit is cut at once and the transfer goes on over a new one on the same link', async ({ openPeer }) => {
  const { peers, ids } = await mesh(openPeer, 4);
  const [origin, r1, r2] = peers;
  const keys = await Promise.all(peers.map((p) => circuits<string>(p.page, 'publicKey')));
  type Relayed = { from: string; badCells: number };
  const relayedFrom = async (relay: PeerPage, key: string) => (await circuits<Relayed[]>(relay.page, 'relayed')).filter((c) => c.from === key).map((c) => c.badCells);

  // Mid-probe, the origin slips hostile frames onto its link to the first relay, then holds the next genuine cell back.
  const probing = circuits<Probe & { injected: string[]; links: number; linksOpen: boolean }>(origin!.page, 'probeUnderAttack', ids[3], [ids[1], ids[2]], 16 * MiB);
  const hostile = ['garbage', 'malformed credit', 'truncated', 'empty', 'unknown circuit', 'replayed', 'corrupted', 'forged'];
  await expect.poll(() => circuits(origin!.page, 'attackState')).toEqual({ injected: hostile, held: true });
  // Frames that named no circuit (or were no frame) were dropped. The replayed cell went on, the same size as any
  // (layers keep sizes), and reached the last hop as nobody's: it cut the circuit, on both relays.
  await expect.poll(() => relayedFrom(r1!, keys[0]!)).toEqual([]);
  expect(await relayedFrom(r2!, keys[1]!)).toEqual([]);
  await circuits(origin!.page, 'releaseAttack');

  // The probe built a new circuit over the same link, and the far end confirmed every byte.
  const result = await probing;
  expect(result).toMatchObject({ bytes: 16 * MiB, rebuilds: 1, injected: hostile, links: 1, linksOpen: true });
});

test('when a relay leaves mid-transfer, the circuit is rebuilt through another and the transfer completes', async ({ openPeer }) => {
  const { peers, ids } = await mesh(openPeer, 4);
  const [origin, , , sink] = peers;
  const keys = await Promise.all(peers.map((p) => circuits<string>(p.page, 'publicKey')));
  // The relay leaves as soon as the path is known: what is left of 32 MiB (at most a few MiB gone by then) comes over the new circuit.
  const probing = circuits<Probe>(origin!.page, 'probe', ids[3], 1, 32 * MiB);
  await expect.poll(() => circuits<string[] | undefined>(origin!.page, 'currentPath')).toBeDefined();
  const [relayKey] = (await circuits<string[]>(origin!.page, 'currentPath'))!;
  const leaving = peers[keys.indexOf(relayKey!)]!;
  expect([peers[1], peers[2]]).toContain(leaving);
  await leaving.context.close();

  const result = await probing;
  expect(result.bytes).toBe(32 * MiB);
  expect(result.rebuilds).toBeGreaterThanOrEqual(1);
  expect(result.path).not.toContain(relayKey);
  expect(sink).toBeDefined();
});

test('a relay cuts the circuit of an originator that stops paying, within the unpaid window, and refuses its key after, across its own reload', async ({ openPeer }) => {
  const { peers, ids } = await mesh(openPeer, 3);
  const [origin, relay] = peers;
  await circuits(origin!.page, 'setWithholdPayments', true);
  await expect(circuits(origin!.page, 'probe', ids[2], [ids[1]], 96 * MiB)).rejects.toThrow(/unpaid/);
  const carried = await circuits<number>(relay!.page, 'relayedBytes');
  expect(carried).toBeLessThanOrEqual(32 * MiB + 2 * MiB); // RELAY_UNPAID_WINDOW_BYTES and a link window in flight
  expect((await balance(relay!.page)).net).toBeLessThanOrEqual(0n); // paid nothing (it may already have paid the sink its due)

  // The debt is the key's: a new circuit is refused, and still after the relay reloads.
  await expect(circuits(origin!.page, 'probe', ids[2], [ids[1]], MiB)).rejects.toThrow(/refuses new circuits from you/);
  await relay!.page.reload();
  await hooksReady(relay!.page);
  await relay!.expectDirectPeers([ids[0]!, ids[2]!]);
  await expect(circuits(origin!.page, 'probe', ids[2], [ids[1]], MiB)).rejects.toThrow(/refuses new circuits from you/);
  expect(await circuits<number>(relay!.page, 'relayedBytes')).toBe(0);
});

/**
 * Probes a far end `runs` times through one relay with `size` bytes each, payments on (the default): a cut
 * for non-payment fails the probe, any other cut shows as a rebuild. Then the relay and the far end must be
 * paid at least what they carried.
 */
async function paidOneHop(openPeer: () => Promise<PeerPage>, runs: number, size: number): Promise<void> {
  const { peers, ids } = await mesh(openPeer, 3);
  const [origin, relay, sink] = peers;
  const relayKey = await circuits<string>(relay!.page, 'publicKey');
  // A direct connection comes before the peer's signed relay announcement: probe once the origin counts both as relays.
  await expect.poll(() => circuits<{ known: number; connected: number }>(origin!.page, 'relayCounts')).toEqual({ known: 2, connected: 2 });
  for (let run = 0; run < runs; run++) {
    const result = await circuits<Probe>(origin!.page, 'probe', ids[2], [ids[1]], size).catch(async (err: Error) => {
      // Say which hop cut, and how far behind the payer stood there.
      const cuts = { relay: await circuits<string>(relay!.page, 'paymentLog'), farEnd: await circuits<string>(sink!.page, 'paymentLog') };
      throw new Error(`run ${run}: ${err.message}\n${JSON.stringify(cuts)}`);
    });
    expect({ run, bytes: result.bytes, rebuilds: result.rebuilds, path: result.path }).toEqual({ run, bytes: size, rebuilds: 0, path: [relayKey] });
  }
  for (const [name, hop] of [['relay', relay!], ['far end', sink!]] as const) {
    const carried = BigInt(await circuits<number>(hop.page, 'relayedBytes'));
    expect(carried).toBeGreaterThan(BigInt(runs * size));
    // Says where the hop stood if it fails: what it carried, its balance, what the circuits paid it.
    const standing = async (): Promise<string> => {
      const b = await balance(hop.page);
      return b.net >= carried ? 'paid' : `${name} carried ${carried}, net ${b.net} (up ${b.up}, down ${b.down}), earned ${await circuits<string>(hop.page, 'earned')}`;
    };
    await expect.poll(standing, { message: `the ${name} is paid for what it carried` }).toBe('paid');
  }
}

// Chromium only for now: with Firefox ESR 140 tabs on a loaded 2-core CI run, the origin's relay choice found
// no usable relay although both were announced and connected (README, Browsers; open in the closing note).
// Each run also checks the bytes intact and both hops paid for what they carried (a single 16 MiB run of its own repeated that).
test('an honest payer is never cut at full speed: 64 MiB over one hop, five times in a row', async ({ openPeer }) => {
  await paidOneHop(openPeer, 5, 64 * MiB);
});

test('a hidden seeder serves a file over 1-hop circuits on each side, met at a rendezvous point; the two never connect and no block links them', EVERY_BROWSER, async ({ openPeer, browserName, mixedEngines }) => {
  // Seven Firefox ESR 140 tabs on 2 cores: the mesh alone takes 75 s, the download 95 s, and the relays'
  // last payouts miss the settle window. Firefox carries this scenario in the mixed network instead.
  test.skip(browserName === 'firefox', 'seven Firefox ESR 140 tabs overload 2 cores; the mixed project runs it');
  // Three relays, the fewest a 1-hop hidden transfer needs (each plays more than one part: guard, introduction
  // point, rendezvous point); seven tabs took 40 s more to mesh on 2 cores. In the mixed network the downloader
  // is a Firefox tab, which on a loaded 2-core CI drew 10 MB at about 100 kB/s: there it fetches 3 MB (the point
  // is that the engines interoperate; Chromium takes 10 MB).
  const size = mixedEngines ? 3_000_000 : 10_000_000;
  const tabs = 5;
  test.setTimeout(360_000);
  const { peers, ids } = await mesh(openPeer, tabs);
  const [seeder, downloader, ...relays] = peers;
  const keys = await Promise.all(peers.map((p) => circuits<string>(p.page, 'publicKey')));
  // The two ends must never hold a connection to each other.
  await circuits(seeder!.page, 'block', ids[1]);
  await circuits(downloader!.page, 'block', ids[0]);
  await expect.poll(async () => (await circuits<string[]>(seeder!.page, 'directPeerIds')).includes(ids[1]!)).toBe(false);
  await expect.poll(async () => (await circuits<string[]>(downloader!.page, 'directPeerIds')).includes(ids[0]!)).toBe(false);
  // The seeder's signed relay announcement still reaches the downloader, passed on by the peers between them.
  await expect.poll(() => circuits<{ known: number; connected: number }>(downloader!.page, 'relayCounts')).toEqual({ known: tabs - 1, connected: tabs - 2 });

  // Through the UI: the seeder shares anonymously; the downloader pastes the magnet link with the default anonymity (1 hop).
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  await seeder!.page.goto(`${seeder!.url}#/files`);
  await seeder!.page.getByTestId('share-hidden').check();
  await seeder!.page.getByTestId('share-input').setInputFiles({ name: 'hidden.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await expect(seeder!.page.getByTestId('share-busy')).toHaveCount(0, { timeout: 60_000 });
  await expect(seeder!.page.getByTestId('share-error')).toHaveCount(0);
  const [seeded] = await sharing<{ infoHash: string; magnetURI: string }[]>(seeder!.page, 'views');
  const file = { infoHash: seeded!.infoHash, magnet: seeded!.magnetURI, sha256: createHash('sha256').update(bytes).digest('hex') };
  expect(file.magnet).not.toContain('tr='); // hidden: no tracker hears of it

  await downloader!.page.goto(`${downloader!.url}#/files`);
  await expect(downloader!.page.getByTestId('anonymity')).toHaveValue('1');
  await downloader!.page.getByTestId('magnet-input').fill(file.magnet);
  await downloader!.page.getByTestId('magnet-add').click();
  await expect(downloader!.page.getByTestId('share-error')).toHaveCount(0);
  try {
    await expectSeeding(downloader!.page, file.infoHash);
  } catch (err) {
    // Say where it stood: the download, and each side's circuits.
    const state = { torrent: await sharing(downloader!.page, 'views'), downloader: await circuits(downloader!.page, 'ownCircuits'), seeder: await circuits(seeder!.page, 'ownCircuits') };
    throw new Error(`${(err as Error).message}\n${JSON.stringify(state, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  }
  expect(await sharing<string>(downloader!.page, 'fileSha256', file.infoHash)).toBe(file.sha256);

  // Never connected, on either side.
  expect(await circuits<string[]>(seeder!.page, 'directPeerIds')).not.toContain(ids[1]);
  expect(await circuits<string[]>(downloader!.page, 'directPeerIds')).not.toContain(ids[0]);
  // No block links the two ends; relays were paid for what they carried.
  for (const [me, other] of [[0, 1], [1, 0]] as const) {
    const chain = await ledger<{ counterparty: string }[]>(peers[me]!.page, 'inspect', keys[me]);
    expect(chain.some((b) => b.counterparty === keys[other])).toBe(false);
  }
  // Done with it: the downloader drops the torrent, its circuits close and both ends settle with their relays.
  // Each relay's chain then holds payouts for what it carried (the seeder's open introduction circuits owe a little).
  await sharing(downloader!.page, 'remove', file.infoHash);
  /** Adds how every peer's payments went to a failed wait: the circuits each relay closed, the payouts each made. */
  const withPayments = async (wait: Promise<unknown>): Promise<void> => {
    try {
      await wait;
    } catch (err) {
      const views = await Promise.all(peers.map(async (p, j) => `${j} ${keys[j]!.slice(0, 8)} net ${(await balance(p.page)).net} ${await circuits<string>(p.page, 'paymentLog')}`));
      throw new Error(`${(err as Error).message}\n${views.join('\n')}`);
    }
  };
  for (const [i, r] of relays.entries()) {
    const carried = BigInt(await circuits<number>(r.page, 'relayedBytes'));
    const standing = async (): Promise<string> => {
      const net = (await balance(r.page)).net;
      return net >= carried - 1024n * 1024n ? 'paid' : `relay ${i} carried ${carried}, net ${net}`;
    };
    // A payment not countersigned under load is tried again for a while, and each hop passes it on in turn:
    // wait as long as an originator gives a hop to pass a payment on.
    await withPayments(expect.poll(standing, { message: 'relay paid for what it carried', timeout: RECEIPT_GRACE_MS }).toBe('paid'));
  }
  // The downloader paid the seeder through the circuits at the seeder's rate (its 2 paid hops plus the data) for
  // each verified byte, so the seeder kept most of a token a byte beyond what its own relays cost it. Not all:
  // its relays charge by the cell byte, onion and BitTorrent framing included (~8%, so 2 × 8% of the file), and
  // for any piece it sent twice (a request repeated under load). It kept 0.85 of the file's size in a quiet run.
  const length = BigInt(bytes.length);
  await withPayments(expect.poll(async () => (await balance(seeder!.page)).net, { message: 'hidden seeder paid for its data', timeout: RECEIPT_GRACE_MS }).toBeGreaterThan(length / 2n));
  expect((await balance(downloader!.page)).net).toBeLessThan(-4n * length);
  const earned = async () => BigInt((await sharing<{ infoHash: string; earned: string }[]>(seeder!.page, 'views')).find((t) => t.infoHash === file.infoHash)!.earned);
  await expect.poll(earned, { message: 'the seeder credited for the whole file at its rate' }).toBeGreaterThanOrEqual(3n * length);
});

test('a hidden download survives a relay leaving mid-transfer: it reaches the seeder again over new circuits', async ({ openPeer }) => {
  // Seven profiles and a 4 MiB file over onion circuits: slow on 2 cores under load (after the relay left, the
  // rest came at about 0.3 MiB/s here); the relay leaves at a tenth, so 3.6 MiB still come after. The new circuits
  // avoid the relays of the one that broke (the dead tab's connection lingers), so recovery takes seconds.
  test.setTimeout(300_000);
  const { peers, ids } = await mesh(openPeer, 7);
  const [seeder, downloader] = peers;
  const keys = await Promise.all(peers.map((p) => circuits<string>(p.page, 'publicKey')));
  await circuits(seeder!.page, 'block', ids[1]);
  await circuits(downloader!.page, 'block', ids[0]);
  await expect.poll(async () => (await circuits<string[]>(downloader!.page, 'directPeerIds')).includes(ids[0]!)).toBe(false);

  const file = await sharing<{ infoHash: string; magnet: string; sha256: string }>(seeder!.page, 'seedGenerated', 4 * MiB, 'hidden-long.bin', 72, { hidden: true });
  await circuits(seeder!.page, 'hide', file.infoHash, 1);
  await circuits(downloader!.page, 'downloadHidden', file.magnet, 1);
  await expect.poll(async () => (await sharing<{ infoHash: string; progress: number }[]>(downloader!.page, 'views')).find((t) => t.infoHash === file.infoHash)?.progress ?? 0).toBeGreaterThan(0.1);
  // The relay on the downloader's side of the rendezvous leaves.
  const own = await circuits<{ path: string[]; received: number }[]>(downloader!.page, 'ownCircuits');
  // The circuit the data comes over (the rendezvous one), not an idle introduction circuit.
  const busiest = own.reduce((a, b) => (b.received > a.received ? b : a));
  const leaving = peers[keys.indexOf(busiest.path[0]!)]!;
  expect([seeder, downloader]).not.toContain(leaving);
  await leaving.context.close();
  // It left mid-transfer: the rest has to come over new circuits.
  const progressAtLeave = (await sharing<{ infoHash: string; progress: number }[]>(downloader!.page, 'views')).find((t) => t.infoHash === file.infoHash)!.progress;
  expect(progressAtLeave).toBeLessThan(1);

  try {
    await expectSeeding(downloader!.page, file.infoHash, 180_000);
  } catch (err) {
    // Say where it stood: the download, each side's circuits, and the seeder's view of its peers.
    const state = { torrent: await sharing(downloader!.page, 'views'), downloader: await circuits(downloader!.page, 'ownCircuits'), seeder: await circuits(seeder!.page, 'ownCircuits'), seederTorrent: await sharing(seeder!.page, 'views') };
    throw new Error(`${(err as Error).message}\n${JSON.stringify(state, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  }
  expect(await sharing<string>(downloader!.page, 'fileSha256', file.infoHash)).toBe(file.sha256);
});

test('a hidden seeder that reloads hides its swarm again, and is reached from its .torrent file', async ({ openPeer }) => {
  const { peers, ids } = await mesh(openPeer, 5);
  const [seeder, downloader] = peers;
  await circuits(seeder!.page, 'block', ids[1]);
  await circuits(downloader!.page, 'block', ids[0]);
  const file = await sharing<{ infoHash: string; magnet: string; sha256: string }>(seeder!.page, 'seedGenerated', 4 * 1024 * 1024, 'kept-hidden.bin', 73, { hidden: true });
  await circuits(seeder!.page, 'hide', file.infoHash, 1);

  await seeder!.page.reload();
  await hooksReady(seeder!.page);
  await circuits(seeder!.page, 'block', ids[1]);
  await expect.poll(() => circuits<string[]>(seeder!.page, 'hiddenSeeds'), { timeout: 60_000 }).toEqual([file.infoHash]);
  // Once its data is verified and relays are connected, it publishes again; the downloader finds it.
  await expect.poll(() => circuits<number>(downloader!.page, 'lookup', file.infoHash), { timeout: 90_000 }).toBeGreaterThan(0);
  // This time through the Files page, from the .torrent file: anonymously, as downloads are by default.
  const torrentFile = Buffer.from((await sharing<string>(seeder!.page, 'torrentFileBase64', file.infoHash))!, 'base64');
  await downloader!.page.goto(`${downloader!.url}#/files`);
  await expect(downloader!.page.getByTestId('anonymity')).toHaveValue('1');
  await downloader!.page.getByTestId('torrent-input').setInputFiles({ name: 'kept-hidden.torrent', mimeType: 'application/x-bittorrent', buffer: torrentFile });
  await expect(downloader!.page.getByTestId('share-busy')).toHaveCount(0, { timeout: 60_000 });
  await expect(downloader!.page.getByTestId('share-error')).toHaveCount(0);
  await expectSeeding(downloader!.page, file.infoHash);
  expect(await sharing<string>(downloader!.page, 'fileSha256', file.infoHash)).toBe(file.sha256);
  expect(await circuits<string[]>(downloader!.page, 'directPeerIds')).not.toContain(ids[0]);
});

test('a hidden seeder refuses an anonymous downloader that stops paying it, once the unpaid window is used up', async ({ openPeer }) => {
  const { peers, ids } = await mesh(openPeer, 5);
  const [seeder, downloader] = peers;
  await circuits(seeder!.page, 'block', ids[1]);
  await circuits(downloader!.page, 'block', ids[0]);
  const size = 40 * MiB;
  const file = await sharing<{ infoHash: string; magnet: string }>(seeder!.page, 'seedGenerated', size, 'unpaid-hidden.bin', 74, { hidden: true });
  await circuits(seeder!.page, 'hide', file.infoHash, 1);
  await sharing(downloader!.page, 'setWithholdAgreements', true); // also withholds payments over circuits
  await circuits(downloader!.page, 'downloadHidden', file.magnet, 1);

  const seederView = async () => (await sharing<{ infoHash: string; refusedPeers: number; uploaded: number; earned: string }[]>(seeder!.page, 'views')).find((t) => t.infoHash === file.infoHash)!;
  await expect.poll(async () => (await seederView()).refusedPeers, { timeout: 90_000, message: 'the seeder refuses the peer that does not pay' }).toBe(1);
  const view = await seederView();
  expect(view.earned).toBe('0');
  // UNPAID_WINDOW_BYTES (16 MiB), and what was requested before the next rechoke.
  expect(view.uploaded).toBeLessThan(28 * MiB);
  const progress = (await sharing<{ infoHash: string; progress: number }[]>(downloader!.page, 'views')).find((t) => t.infoHash === file.infoHash)!.progress;
  expect(progress).toBeLessThan(1);
});
