/**
 * Relays as equals (issue #19): three relays, two of them told of the third
 * only, find one another through their DHT and federate; each tab is given
 * only one of them. Tabs on different relays meet and exchange data; when a
 * relay dies its tab moves to a relay its relay named, and a newcomer still
 * finds it; a fraud proof reaches every tab.
 */
import { expect, test } from './support/fixtures.ts';
import { directMesh, hooksReady, ledger } from './support/ledger.ts';
import { startRelayProcess, type RelayProcess } from './support/processes.ts';

test('three relays that find one another: tabs on different relays meet and exchange data, outlive a relay, and all hear of a fraud', async ({ openPeer }) => {
  // Relays 0 and 2 are configured with relay 1 only (without its id: each learns it on dialling); 0 and 2 meet through the DHT.
  const hub = await startRelayProcess();
  const relays: RelayProcess[] = [...(await Promise.all([startRelayProcess(0, 0, [hub.multiaddr]), startRelayProcess(0, 0, [hub.multiaddr])]))];
  relays.splice(1, 0, hub);
  try {
    await expect.poll(async () => (await Promise.all(relays.map((r) => r.health()))).map((h) => h.federated), { message: 'relays federated', timeout: 30_000 }).toEqual([2, 2, 2]);
    const on = (i: number) => openPeer({ query: `relay=${encodeURIComponent(relays[i]!.multiaddr)}` });
    const [a, b, c] = await Promise.all([on(0), on(1), on(2)]);
    const ids = await directMesh([a!, b!, c!]);

    // The direct link between tabs of two relays carries data (a libp2p stream, no relay on the path).
    const speed = await a!.page.evaluate(([id]) => (globalThis as any).__trustmesh.speedTest(id, 1 << 20, 1 << 20), [ids[2]!]);
    expect(speed.downloadMs).toBeGreaterThan(0);

    // a's only relay dies: a falls back to the relays it named, and holds a reservation there.
    await relays[0]!.stop();
    const connected = a!.page.locator('[data-testid="relay-status"][data-state="connected"] code');
    await expect.poll(async () => (await connected.allTextContents()).filter((t) => !t.startsWith(relays[0]!.multiaddr)).length, { message: 'a connected to a named relay', timeout: 30_000 }).toBeGreaterThan(0);
    // A newcomer on the third relay finds every tab, a too (its address now through a relay that lives).
    const d = await on(2);
    await d.expectDirectPeers(ids, 90_000);

    // The newcomer double-signs: every other tab, on whichever relay, verifies the proof.
    const everyone = [a!, b!, c!, d];
    for (const p of everyone) await hooksReady(p.page);
    for (const p of [a!, b!, c!]) await ledger(p.page, 'acceptAll');
    const key = await ledger<string>(d.page, 'publicKey');
    await ledger(d.page, 'forgeDoubleSign', ids[0], ids[1]);
    for (const p of [a!, b!, c!]) await expect.poll(() => ledger<boolean>(p.page, 'isFraudster', key), { message: 'fraud proof received and verified', timeout: 30_000 }).toBe(true);
  } finally {
    for (const r of relays) await r.stop();
  }
});
